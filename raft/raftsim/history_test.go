package raftsim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// log returns what peer i applied, index 1 first (nil if nothing).
func (c *Cluster) log(i int) [][]byte {
	var l [][]byte
	for k := 1; k <= c.logLen[i]; k++ {
		l = append(l, c.history.cmd(k))
	}
	return l
}

// historyOf is the group's history of values vs, with digests.
func historyOf(vs ...string) *history { return historyWith(true, vs...) }

// historyWith is the group's history of values vs, with digests or not.
func historyWith(digests bool, vs ...string) *history {
	h := newHistory(digests)
	for i, v := range vs {
		_, _, conflict := h.add(0, i+1, []byte(v))
		if conflict {
			panic("conflict")
		}
	}
	return h
}

// onCluster runs f on a one-peer cluster that takes no snapshots of its own, with digest
// or full snapshots and the group's history vs, in a world of its own, and returns how the
// run ended: f's calls that fail the run (W.Fail) fail it.
func onCluster(t *testing.T, digests bool, vs []string, f func(c *Cluster)) sim.Result {
	t.Helper()
	h := historyWith(digests, vs...)
	s := &sim.Scenario{Name: "raft/HarnessTest", Main: func(p *sim.Proc) error {
		w := p.World()
		c := &Cluster{P: p, W: w, N: 1, Nodes: []*sim.Node{w.AddNode("raft0", func(*sim.Node) {})},
			logLen: make([]int, 1), values: make([][]byte, 1), applied: make([]int, 1),
			snapshots: true, snapEvery: []int{0}, digests: digests, history: h}
		f(c)
		return nil
	}}
	return sim.RunScenario(s, sim.Options{Seed: 1})
}

func onDigestCluster(t *testing.T, vs []string, f func(c *Cluster)) sim.Result {
	t.Helper()
	return onCluster(t, true, vs, f)
}

// TestDigestIngestTakesTheHistorysPrefix: a digest snapshot of the group's history through
// its index leaves the peer's log holding exactly that prefix and its applied index at it,
// whatever the peer applied before (nothing, a prefix, more, with a previous instance's
// values beyond), installed while running or restored at a boot.
func TestDigestIngestTakesTheHistorysPrefix(t *testing.T) {
	vs := []string{"a", "bb", "c", "dd", "e"}
	for _, tc := range []struct {
		name    string
		applied int // the peer applied vs[:applied]
		extra   int // and its log holds vs[applied:applied+extra] from a previous instance
		index   int // the snapshot's
	}{
		{"nothing applied", 0, 0, 3},
		{"nothing applied, an old log", 0, 4, 3},
		{"a prefix applied", 2, 0, 4},
		{"all of it applied", 3, 0, 3},
		{"more applied than the snapshot covers", 4, 1, 2},
		{"the whole history", 1, 0, 5},
	} {
		for _, boot := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/boot=%v", tc.name, boot), func(t *testing.T) {
				res := onDigestCluster(t, vs, func(c *Cluster) {
					c.logLen[0] = tc.applied + tc.extra // a prefix of the history, vs
					c.applied[0] = tc.applied
					k := c.applied[0]
					if boot {
						c.applied[0] = 0
					}
					require.Equal(t, tc.index, c.ingest(0, c.history.digestSnapshot(tc.index), nil, k))
					var want [][]byte
					for _, v := range vs[:tc.index] {
						want = append(want, []byte(v))
					}
					require.Equal(t, want, c.log(0))
					require.Equal(t, tc.index, c.applied[0])
				})
				require.True(t, res.Passed(), "%v", res.Failure)
			})
		}
	}
}

