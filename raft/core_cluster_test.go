package raft_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/raftcheck"
)

// A tiny in-test harness: N cores wired together by passing messages directly, in FIFO
// order, with instant delivery, on a virtual clock. Each node persists through the
// persist.go encoding into in-memory "files", so a crash and restart goes through the real
// record format. The safety checks are package raftcheck's, the same the simulator runs:
// every boot and every persisted Ready goes through them. (This file is package raft_test
// because raftcheck imports raft.)

var chaosSeeds = flag.Int("chaos-seeds", 40, "seeds for TestClusterChaos")

type memStore struct{ hard, snap, log []byte }

type clusterNode struct {
	r       *raft.Raft
	up      bool
	store   memStore
	applied map[int]string // index -> command, as this incarnation's service saw it
	last    int            // last applied index
}

type cluster struct {
	t       *testing.T
	fail    func(format string, args ...any) // reports a safety or liveness violation
	n       int
	now     time.Duration
	nodes   []*clusterNode
	queue   []raft.Message
	cut     []bool // isolated from the network
	rng     *rand.Rand
	loss    float64 // probability of dropping a message
	dup     float64 // probability of duplicating a message
	reorder bool    // deliver queued messages in random order
	steps   int     // messages delivered, to catch a livelock
	// configure, if set, edits every node's raft.Config (to switch on the Unsafe knobs).
	configure func(*raft.Config)
	snapshot  int // take a snapshot every this many applied commands (0 = never)
	checker   *raftcheck.Checker
	// onViolation, if set, is told of a broken safety property instead of fail.
	onViolation func(*raftcheck.Violation)
	sent        map[raft.MsgType]int
}

// pcgRand adapts math/rand/v2 to raft.Rand.
type pcgRand struct{ r *rand.Rand }

func (p pcgRand) Int64N(n int64) int64 { return p.r.Int64N(n) }

// check reports a violation the checker found.
func (c *cluster) check(err error) {
	var v *raftcheck.Violation
	if errors.As(err, &v) {
		c.violated(v)
	} else if err != nil {
		c.fail("%v", err)
	}
}

// violated reports a broken safety property, to onViolation if set.
func (c *cluster) violated(v *raftcheck.Violation) {
	if c.onViolation != nil {
		c.onViolation(v)
		return
	}
	c.fail("raft/%s: %v", v.Check, v.Err)
}

// committed returns the command the checker saw applied at index ("" if none).
func (c *cluster) committed(index int) string {
	cmd, _ := c.checker.Committed(index)
	return string(cmd)
}

func newCluster(t *testing.T, n int, seed uint64) *cluster {
	c := &cluster{t: t, fail: t.Fatalf, n: n, cut: make([]bool, n), rng: rand.New(rand.NewPCG(seed, seed^1)),
		checker: raftcheck.New(n), sent: map[raft.MsgType]int{}}
	for i := range n {
		c.nodes = append(c.nodes, &clusterNode{})
		c.start(i)
	}
	return c
}

func (c *cluster) config(i int) raft.Config {
	cfg := raft.DefaultConfig(i, c.n, pcgRand{rand.New(rand.NewPCG(c.rng.Uint64(), uint64(i)))})
	if c.configure != nil {
		c.configure(&cfg)
	}
	return cfg
}

// start boots node i from its store.
func (c *cluster) start(i int) {
	nd := c.nodes[i]
	hard, err := raft.DecodeHardState(nd.store.hard)
	require.NoError(c.t, err)
	snap, err := raft.DecodeSnapshot(nd.store.snap)
	require.NoError(c.t, err)
	recs, valid, err := raft.DecodeLogRecords(nd.store.log)
	require.NoError(c.t, err)
	require.Equal(c.t, len(nd.store.log), valid)
	ents, err := raft.ReplayLog(recs, snap.Meta)
	require.NoError(c.t, err)
	rec := raft.Persistent{Hard: hard, Snapshot: snap.Meta, SnapshotData: snap.Data, Entries: ents}
	c.check(c.checker.Booted(i, rec))
	nd.r = raft.New(c.config(i), rec, c.now)
	nd.up = true
	nd.applied = map[int]string{}
	nd.last = snap.Meta.Index // the service restores the snapshot itself
}

func (c *cluster) crash(i int) {
	c.nodes[i].up = false
	c.nodes[i].r = nil
}

// process drains node i's Readies: persist, send, apply, advance.
func (c *cluster) process(i int) {
	nd := c.nodes[i]
	for nd.up && nd.r.HasReady() {
		rd := nd.r.Ready()
		if rd.Snapshot != nil {
			nd.store.snap = raft.EncodeSnapshot(*rd.Snapshot)
		}
		nd.store.log = raft.AppendReadyRecords(nd.store.log, &rd)
		if rd.Hard != nil {
			nd.store.hard = raft.EncodeHardState(*rd.Hard)
		}
		c.check(c.checker.Persisted(i, nd.r, &rd))
		for _, m := range rd.Messages {
			c.sent[m.Type]++
			c.queue = append(c.queue, *m.Clone().(*raft.Message))
		}
		for _, a := range rd.Apply {
			c.apply(i, a)
		}
		nd.r.Advance(&rd)
	}
}

