package raftsim

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// RaftElectionTimeout is the 6.824 harness's allowance for an election.
const RaftElectionTimeout = 1000 * time.Millisecond

// Cluster is the 6.824 Lab 2 test harness (config.go) in virtual time: n
// peers on a simulated network with long delays, the apply checker, and the
// helpers the tests use (checkOneLeader, one, nCommitted, wait, crash1,
// start1, connect, disconnect). Its methods block the scenario's process and
// fail the run, as the original's t.Fatalf does, when an assertion fails.
type Cluster struct {
	P       *sim.Proc
	W       *sim.World
	Net     *netsim.Network
	Nodes   []*sim.Node
	N       int
	Checker *rafthost.Checker

	peers     []*rafthost.Peer
	addrs     []int // peer i's network address (node ID)
	connected []bool
	// logLen[i] is how long a prefix of the group's history peer i applied: what it
	// applied at index k is history.cmd(k), for k <= logLen[i]. A peer applies in order
	// from 1 (or from its snapshot, which ingest expands), so what it applied is a prefix
	// (the original harness has a map per peer, probed by every apply), and every value
	// applied is held to the group's history (record), so it is a prefix of that.
	logLen    []int
	values    [][]byte // per peer, with snapshots: "\n" and each value applied, in order
	applied   []int    // each peer's last applied index
	snapshots bool     // the 2D applier: ingest snapshots, take one every snapEvery[i] entries
	snapEvery []int    // per peer; 0: the peer takes none (but installs its leaders')
	maxAppend int      // the core's MaxEntriesPerAppend (0: unlimited)
	// digests: snapshots are digests of the group's history (history.go), not its values.
	digests bool
	history *history // what the group applied; shared with the views (On), which read it
	rand    *sim.Rand
	setup   Setup
	// observer is what every peer reports its Readies to: the checkers, then the probes.
	observer     rafthost.Observer
	matchScratch []int // afterPersisted's
	// figure8Settled[i]: the core and term in which peer i was last seen leading with an
	// entry of its term on a majority (figure8State)
	figure8Settled []settled
	// leading: the peers (a bit each) seen leading at a Ready of their own, up to when
	// afterPersisted finds them down or following
	leading uint64
	// commands holds the clients' commands (intCmd, clientCmd); shared by the views.
	commands *commandArena
}

// SnapShotInterval is the 2D applier's snapshot period.
const SnapShotInterval = 10

// NewCluster builds and starts n connected peers, like make_config, configured by
// setup. With snapshots the peers run the 2D snapshot applier.
func NewCluster(p *sim.Proc, setup Setup, n int, unreliable, snapshots bool) *Cluster {
	o := clusterOptions{}
	if snapshots {
		o.snapEvery = make([]int, n)
		for i := range o.snapEvery {
			o.snapEvery[i] = SnapShotInterval
		}
	}
	return newCluster(p, setup, n, unreliable, o)
}

// clusterOptions are the harness settings beyond the original's make_config (raft/Swarm
// draws them from the seed).
type clusterOptions struct {
	// snapEvery, if set, turns the 2D snapshot applier on, peer i taking a snapshot every
	// snapEvery[i] entries (0: never; it still installs the snapshots its leaders send).
	snapEvery []int
	// maxEntriesPerAppend is every core's MaxEntriesPerAppend.
	maxEntriesPerAppend int
	// digests makes the snapshots digests of the history they cover (history.go).
	digests bool
}

func newCluster(p *sim.Proc, setup Setup, n int, unreliable bool, o clusterOptions) *Cluster {
	if n > 64 {
		panic(fmt.Sprintf("raft harness: %d peers, at most 64 (Cluster.leading)", n))
	}
	w := p.World()
	c := &Cluster{P: p, W: w, Net: netsim.New(w, netsim.ZeroDelay()), N: n, snapshots: o.snapEvery != nil,
		snapEvery: o.snapEvery, maxAppend: o.maxEntriesPerAppend, digests: o.digests, history: newHistory(o.digests),
		peers: make([]*rafthost.Peer, n), connected: make([]bool, n), logLen: make([]int, n), values: make([][]byte, n),
		applied: make([]int, n), rand: w.Rand("raft/harness"), setup: setup, figure8Settled: make([]settled, n),
		commands: &commandArena{}}
	c.Checker = rafthost.NewChecker(w, n)
	c.observer = rafthost.AfterPersisted(c.Checker, c.afterPersisted)
	// The Raft config turns labrpc's long delays on: SetReliable keeps them.
	c.Net.SetConditions(netsim.Reliable().WithLongDelays())
	c.SetReliable(!unreliable)
	for i := 0; i < n; i++ {
		i := i
		node := w.AddNode(fmt.Sprintf("raft%d", i), func(node *sim.Node) { c.boot(i, node) })
		c.Net.Attach(node)
		c.Nodes = append(c.Nodes, node)
		c.addrs = append(c.addrs, node.ID)
	}
	for i := 0; i < n; i++ {
		c.Start1(i)
		c.Connect(i)
	}
	return c
}

