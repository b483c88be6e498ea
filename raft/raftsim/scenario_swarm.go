package raftsim

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/lockstep-dst/lockstep/raft/internal/paged"
	"github.com/lockstep-dst/lockstep/sim"
)

// raft/Swarm: beyond the original suite. Five peers run under the fault plan the run's
// options name (by default the swarm profile: the seed picks which fault kinds are on and
// their rates, storage faults on crash included) while clients propose commands, with every
// safety checker watching each persisted Ready. Once the plan has healed the network,
// restored its conditions and resumed and restarted every peer, the liveness phase requires
// a leader and a new command committed on every peer that runs within LivenessBudget. A peer
// that halted on corrupt storage (rafthost.Peer.Halted) is out of the group for good; liveness is
// required of the others if they are a majority, and is not checked otherwise (no protocol
// can commit without one). In one run of two a Figure 8 section (figure8.go) crashes leaders
// right after proposals, next to the plan.

func init() {
	register(def{
		Name: "raft/Swarm",
		Description: fmt.Sprintf("5 peers and 3 clients under the swarm fault profile for %v, in one run of two with a section "+
			"crashing leaders right after proposals (Figure 8), all safety checks on; "+
			"then a command commits on every peer not halted on corrupt storage within %v", SwarmDuration, LivenessBudget),
		Faults: "swarm",
		Run: func(p *sim.Proc, setup Setup) error {
			o := defaultSwarm()
			o.setup = setup
			runSwarm(p, o)
			return nil
		},
	})
}

const (
	// SwarmDuration is how long raft/Swarm's faults and clients run.
	SwarmDuration = 20 * time.Second
	// LivenessBudget is the virtual time a healed cluster gets to elect a leader and
	// commit a new command on every peer: one()'s overall bound in the 6.824 harness
	// (10 s, against election timeouts of 300–600 ms). It covers an election or two, the
	// backup of a follower over a divergent log, and replies still held by long
	// reordering (up to 2.2 s) when the faults end.
	LivenessBudget = 10 * time.Second
)

// swarmOptions shape a swarm run; the property tests run smaller ones.
type swarmOptions struct {
	peers    int
	clients  int
	duration time.Duration // faults and clients run at least this long (the profile's Shape)
	liveness time.Duration // 0: no liveness phase
	figure8  bool          // draw a Figure 8 section (figure8.go)
	setup    Setup
	// observe, if set, is handed the cluster once it is built (tests).
	observe func(*Cluster)
}

func defaultSwarm() swarmOptions {
	return swarmOptions{peers: 5, clients: 3, duration: SwarmDuration, liveness: LivenessBudget, figure8: true}
}

// drawClusterOptions draws from the seed how the peers snapshot and how many entries an
// AppendEntries may carry, and logs it (replay -v shows it): each peer snapshots every 5 to
// 200 entries, or (one in four) never by itself; one run in three leaves appends
// uncapped, the others cap them at 1 to 20 entries, so that followers catch up over many
// capped appends, and snapshots are installed over logs that go on past them.
func drawClusterOptions(w *sim.World, peers int) clusterOptions {
	r := w.Rand("raft/swarm/cluster")
	o := clusterOptions{snapEvery: make([]int, peers)}
	for i := range o.snapEvery {
		if r.IntN(4) > 0 {
			o.snapEvery[i] = 5 + r.IntN(196)
		}
	}
	if r.IntN(3) > 0 {
		o.maxEntriesPerAppend = 1 + r.IntN(20)
	}
	w.Logf(nil, "raft/Swarm: snapshot every %v entries (0: never), at most %d entries per append (0: unlimited)",
		o.snapEvery, o.maxEntriesPerAppend)
	return o
}

// ack is a command a client saw committed at index.
type ack struct {
	index int
	cmd   []byte
}

// runSwarm is raft/Swarm's body, parameterized for tests.
func runSwarm(p *sim.Proc, o swarmOptions) {
	w := p.World()
	co := drawClusterOptions(w, o.peers)
	co.digests = true // snapshots of the history's digest (history.go), not of its values
	c := newCluster(p, o.setup, o.peers, false, co)
	if o.observe != nil {
		o.observe(c)
	}
	start := w.Now()
	plan := c.InstallFaults(o.duration) // Install logs it, for `simrun replay -v`
	until := start + max(plan.Until, o.duration)
	if o.figure8 {
		spawnFigure8(w, c, drawFigure8(w, o.duration), start, plan)
	}

	r := w.Rand("raft/swarm/clients")
	stop := false
	var acks paged.Table[ack]
	var clients []*sim.Proc
	for k := 0; k < o.clients; k++ {
		cr := r.Fork(fmt.Sprintf("client%d", k))
		clients = append(clients, w.Spawn(nil, fmt.Sprintf("client%d", k), func(cp *sim.Proc) {
			for !stop {
				swarmClient(cp, c, cr, k, acks.Push)
			}
		}))
	}
	p.Sleep(until - w.Now())
	stop = true
	for _, cp := range clients {
		for !cp.Done() {
			p.Sleep(10 * time.Millisecond)
		}
	}
	if len(clients) == 0 {
		// The plan's last batch (heal, restore, resume, restart) is an event at until,
		// which the seeded tiebreak may order after this process's wake-up.
		p.Sleep(time.Millisecond)
	}
	if o.liveness <= 0 {
		return
	}

	// Liveness: the plan has healed and restarted everything by now; connect all in the
	// harness's sense too.
	for i := 0; i < c.N; i++ {
		c.Connect(i)
	}
	running := 0
	for i := 0; i < c.N; i++ {
		if !c.Halted(i) {
			running++
		}
	}
	if running <= c.N/2 {
		w.Logf(nil, "raft/Swarm: %d of %d peers halted on corrupt storage: no majority left, liveness not checked", c.N-running, c.N)
		return
	}
	index := checkLiveness(c, []byte(fmt.Sprintf("liveness-%d", w.Seed())), o.liveness, running)

	// Every command a client saw committed is in the final log: committing index on all
	// peers means each of them applied everything before it.
	for k := range acks.Len() {
		a := acks.At(k)
		if a.index > index {
			c.P.Fatalf("raft/acknowledged", "a client saw %q committed at index %d, beyond the final commit %d", short(a.cmd), a.index, index)
		}
		if _, got := c.NCommitted(a.index); !bytes.Equal(got, a.cmd) {
			c.P.Fatalf("raft/acknowledged", "a client saw %q committed at index %d, but the final log holds %q", short(a.cmd), a.index, short(got))
		}
	}
}