// apply is the service: the checker has already checked the order and the commands (state
// machine safety, snapshot-advances) when the Ready was persisted.
func (c *cluster) apply(i int, a raft.ApplyMsg) {
	nd := c.nodes[i]
	if a.SnapshotValid {
		nd.last = a.SnapshotIndex
		return
	}
	require.True(c.t, a.CommandValid)
	nd.last = a.CommandIndex
	nd.applied[a.CommandIndex] = string(a.Command)
	if c.snapshot > 0 && a.CommandIndex%c.snapshot == 0 {
		nd.r.Snapshot(a.CommandIndex, []byte(fmt.Sprint(a.CommandIndex)))
	}
}

// deliver delivers queued messages until the network is quiet.
func (c *cluster) deliver() {
	for len(c.queue) > 0 {
		k := 0
		if c.reorder {
			k = c.rng.IntN(len(c.queue))
		}
		m := c.queue[k]
		c.queue = slices.Delete(c.queue, k, k+1)
		if c.dup > 0 && c.rng.Float64() < c.dup {
			c.queue = append(c.queue, *m.Clone().(*raft.Message))
		}
		if c.cut[m.From] || c.cut[m.To] || !c.nodes[m.To].up || (c.loss > 0 && c.rng.Float64() < c.loss) {
			continue
		}
		c.steps++
		if c.steps > 2_000_000 {
			c.fail("livelock: %v -> %v", m, c.nodes[m.To].r)
		}
		c.nodes[m.To].r.Step(c.now, m)
		c.process(m.To)
	}
}

// run advances virtual time by d, firing timers in deadline order.
func (c *cluster) run(d time.Duration) {
	end := c.now + d
	for {
		c.deliver()
		next, who := end+1, -1
		for i, nd := range c.nodes {
			if nd.up && nd.r.Deadline() < next {
				next, who = nd.r.Deadline(), i
			}
		}
		if who < 0 || next > end {
			c.now = end
			return
		}
		c.now = max(c.now, next)
		c.nodes[who].r.Tick(c.now)
		c.process(who)
	}
}

// leader returns the single leader among connected, running nodes of the highest term.
func (c *cluster) leader() int {
	best, bestTerm := -1, -1
	for i, nd := range c.nodes {
		if !nd.up || c.cut[i] {
			continue
		}
		if term, ok := nd.r.State(); ok && term > bestTerm {
			best, bestTerm = i, term
		}
	}
	return best
}

// propose submits cmd at the leader and runs until it commits on want nodes.
func (c *cluster) one(cmd string, want int) int {
	c.t.Helper()
	for range 50 {
		if l := c.leader(); l >= 0 {
			idx, _, ok := c.nodes[l].r.Propose(c.now, []byte(cmd))
			if ok {
				c.process(l)
				for range 40 {
					c.run(50 * time.Millisecond)
					if c.countApplied(idx, cmd) >= want {
						return idx
					}
				}
			}
		}
		c.run(100 * time.Millisecond)
	}
	c.fail("%q did not commit on %d nodes", cmd, want)
	return 0
}

func (c *cluster) countApplied(idx int, cmd string) int {
	n := 0
	for _, nd := range c.nodes {
		if nd.up && nd.last >= idx {
			if got, ok := nd.applied[idx]; !ok || got == cmd {
				n++ // a snapshot covering idx counts: the checker checked it
			}
		}
	}
	return n
}

// faulty counts nodes that are cut off or down.
func (c *cluster) faulty() int {
	n := 0
	for i, nd := range c.nodes {
		if c.cut[i] || !nd.up {
			n++
		}
	}
	return n
}

func TestClusterElectsOneLeader(t *testing.T) {
	c := newCluster(t, 3, 1)
	for range 40 {
		if c.leader() >= 0 {
			break
		}
		c.run(50 * time.Millisecond)
	}
	l := c.leader()
	require.GreaterOrEqual(t, l, 0, "a leader within 2 s")
	term, _ := c.nodes[l].r.State()
	for _, nd := range c.nodes {
		got, _ := nd.r.State()
		require.Equal(t, term, got, "all nodes agree on the term")
	}
	votes := c.sent[raft.MsgVote]
	require.LessOrEqual(t, votes+c.sent[raft.MsgApp], 30, "6.824 TestCount2B: electing uses at most 30 RPCs")

	// 1 s idle: one append per follower per heartbeat (TestCount2B allows 60).
	before := c.sent[raft.MsgApp]
	c.run(time.Second)
	require.LessOrEqual(t, c.sent[raft.MsgApp]-before, 2*10+2)
	require.Equal(t, term, func() int { tm, _ := c.nodes[l].r.State(); return tm }(), "a stable leader keeps its term")
}