// InstallFaults applies the fault plan the run's options ask for (simrun
// -faults) over [now, now+d), targeting the peers, and returns it (its
// times count from now).
func (c *Cluster) InstallFaults(d time.Duration) faults.Plan {
	plan, err := faults.FromOptions(c.W, faults.Shape{Nodes: c.N, Duration: d, Base: c.Net.Conditions()})
	if err != nil {
		c.P.Fatalf("faults", "%w", err)
	}
	err = faults.Install(faults.Target{World: c.W, Net: c.Net, Nodes: c.Nodes, Leader: c.leaderNow}, plan)
	if err != nil {
		c.P.Fatalf("faults", "%w", err)
	}
	return plan
}

func (c *Cluster) leaderNow() int {
	for i, p := range c.peers {
		if p != nil && c.Nodes[i].Up() {
			if _, l := p.GetState(); l {
				return i
			}
		}
	}
	return -1
}

func (c *Cluster) boot(i int, node *sim.Node) {
	cfg := raft.Config{ID: i, MaxEntriesPerAppend: c.maxAppend}
	if c.setup.Broken != nil {
		c.setup.Broken(&cfg)
	}
	// What the previous instance applied, for ingest to compare the snapshot with.
	known, k := c.values[i], c.applied[i]
	c.applied[i] = 0
	c.values[i] = c.values[i][:0]
	if c.snapshots {
		// As the 2023 harness does: ingest the persisted snapshot before
		// Make, so the first command applied must follow it.
		// A corrupt snapshot is the peer's to find: it halts.
		if snap, err := rafthost.StoredSnapshot(node.Disk); err == nil && len(snap.Data) > 0 {
			c.ingest(i, snap.Data, known, k)
		}
	}
	c.peers[i] = rafthost.StartPeer(node, c.Net.Endpoint(node.ID), rafthost.PeerConfig{
		Raft: cfg, Peers: c.addrs, Observer: c.observer,
		Apply: func(m *raft.ApplyMsg) { c.apply(i, m) },
	})
	node.Instance = c.peers[i]
}

// apply is the harness's applier (applier / applierSnap in config.go).
func (c *Cluster) apply(i int, m *raft.ApplyMsg) {
	if m.SnapshotValid {
		if !c.snapshots {
			c.P.Fatalf("apply", "peer %d got a snapshot without a snapshotting service", i)
		}
		idx := c.ingest(i, m.Snapshot, c.values[i], c.applied[i])
		if idx != m.SnapshotIndex {
			c.W.Fail("apply", c.Nodes[i], fmt.Errorf("snapshot index %d != decoded index %d", m.SnapshotIndex, idx))
		}
		return
	}
	if !m.CommandValid {
		return
	}
	if m.CommandIndex != c.applied[i]+1 {
		c.W.Fail("apply", c.Nodes[i], fmt.Errorf("apply out of order, expected %d got %d", c.applied[i]+1, m.CommandIndex))
		return
	}
	if !c.record(i, m.CommandIndex, m.Command) {
		return
	}
	// The index is at most one past what the peer applied before (checked above), which
	// is at most the length of its prefix: a restarted peer applies again from 1 over
	// what its previous instance applied (the same values: record checked).
	c.logLen[i] = max(c.logLen[i], m.CommandIndex)
	if c.snapshots && !c.digests {
		c.values[i] = append(append(c.values[i], '\n'), m.Command...)
	}
	c.applied[i] = m.CommandIndex
	if c.snapshots && c.snapEvery[i] > 0 && (m.CommandIndex+1)%c.snapEvery[i] == 0 {
		c.peers[i].Snapshot(m.CommandIndex, c.encodeSnapshot(i, m.CommandIndex))
	}
}