// swarmClient is one round of a churn client (6.824's TestReliableChurn2C): propose on every
// peer that is up (stale leaders included); if one accepted, poll for the commit with sleeps
// of 10, 20, 50, 100 and 200 ms, and remember the command if it was committed; otherwise
// back off (79 + 17*me) ms. Clients run interleaved, so they record through a callback
// rather than by returning an appended slice, which would drop another client's records
// made while this one slept.
func swarmClient(p *sim.Proc, c *Cluster, r *sim.Rand, me int, record func(ack)) {
	cmd := c.clientCmd(me, r.IntN(1_000_000_000))
	index := -1
	for i := 0; i < c.N; i++ {
		if peer := c.Peer(i); peer != nil && !c.Nodes[i].Paused() {
			// A paused machine would not answer; calling into it would let it act.
			if idx, _, ok := peer.Start(cmd); ok {
				index = idx
			}
		}
	}
	if index < 0 {
		p.Sleep(time.Duration(79+17*me) * time.Millisecond)
		return
	}
	for _, to := range []time.Duration{10, 20, 50, 100, 200} {
		if nd, got := c.NCommitted(index); nd > 0 {
			if bytes.Equal(got, cmd) {
				record(ack{index: index, cmd: cmd})
			}
			break
		}
		p.Sleep(to * time.Millisecond)
	}
}

// clientCmd is client me's command "c<me>-<v>", formatted on the stack and kept in the
// cluster's command chunks (commandArena): no allocation of its own where fmt.Sprintf and
// the conversion to bytes made four, for each of the thousands of commands a run proposes.
func (c *Cluster) clientCmd(me, v int) []byte {
	var a [24]byte
	return c.commands.keep(appendClientCmd(a[:0], me, v))
}

// appendClientCmd appends "c<me>-<v>" to b.
func appendClientCmd(b []byte, me, v int) []byte {
	b = append(b, 'c')
	b = strconv.AppendInt(b, int64(me), 10)
	b = append(b, '-')
	return strconv.AppendInt(b, int64(v), 10)
}

// checkLiveness requires that, within budget, a leader accepts cmd and the running peers
// (all but the halted ones) commit it, as one(cmd, running, true) does with its 10 s. A miss
// fails the run as "raft/liveness", saying how far the cluster got; it returns cmd's index.
func checkLiveness(c *Cluster, cmd []byte, budget time.Duration, running int) int {
	p, w := c.P, c.W
	start := w.Now()
	deadline := start + budget
	lastLeader, lastTerm, lastIndex, lastCount := -1, -1, -1, 0
	for w.Now() < deadline {
		index := -1
		for i := 0; i < c.N && index < 0; i++ {
			if peer := c.Peer(i); peer != nil && c.Connected(i) {
				if idx, term, ok := peer.Start(cmd); ok {
					index, lastLeader, lastTerm = idx, i, term
				}
			}
		}
		if index < 0 {
			p.Sleep(50 * time.Millisecond)
			continue
		}
		lastIndex = index
		// As one(): poll every 20 ms for up to 2 s, then propose again.
		for t1 := w.Now(); w.Now()-t1 < 2*time.Second && w.Now() < deadline; {
			nd, got := c.NCommitted(index)
			lastCount = nd
			if nd >= running && bytes.Equal(got, cmd) {
				return index
			}
			p.Sleep(20 * time.Millisecond)
		}
	}
	if lastLeader < 0 {
		p.Fatalf("raft/liveness", "no leader accepted a command within %v after the faults ended at %v", budget, start)
	}
	p.Fatalf("raft/liveness", "command not committed on all %d running peers within %v after the faults ended at %v: "+
		"last accepted by peer %d in term %d at index %d, committed on %d", running, budget, start, lastLeader, lastTerm, lastIndex, lastCount)
	return -1
}