func TestClusterRPCCount(t *testing.T) {
	c := newCluster(t, 3, 2)
	c.run(2 * time.Second)
	l := c.leader()
	require.GreaterOrEqual(t, l, 0)
	before := c.sent[raft.MsgApp] + c.sent[raft.MsgVote] + c.sent[raft.MsgSnap]
	var last int
	for i := range 12 {
		idx, _, ok := c.nodes[l].r.Propose(c.now, []byte(fmt.Sprint("cmd", i)))
		require.True(t, ok)
		c.process(l)
		last = idx
	}
	for range 20 {
		c.run(20 * time.Millisecond)
		if c.countApplied(last, "cmd11") == 3 {
			break
		}
	}
	require.Equal(t, 3, c.countApplied(last, "cmd11"))
	rpcs := c.sent[raft.MsgApp] + c.sent[raft.MsgVote] + c.sent[raft.MsgSnap] - before
	require.LessOrEqual(t, rpcs, 42, "6.824 TestCount2B: 12 agreements use at most 42 RPCs")
}

func TestClusterReplicatesAndSurvivesLeaderChange(t *testing.T) {
	c := newCluster(t, 5, 3)
	for i := range 10 {
		c.one(fmt.Sprint("a", i), 5)
	}
	old := c.leader()
	c.cut[old] = true
	c.run(2 * time.Second)
	nl := c.leader()
	require.GreaterOrEqual(t, nl, 0)
	require.NotEqual(t, old, nl)
	// The old leader, cut off, accepts proposals that can never commit.
	for i := range 5 {
		_, _, ok := c.nodes[old].r.Propose(c.now, []byte(fmt.Sprint("lost", i)))
		require.True(t, ok)
		c.process(old)
	}
	for i := range 10 {
		c.one(fmt.Sprint("b", i), 4)
	}
	c.cut[old] = false
	c.one("after heal", 5)
	for idx := 1; idx <= 10; idx++ {
		require.Equal(t, fmt.Sprint("a", idx-1), c.committed(idx), "committed entries survive the leader change")
	}
	for _, nd := range c.nodes {
		for _, cmd := range nd.applied {
			require.NotContains(t, cmd, "lost")
		}
	}
}

func TestClusterRestartFromStorage(t *testing.T) {
	c := newCluster(t, 3, 4)
	for i := range 5 {
		c.one(fmt.Sprint("x", i), 3)
	}
	for i := range 3 {
		c.crash(i)
	}
	for i := range 3 {
		c.start(i)
	}
	idx := c.one("after restart", 3)
	require.Equal(t, 6, idx)
	for i := 1; i <= 6; i++ {
		require.Equal(t, 3, c.countApplied(i, c.committed(i)), "every node replays index %d", i)
	}
}

// TestClusterSnapshotInstall: a follower cut off while the others snapshot catches up via
// InstallSnapshot, and its apply stream stays in order.
func TestClusterSnapshotInstall(t *testing.T) {
	c := newCluster(t, 3, 5)
	c.snapshot = 10
	c.one("first", 3)
	l := c.leader()
	victim := (l + 1) % 3
	c.cut[victim] = true
	for i := range 35 {
		c.one(fmt.Sprint("s", i), 2)
	}
	require.Greater(t, c.nodes[l].r.FirstIndex(), c.nodes[victim].r.LastIndex()+1, "the leader compacted what the victim lacks")
	snaps := c.sent[raft.MsgSnap]
	c.cut[victim] = false
	c.crash(victim)
	c.start(victim)
	c.one("healed", 3)
	require.Greater(t, c.sent[raft.MsgSnap], snaps, "catching up needed a snapshot")
	require.Equal(t, c.nodes[l].r.LastIndex(), c.nodes[victim].r.LastIndex())
}

// chaos drives c through rounds of message loss, duplication, reordering, isolation and
// crash/restart with proposals on every node, then heals everything and returns the index
// of a final command committed on all nodes.
func chaos(c *cluster, rounds int, reorder bool) int {
	c.snapshot = 7
	c.loss, c.dup, c.reorder = 0.1, 0.05, reorder
	cmd := 0
	for range rounds {
		i := c.rng.IntN(c.n)
		switch x := c.rng.IntN(10); {
		case x < 2:
			clear(c.cut)
		case x < 4 && c.faulty() < (c.n-1)/2:
			c.cut[i] = true
		case x < 5 && c.faulty() < (c.n-1)/2 && c.nodes[i].up:
			c.crash(i)
		case x < 7 && !c.nodes[i].up:
			c.start(i)
		}
		for i, nd := range c.nodes {
			if nd.up && c.rng.IntN(2) == 0 {
				nd.r.Propose(c.now, []byte(fmt.Sprint("c", cmd)))
				cmd++
				c.process(i)
			}
		}
		c.run(time.Duration(c.rng.IntN(300)) * time.Millisecond)
	}
	c.loss, c.dup, c.reorder = 0, 0, false
	for i, nd := range c.nodes {
		c.cut[i] = false
		if !nd.up {
			c.start(i)
		}
	}
	return c.one("final", c.n)
}