// The 2D snapshot: the index, then every value applied through it, one per line. Peer i
// snapshots what it applied last, so its values are kept encoded as they are applied:
// looking each up by index made raft/Swarm's frequent snapshots a quarter of its time.
func (c *Cluster) encodeSnapshot(i, index int) []byte {
	if index != c.applied[i] {
		panic(fmt.Sprintf("raft harness: peer %d snapshots at %d, having applied %d", i, index, c.applied[i]))
	}
	if c.digests {
		return c.history.digestSnapshot(index)
	}
	b := make([]byte, 0, 20+len(c.values[i]))
	b = strconv.AppendInt(b, int64(index), 10)
	return append(b, c.values[i]...)
}

// record checks that peer i applied cmd at index, one past what it applied before (from a
// command or a snapshot), or fails the run: the group's history must hold cmd there if it
// reaches index, and otherwise takes it.
func (c *Cluster) record(i, index int, cmd []byte) bool {
	if old, by, conflict := c.history.add(i, index, cmd); conflict {
		c.W.Fail("apply", c.Nodes[i], fmt.Errorf("commit index=%d server=%d %s != server=%d %s",
			index, i, short(cmd), by, short(old)))
		return false
	}
	return true
}

// ingest makes snapshot snap peer i's applied state: its log holds exactly the snapshot's
// values, its values their encoding. The snapshot is the index, then exactly index values,
// each after a newline; each value is held to the group's history (record), and the
// peer's log is then the history's prefix through the index.
//
// known is the encoding of the first k values of the peer's log (its values and applied
// index before the snapshot; at a boot, its previous instance's). A snapshot usually
// extends what the peer applied (installed from a leader) or is a prefix of it (restored
// at a boot), and those values are already in the history: only the rest is parsed and
// checked. Either relation is read from the bytes alone: known's k newlines (it holds k
// values, none with a newline) and the snapshot's each start a value, so a prefix that
// ends where a value ends holds the same values.
func (c *Cluster) ingest(i int, snap, known []byte, k int) int {
	if c.digests {
		return c.ingestDigest(i, snap)
	}
	head := snap
	if n := bytes.IndexByte(snap, '\n'); n >= 0 {
		head = snap[:n]
	}
	index, err := strconv.Atoi(string(head))
	if err != nil || bytes.Count(snap, []byte("\n")) != index {
		c.W.Fail("apply", c.Nodes[i], fmt.Errorf("undecodable snapshot %q", short(snap)))
		return -1
	}
	vals := snap[len(head):]
	plain := bytes.Count(known, []byte("\n")) == k
	switch {
	case plain && len(known) <= len(vals) && bytes.HasPrefix(vals, known) && (len(known) == len(vals) || vals[len(known)] == '\n'):
		// It extends what the peer applied: check the values after known.
		if !c.recordValues(i, k, vals[len(known):]) {
			return -1
		}
		c.values[i] = append(known, vals[len(known):]...)
	case plain && len(known) > len(vals) && bytes.HasPrefix(known, vals) && known[len(vals)] == '\n':
		// It is a prefix of what the peer applied.
		c.values[i] = known[:len(vals)]
	default:
		if !c.recordValues(i, 0, vals) {
			return -1
		}
		c.values[i] = append(c.values[i][:0], vals...)
	}
	c.logLen[i] = index
	c.applied[i] = index
	return index
}

// recordValues records the values encoded in vals, each after a newline, as peer i's from
// index k+1 on.
func (c *Cluster) recordValues(i, k int, vals []byte) bool {
	for index := k + 1; len(vals) > 0; index++ {
		vals = vals[1:] // the newline
		n := bytes.IndexByte(vals, '\n')
		if n < 0 {
			n = len(vals)
		}
		if !c.record(i, index, vals[:n]) {
			return false
		}
		vals = vals[n:]
	}
	return true
}

// On returns a view of c whose blocking helpers (One, Wait,
// CheckOneLeader, Fatalf) block process q instead of c.P: the original
// tests call them from several goroutines at once, which here are several
// processes. The view shares every peer, log and connection with c; only
// the process differs. Booting still goes through c.
func (c *Cluster) On(q *sim.Proc) *Cluster {
	v := *c
	v.P = q
	return &v
}

// Peer returns peer i's current instance (nil while crashed).
func (c *Cluster) Peer(i int) *rafthost.Peer {
	if !c.Nodes[i].Up() {
		return nil
	}
	return c.peers[i]
}

// Halted reports whether peer i's current instance refused to run on corrupt
// storage (rafthost.Peer.Halted); it stays halted across restarts.
func (c *Cluster) Halted(i int) bool {
	return c.peers[i] != nil && c.peers[i].Halted() != nil
}

// SetReliable switches labrpc's reliable/unreliable rates, long delays on.
func (c *Cluster) SetReliable(reliable bool) { c.Net.SetReliable(reliable) }

