package raftsim

import (
	"math/bits"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// raft/Swarm's Figure 8 section. The fault plan crashes, pauses and cuts off peers at times
// of its own, blind to who leads, and the network delivers a leader's appends to every
// follower it can reach in no time, so a swarm seldom leaves an entry on a minority of peers
// for a later leader to find: the interleavings of the paper's Figure 8, where a leader that
// commits an entry of an earlier term by counting replicas (§5.4.2) loses it to a later
// leader. Without this section raft/planted/CommitOldTerms was caught on one seed of 1-4500;
// with it, on 15 of seeds 1-300.
//
// In the section, as in 6.824's TestFigure8 (figure82C), a process proposes on every peer
// that is up and not paused, and crashes the one that accepted, restarting a peer it crashed whenever no
// majority is up; at the end of the section it restarts every peer it crashed. One leader
// in four is crashed after figure82C's random sleep; the others are first cut off from all
// followers but at most one, so that the proposal stays on a minority (Figure 8 (a), (b)),
// and crashed once that follower holds it. The section runs beside the fault plan and the
// clients, and touches only what it did itself: the plan restarts only what the plan crashed
// (faults.Target), the section crashes no paused peer, and it cuts links only when the plan
// changes none meanwhile, and only links that were up, which it restores at the crash.

// figure8Section is the window of a run in which leaders are crashed after proposals.
type figure8Section struct {
	from, until time.Duration // offsets from the start of the faults; until == 0: off
}

// drawFigure8 draws from the seed whether raft/Swarm runs a Figure 8 section, and when:
// in one run of two, starting in the first quarter of the faults and lasting a half to
// three quarters of them. The other runs keep the fault plan alone: the section crashes
// leaders every half second or so, and commits, snapshots and the situations that need
// them (raft/snapshot-install-over-longer-log) are rarer while it runs. It logs the draw
// (replay -v shows it).
func drawFigure8(w *sim.World, d time.Duration) figure8Section {
	r := w.Rand("raft/swarm/figure8")
	var s figure8Section
	if r.IntN(2) == 0 {
		s.from = time.Duration(r.Int64N(int64(d / 4)))
		s.until = s.from + d/2 + time.Duration(r.Int64N(int64(d/4)))
		w.Logf(nil, "raft/Swarm: Figure 8 section from %v to %v: leaders crashed soon after proposals", s.from, s.until)
	} else {
		w.Logf(nil, "raft/Swarm: no Figure 8 section")
	}
	return s
}

// spawnFigure8 starts the section's process, which runs from start+s.from to start+s.until.
func spawnFigure8(w *sim.World, c *Cluster, s figure8Section, start time.Duration, plan faults.Plan) {
	if s.until == 0 {
		return
	}
	r := w.Rand("raft/swarm/figure8/rounds")
	w.Spawn(nil, "figure8", func(p *sim.Proc) {
		p.Sleep(start + s.from - w.Now())
		crashed := make([]bool, c.N) // the peers this section crashed and has not restarted
		for w.Now() < start+s.until {
			leader, index, term := -1, 0, 0
			for i := 0; i < c.N; i++ {
				// A paused machine would not answer; calling into it would let it act.
				if peer := c.Peer(i); peer != nil && !c.Nodes[i].Paused() {
					if idx, t, ok := peer.Start(c.clientCmd(-1, r.IntN(1_000_000_000))); ok {
						leader, index, term = i, idx, t
					}
				}
			}
			switch {
			case leader < 0:
				// No leader: look again soon, so that the next one gets a proposal (and
				// its crash) before the clients' commands commit in its term.
				p.Sleep(time.Duration(1+r.IntN(10)) * time.Millisecond)
			case r.IntN(4) == 0 || linksChange(plan, w.Now()-start, cutFor):
				// As figure82C: crash it after a random time (what it sent still arrives).
				figure8Sleep(p, r)
				c.crashLeader(leader, crashed)
			default:
				// Leave the proposal on a minority, Figure 8 (a) and (b): cut the links from
				// the leader to all followers but at most one (its sends are dropped, the
				// network delivering in no time otherwise), and crash it once that follower
				// holds the proposal, or after a while. Its links are restored at the crash.
				// Only links that are up are cut, and only when the fault plan changes no
				// link meanwhile: the plan's partitions are left as the plan made them.
				keep := -1
				if r.IntN(3) > 0 {
					keep = r.IntN(c.N)
				}
				var cut []int
				for j := 0; j < c.N; j++ {
					if j != leader && j != keep && c.Net.LinkUp(c.addrs[leader], c.addrs[j]) {
						cut = append(cut, j)
						c.Net.SetLink(c.addrs[leader], c.addrs[j], false)
					}
				}
				wait := time.Duration(1+r.IntN(20)) * time.Millisecond
				if keep >= 0 && keep != leader {
					wait = cutFor
				}
				for t0 := w.Now(); w.Now()-t0 < wait && !c.heldByFollower(leader, index, term); {
					p.Sleep(time.Millisecond)
				}
				c.crashLeader(leader, crashed)
				for _, j := range cut {
					c.Net.SetLink(c.addrs[leader], c.addrs[j], true)
				}
			}
			up := 0
			for i := 0; i < c.N; i++ {
				if c.Nodes[i].Up() {
					up++
				}
			}
			if up <= c.N/2 {
				if i := r.IntN(c.N); crashed[i] {
					crashed[i] = false
					if !c.Nodes[i].Up() {
						w.Restart(c.Nodes[i])
					}
				}
			}
		}
		for i := 0; i < c.N; i++ {
			if crashed[i] && !c.Nodes[i].Up() {
				w.Restart(c.Nodes[i])
			}
		}
	})
}

// crashLeader crashes the section's leader unless it is down or paused (the plan's), and
// notes it in crashed.
func (c *Cluster) crashLeader(leader int, crashed []bool) {
	if c.Nodes[leader].Up() && !c.Nodes[leader].Paused() {
		crashed[leader] = true
		c.W.Crash(c.Nodes[leader])
	}
}

// cutFor bounds how long the Figure 8 section cuts a leader's links before crashing it.
const cutFor = 50 * time.Millisecond

// linksChange reports whether the plan changes links within d of at (offsets from the
// start of the faults).
func linksChange(plan faults.Plan, at, d time.Duration) bool {
	for _, a := range plan.Actions {
		switch a.Kind {
		case faults.Partition, faults.OneWay, faults.Isolate, faults.IsolateLdr, faults.Heal:
			if a.At >= at && a.At <= at+d {
				return true
			}
		}
	}
	return false
}

// heldByFollower reports whether a peer other than leader that is up holds the entry of
// term at index.
func (c *Cluster) heldByFollower(leader, index, term int) bool {
	for j := 0; j < c.N; j++ {
		if peer := c.Peer(j); j != leader && peer != nil && peer.Core() != nil {
			if t, ok := peer.Core().Term(index); ok && t == term {
				return true
			}
		}
	}
	return false
}

// ProbeFigure8 is the state Figure 8 (c) of the Raft paper shows: a leader holds an entry of
// an earlier term on a majority, while another peer (up or crashed) holds a conflicting
// entry of a later term at that index. A leader that committed the entry by counting
// replicas (raft.Config.UnsafeCommitOldTerms) could lose it to that peer.
var ProbeFigure8 = sim.NewProbe("raft/figure8-old-term-entry-on-majority",
	"a leader had an entry of an earlier term on a majority while another peer held a conflicting entry of a later term at its index")

// afterPersisted evaluates ProbeFigure8 after each Ready a peer persisted, on every peer
// that is up and leads: a leader's match index advances on a reply without a Ready of its
// own when it has nothing to send or commit, as when the replicated entry is of an earlier
// term, so its own Readies would miss the state. O(leaders) per Ready, and a look at the
// other peers' logs only for a leader whose majority-replicated prefix ends in an entry of
// an earlier term. A leader found with an entry of its own term on a majority is not
// looked at again in that term (figure8Settled).
//
// The leaders are the peers in c.leading: a peer enters it at a Ready of its own that it
// persisted as leader, and leaves it when it is found down or not leading. A leader is
// missed only before its first such Ready, and is not in the probe's state then: its
// followers' match indexes rise only on answers to the appends of that Ready, which it
// sends after persisting it, so the majority's match is 0 (figure8State finds no earlier
// term there). Looking at every peer on every Ready was 1% of raft/Swarm's instructions.
func (c *Cluster) afterPersisted(p *rafthost.Peer) {
	if core := p.Core(); core != nil {
		if _, leader := core.State(); leader {
			c.leading |= 1 << core.ID()
		}
	}
	for l := c.leading; l != 0; l &= l - 1 {
		i := bits.TrailingZeros64(l)
		p := c.peers[i]
		if p == nil || !c.Nodes[i].Up() || p.Core() == nil {
			c.leading &^= 1 << i
			continue
		}
		core := p.Core()
		term, leader := core.State()
		if !leader {
			c.leading &^= 1 << i
			continue
		}
		if c.figure8Settled[i] != (settled{core, term}) {
			in, own := c.figure8State(i)
			if own {
				c.figure8Settled[i] = settled{core, term}
			}
			if in {
				c.W.Sometimes(ProbeFigure8, true)
				return
			}
		}
	}
}

// settled names a core leading a term.
type settled struct {
	core *raft.Raft
	term int
}

// figure8State reports whether leader id is in ProbeFigure8's state, and whether the entry
// at the majority's match index m is of the leader's own term. Once it is, it is so for as
// long as the core leads the term, and afterPersisted notes the leader in figure8Settled:
// while the core leads the term its match indexes only grow (raft.Raft's handleAppendResp
// and handleSnapshotResp raise them, none lowers them, and a new term starts them afresh)
// and its own log only grows, so m only grows, and past m every entry is of that term too
// (terms never decrease along a log, and a leader holds none of a later term), or is
// covered by a snapshot: no earlier term at m. TestFigure8SettledLeadersStaySettled checks
// this in raft/Swarm's runs.
func (c *Cluster) figure8State(id int) (in, own bool) {
	core := c.peers[id].Core()
	term, _ := core.State()
	// m: the highest index on a majority, the leader's own log counting by its last index.
	match := c.matchScratch[:0]
	for i := 0; i < c.N; i++ {
		m, ok := core.Match(i)
		if !ok {
			m = core.LastIndex()
		}
		// Insertion in decreasing order: n is 5 or so.
		k := len(match)
		match = append(match, m)
		for ; k > 0 && match[k-1] < m; k-- {
			match[k] = match[k-1]
		}
		match[k] = m
	}
	c.matchScratch = match
	m := match[c.N/2]
	t, ok := core.Term(m)
	if ok && t >= term {
		return false, true
	}
	if !ok || m <= core.SnapshotMeta().Index {
		return false, false
	}
	for j, q := range c.peers {
		if j == id || q == nil || q.Core() == nil {
			continue
		}
		if tj, ok := q.Core().Term(m); ok && tj > t && m > q.Core().SnapshotMeta().Index {
			return true, false
		}
	}
	return false, false
}