// figure8 is 6.824's TestFigure82C on the harness: propose on every node, wait a little,
// crash the leader (with probability 1/crashOneIn), keep a majority up. It is the schedule that exposes Figure 8 commits
// and forgotten votes.
func figure8(c *cluster, rounds, crashOneIn int) int {
	up := func() int {
		n := 0
		for _, nd := range c.nodes {
			if nd.up {
				n++
			}
		}
		return n
	}
	c.loss, c.reorder = 0.2, true
	for r := range rounds {
		for i, nd := range c.nodes {
			if nd.up {
				nd.r.Propose(c.now, []byte(fmt.Sprint("f", r, ".", i)))
				c.process(i)
			}
		}
		if c.rng.IntN(3) == 0 {
			// Crash the leader before its appends are delivered: logs diverge.
			c.queue = slices.DeleteFunc(c.queue, func(m raft.Message) bool { return m.From == c.leader() && c.rng.IntN(2) == 0 })
		} else if c.rng.IntN(10) == 0 {
			c.run(time.Duration(c.rng.IntN(500)) * time.Millisecond)
		} else {
			c.run(time.Duration(c.rng.IntN(13)) * time.Millisecond)
		}
		if l := c.leader(); l >= 0 && c.rng.IntN(crashOneIn) == 0 {
			c.crash(l)
		}
		if up() < c.n/2+1 {
			for {
				if i := c.rng.IntN(c.n); !c.nodes[i].up {
					c.start(i)
					break
				}
			}
		}
	}
	c.loss, c.reorder = 0, false
	for i, nd := range c.nodes {
		if !nd.up {
			c.start(i)
		}
	}
	return c.one("final", c.n)
}

// TestClusterFigure8 runs the Figure 8 schedule with the safety checks on.
func TestClusterFigure8(t *testing.T) {
	for seed := range uint64(max(1, *chaosSeeds/4)) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			figure8(newCluster(t, 5, 200+seed), 1000, 1+int(seed%4))
		})
	}
}

// TestClusterChaos runs many seeds of chaos with the harness's safety checks on
// throughout, and checks that the healed cluster commits on every node.
func TestClusterChaos(t *testing.T) {
	seeds := *chaosSeeds
	if testing.Short() {
		seeds = 5
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			c := newCluster(t, 5, 100+seed)
			idx := chaos(c, 100, seed%2 == 1)
			require.Greater(t, idx, 10, "the run made progress")
			for i := 1; i <= idx; i++ {
				require.Equal(t, 5, c.countApplied(i, c.committed(i)))
			}
		})
	}
}

// TestClusterChaosCatchesUnsafeConfigs: the deliberately broken configurations are caught
// on some seed by the check that names the rule they break, before the core's own
// invariants or a liveness failure notice anything.
func TestClusterChaosCatchesUnsafeConfigs(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*raft.Config)
		schedule  func(c *cluster)
		checks    []string // the checks that may catch it
	}{
		{"UnsafeCommitOldTerms", func(c *raft.Config) { c.UnsafeCommitOldTerms = true }, func(c *cluster) { figure8(c, 1000, 4) },
			[]string{raftcheck.LeaderCompleteness, raftcheck.StateMachineSafety}},
		{"UnsafeForgetVote", func(c *raft.Config) { c.UnsafeForgetVote = true }, func(c *cluster) { figure8(c, 300, 1) },
			[]string{raftcheck.Durability}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(*chaosSeeds * 10) {
				caught := func() (caught any) {
					defer func() { caught = recover() }()
					c := newCluster(t, 5, 100+seed)
					c.configure = tt.configure
					for i := range c.n { // restart with the knob on
						c.crash(i)
						c.start(i)
					}
					c.onViolation = func(v *raftcheck.Violation) { panic(v) }
					tt.schedule(c)
					return nil
				}()
				if caught == nil {
					continue
				}
				v, ok := caught.(*raftcheck.Violation)
				require.True(t, ok, "seed %d: not caught by a check: %v", seed, caught)
				require.Contains(t, tt.checks, v.Check, "seed %d: %v", seed, v)
				t.Logf("seed %d: caught: %v", seed, v)
				return
			}
			t.Fatalf("%s was not caught in %d seeds", tt.name, *chaosSeeds*10)
		})
	}
}