// SetLongReordering turns labrpc's long reordering on or off.
func (c *Cluster) SetLongReordering(on bool) { c.Net.SetLongReordering(on) }

// Crash1 disconnects and kills peer i; its storage keeps what it synced.
func (c *Cluster) Crash1(i int) {
	c.Disconnect(i)
	c.W.Crash(c.Nodes[i])
}

// Start1 (re)starts peer i from its storage, disconnected, like start1.
func (c *Cluster) Start1(i int) {
	c.Crash1(i)
	c.W.Restart(c.Nodes[i])
}

// Connected reports whether peer i is connected.
func (c *Cluster) Connected(i int) bool { return c.connected[i] }

// Connect attaches peer i to the connected peers.
func (c *Cluster) Connect(i int) {
	c.connected[i] = true
	c.Net.Connect(c.Nodes[i].ID, func(j int) bool { return j < c.N && c.connected[j] })
}

// Disconnect detaches peer i from everyone.
func (c *Cluster) Disconnect(i int) {
	c.connected[i] = false
	c.Net.Disconnect(c.Nodes[i].ID)
}

// RPCTotal is the number of RPCs sent so far (labrpc's GetTotalCount).
func (c *Cluster) RPCTotal() int { return c.Net.Stats().Calls }

// RPCCount is the number of RPCs dispatched to peer i (labrpc's GetCount).
func (c *Cluster) RPCCount(i int) int { return c.Net.Stats().ServerCount(c.Nodes[i].ID) }

// BytesTotal is labrpc's GetTotalBytes.
func (c *Cluster) BytesTotal() int { return c.Net.Stats().Bytes }

// Fatalf fails the scenario from its script.
func (c *Cluster) Fatalf(format string, args ...any) { c.P.Fatalf("scenario", format, args...) }

// CheckOneLeader waits for exactly one leader among the connected peers:
// up to 10 rounds of 450–549 ms; two leaders in one term is fatal.
func (c *Cluster) CheckOneLeader() int {
	for iters := 0; iters < 10; iters++ {
		c.P.Sleep(time.Duration(450+c.rand.IntN(100)) * time.Millisecond)
		leaders := map[int][]int{}
		lastTerm := -1
		for i := 0; i < c.N; i++ {
			if c.connected[i] && c.Peer(i) != nil {
				if term, leader := c.peers[i].GetState(); leader {
					leaders[term] = append(leaders[term], i)
					lastTerm = max(lastTerm, term)
				}
			}
		}
		for term := 0; term <= lastTerm; term++ {
			if ls := leaders[term]; len(ls) > 1 {
				c.Fatalf("term %d has %d (>1) leaders", term, len(ls))
			}
		}
		if lastTerm >= 0 {
			return leaders[lastTerm][0]
		}
	}
	c.Fatalf("expected one leader, got none")
	return -1
}

// CheckTerms requires every connected peer to agree on the term.
func (c *Cluster) CheckTerms() int {
	term := -1
	for i := 0; i < c.N; i++ {
		if c.connected[i] && c.Peer(i) != nil {
			t, _ := c.peers[i].GetState()
			if term == -1 {
				term = t
			} else if term != t {
				c.Fatalf("servers disagree on term")
			}
		}
	}
	return term
}

// CheckNoLeader requires that no connected peer thinks it is leader.
func (c *Cluster) CheckNoLeader() {
	for i := 0; i < c.N; i++ {
		if c.connected[i] && c.Peer(i) != nil {
			if _, leader := c.peers[i].GetState(); leader {
				c.Fatalf("expected no leader, but %d claims to be leader", i)
			}
		}
	}
}

// NCommitted counts the peers that applied index, and returns the value.
//
// The original also fails if two peers applied different values at index ("committed
// values do not match"). Here that fails the run earlier, at the second peer's apply
// (record, the original applier's check): what a peer applied at index is the group's
// history's value there, so the peers that applied index agree by construction, and
// counting is all that is left. NCommitted, comparing the values on every poll of every
// client, was 1% of raft/Swarm's instructions.
func (c *Cluster) NCommitted(index int) (int, []byte) {
	if index < 1 {
		return 0, nil
	}
	count := 0
	for i := 0; i < c.N; i++ {
		if index <= c.logLen[i] {
			count++
		}
	}
	if count == 0 {
		return 0, nil
	}
	return count, c.history.cmd(index)
}