// TestDigestIngestRefusesOtherHistories: a digest snapshot that does not name the group's
// history through its index (another value at one index, another index for the same
// values, an index past what the group applied, bytes that are no digest) fails the run
// as the apply checker, at the ingest.
func TestDigestIngestRefusesOtherHistories(t *testing.T) {
	vs := []string{"a", "bb", "c", "dd"}
	other := historyOf("a", "bx", "c", "dd")
	split := historyOf("a", "b", "bc", "dd") // the same bytes cut into other values
	same, longer := historyOf(vs...), historyOf("a", "bb", "c", "dd", "e")
	for _, tc := range []struct {
		name string
		snap []byte
	}{
		{"another value", other.digestSnapshot(3)},
		{"the same bytes split otherwise", split.digestSnapshot(3)},
		{"another index", append([]byte("2"), same.digestSnapshot(3)[1:]...)},
		{"beyond the history", longer.digestSnapshot(5)},
		{"not a digest", []byte("3\na\nbb\nc")},
		{"a digest cut short", same.digestSnapshot(3)[:10]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := onDigestCluster(t, vs, func(c *Cluster) { c.ingest(0, tc.snap, nil, 0) })
			require.False(t, res.Passed())
			require.Equal(t, "apply", res.Failure.Check, "%v", res.Failure)
		})
	}
}

// TestDigestApplyChecksTheHistory: with digest snapshots a peer's log may be the only
// record of an index no other peer's log holds any more, so apply holds every value to
// the group's history: a value other than the one applied at its index before fails the
// run, even when no peer's log holds that index now.
func TestDigestApplyChecksTheHistory(t *testing.T) {
	res := onDigestCluster(t, []string{"a", "bb", "c"}, func(c *Cluster) {
		c.apply(0, &raft.ApplyMsg{CommandValid: true, CommandIndex: 1, Command: []byte("a")})
		c.apply(0, &raft.ApplyMsg{CommandValid: true, CommandIndex: 2, Command: []byte("bx")})
	})
	require.False(t, res.Passed())
	require.Equal(t, "apply", res.Failure.Check, "%v", res.Failure)
	require.Contains(t, res.Failure.Err.Error(), "commit index=2")

	res = onDigestCluster(t, []string{"a"}, func(c *Cluster) {
		for i, v := range []string{"a", "bb", "c"} {
			c.apply(0, &raft.ApplyMsg{CommandValid: true, CommandIndex: i + 1, Command: []byte(v)})
		}
		require.Equal(t, historyOf("a", "bb", "c"), c.history, "applies past the history extend it")
	})
	require.True(t, res.Passed(), "%v", res.Failure)
}

// TestSwarmSnapshotsAreDigests: raft/Swarm's peers write digest snapshots of the run's
// history (what makes its snapshots cost the same at the end of a run as at the start).
func TestSwarmSnapshotsAreDigests(t *testing.T) {
	var c *Cluster
	o := defaultSwarm()
	o.observe = func(cl *Cluster) { c = cl }
	s := &sim.Scenario{Name: "raft/Swarm", Faults: "swarm", Main: func(p *sim.Proc) error { runSwarm(p, o); return nil }}
	res := sim.RunScenario(s, sim.Options{Seed: 1})
	require.True(t, res.Passed(), "%v", res.Failure)
	require.True(t, c.digests)
	digests := 0
	for i := 0; i < c.N; i++ {
		snap, err := rafthost.StoredSnapshot(c.Nodes[i].Disk)
		if err == nil && len(snap.Data) > 0 {
			index, sum, ok := parseDigest(snap.Data)
			require.True(t, ok, "peer %d's snapshot %q", i, short(snap.Data))
			require.Equal(t, c.history.sum(index), sum, "peer %d's snapshot at %d", i, index)
			digests++
		}
	}
	require.Positive(t, digests, "no peer holds a snapshot at the end of seed 1")
}

// TestNCommittedCountsPrefixes: a peer applied index if its applied prefix of the group's
// history reaches it, and the value is the history's there.
func TestNCommittedCountsPrefixes(t *testing.T) {
	c := &Cluster{N: 3, logLen: []int{2, 0, 3}, history: historyWith(false, "a", "bb", "c")}
	for _, tc := range []struct {
		index, n int
		v        string
	}{{0, 0, ""}, {1, 2, "a"}, {2, 2, "bb"}, {3, 1, "c"}, {4, 0, ""}} {
		n, v := c.NCommitted(tc.index)
		require.Equal(t, tc.n, n, "index %d", tc.index)
		require.Equal(t, tc.v, string(v), "index %d", tc.index)
	}
}