// Wait waits for at least n peers to commit index, with the original's
// backoff (10 ms doubling to 1 s, 30 polls); it gives up (returns nil) if a
// peer moves past startTerm.
func (c *Cluster) Wait(index, n, startTerm int) []byte {
	// The original counts once more after its loop; here the count the loop ended on is
	// that count (nothing runs between them), which halves the counting of the churn
	// scenarios' final check of every index.
	to := 10 * time.Millisecond
	nd, cmd := c.NCommitted(index)
	for iters := 0; iters < 30 && nd < n; iters++ {
		c.P.Sleep(to)
		if to < time.Second {
			to *= 2
		}
		if startTerm > -1 {
			for _, p := range c.peers {
				if p != nil && p.Node().Up() {
					if t, _ := p.GetState(); t > startTerm {
						return nil
					}
				}
			}
		}
		nd, cmd = c.NCommitted(index)
	}
	if nd < n {
		c.Fatalf("only %d decided for index %d; wanted %d", nd, index, n)
	}
	return cmd
}

// One submits cmd and waits for expected peers to agree on it: 10 s
// overall, 2 s per accepted Start; with retry false the first 2 s miss is
// fatal.
func (c *Cluster) One(cmd []byte, expected int, retry bool) int {
	start := c.W.Now()
	starts := 0
	for c.W.Now()-start < 10*time.Second {
		index := -1
		for si := 0; si < c.N; si++ {
			starts = (starts + 1) % c.N
			if c.connected[starts] && c.Peer(starts) != nil {
				if idx, _, ok := c.peers[starts].Start(cmd); ok {
					index = idx
					break
				}
			}
		}
		if index != -1 {
			t1 := c.W.Now()
			for c.W.Now()-t1 < 2*time.Second {
				if nd, got := c.NCommitted(index); nd > 0 && nd >= expected && bytes.Equal(got, cmd) {
					return index
				}
				c.P.Sleep(20 * time.Millisecond)
			}
			if !retry {
				c.Fatalf("one(%s) failed to reach agreement", short(cmd))
			}
		} else {
			c.P.Sleep(50 * time.Millisecond)
		}
	}
	c.Fatalf("one(%s) failed to reach agreement", short(cmd))
	return -1
}

// End logs the original's "... Passed" line (config.go end()): virtual
// seconds, peers, RPCs sent, bytes, and agreements (the highest index
// committed). It checks nothing; replay -v shows it.
func (c *Cluster) End() {
	c.W.Logf(nil, "... Passed -- %4.1f %d %5d %7d %4d", c.W.Now().Seconds(), c.N, c.RPCTotal(), c.BytesTotal(),
		c.Checker.MaxCommitted())
}

// LogSize is the largest persisted Raft state over all peers (crashed ones
// included), 6.824's LogSize.
func (c *Cluster) LogSize() int {
	size := 0
	for _, n := range c.Nodes {
		size = max(size, rafthost.StoredStateSize(n.Disk))
	}
	return size
}

// Cmd encodes an int command as the tests' values are ints.
// One allocation: the decimal digits appended to a nil slice (a string converted to bytes
// was two).
func Cmd(v int) []byte { return strconv.AppendInt(nil, int64(v), 10) }

// intCmd is Cmd kept in the cluster's command chunks (commandArena), for the clients that
// propose thousands of commands a run.
func (c *Cluster) intCmd(v int) []byte {
	var a [20]byte
	return c.commands.keep(strconv.AppendInt(a[:0], int64(v), 10))
}

// commandArena holds the commands the harness's clients make, copied into chunks of up to
// commandChunk bytes (the first commandChunk/8, each next one twice the last), each capped
// so that an append to one cannot reach the next: one allocation for a hundred or so of them
// rather than one each (a tenth of raft/Swarm's allocations). The history keeps every
// command applied for the whole run anyway. The cluster and its views (On) share one arena:
// each view carving from a copy of the chunk would hand out the same bytes twice. It is
// raft.(*Raft).keepCommand's scheme, written again because the core imports only the
// standard library (TestCoreImportsOnlyTheStandardLibrary).
type commandArena struct{ chunk []byte }

const commandChunk = 2048

// keep returns a copy of b in the arena.
func (a *commandArena) keep(b []byte) []byte {
	if len(b) > commandChunk/8 {
		return append(make([]byte, 0, len(b)), b...)
	}
	if cap(a.chunk)-len(a.chunk) < len(b) || a.chunk == nil {
		a.chunk = make([]byte, 0, min(max(2*cap(a.chunk), commandChunk/8), commandChunk))
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return a.chunk[start:len(a.chunk):len(a.chunk)]
}

// short abbreviates a command for failure messages.
func short(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}
