package kvsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// The scenarios of the issue: the whole 6.824 Lab 3 suite and kv/Swarm.
var wantScenarios = []string{
	"kv/Basic3A", "kv/Concurrent3A", "kv/Unreliable3A", "kv/UnreliableOneKey3A", "kv/OnePartition3A",
	"kv/ManyPartitionsOneClient3A", "kv/ManyPartitionsManyClients3A", "kv/PersistOneClient3A",
	"kv/PersistConcurrent3A", "kv/PersistConcurrentUnreliable3A", "kv/PersistPartition3A",
	"kv/PersistPartitionUnreliable3A", "kv/PersistPartitionUnreliableLinearizable3A",
	"kv/SnapshotRPC3B", "kv/SnapshotSize3B", "kv/SnapshotRecover3B", "kv/SnapshotRecoverManyClients3B",
	"kv/SnapshotUnreliable3B", "kv/SnapshotUnreliableRecover3B",
	"kv/SnapshotUnreliableRecoverConcurrentPartition3B",
	"kv/SnapshotUnreliableRecoverConcurrentPartitionLinearizable3B",
	"kv/Swarm",
}

func TestScenariosAreRegistered(t *testing.T) {
	scs, err := sim.Match("kv/*")
	require.NoError(t, err)
	var names []string
	for _, sc := range scs {
		names = append(names, sc.Name)
		require.NotEmpty(t, sc.Description, sc.Name)
	}
	require.ElementsMatch(t, wantScenarios, names)
}

// TestScenarios runs every kv scenario on a few seeds; each must pass.
func TestScenarios(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, name := range wantScenarios {
		sc, ok := sim.Lookup(name)
		require.True(t, ok, name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, seed := range seeds {
				res := sim.RunScenario(sc, sim.Options{Seed: seed})
				require.True(t, res.Passed(), "%s seed %d: %s: %v\nreplay: go run ./cmd/simrun replay -scenario %s -seed %d",
					name, seed, res.Outcome, res.Failure, name, seed)
			}
		})
	}
}

// TestDeterminism runs every kv scenario twice on one seed; the runs must be identical
// event by event, and the end checks (porcupine included) must agree.
func TestDeterminism(t *testing.T) {
	for _, name := range wantScenarios {
		sc, _ := sim.Lookup(name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, div := sim.CheckDeterminism(sc, sim.Options{Seed: 7})
			require.Nil(t, div, "%s: %v", name, div)
			require.True(t, res.Passed(), "%s seed 7: %s: %v", name, res.Outcome, res.Failure)
		})
	}
}

// TestScenariosDoWork guards against a scenario that passes because nothing happened: the
// generic tests complete hundreds of operations, and the Raft checkers see them.
func TestScenariosDoWork(t *testing.T) {
	for _, name := range []string{"kv/Basic3A", "kv/SnapshotRecover3B", "kv/PersistPartitionUnreliableLinearizable3A"} {
		var clusters []*Cluster
		sc, _ := Scenario(name, Config{OnCluster: func(c *Cluster) { clusters = append(clusters, c) }})
		res := sim.RunScenario(sc, sim.Options{Seed: 1})
		require.True(t, res.Passed(), "%s: %v", name, res.Failure)
		require.Len(t, clusters, 1)
		c := clusters[0]
		require.Greater(t, c.Ops(), 300, "%s: only %d operations", name, c.Ops())
		committed := 0
		for i := 1; ; i++ {
			if _, ok := c.Checker.Committed(i); !ok {
				break
			}
			committed++
		}
		require.Greater(t, committed, c.Ops()/2, "%s: the Raft checkers saw %d commands", name, committed)
		t.Logf("%s: %d operations, %d commands, %d events", name, c.Ops(), committed, res.Events)
	}
}

// TestValuesReachTheTraceHash: two runs that differ only in a value written (of the same
// length, so every message has the same size and every event the same time) differ in
// trace hash.
func TestValuesReachTheTraceHash(t *testing.T) {
	run := func(value string) uint64 {
		w := sim.NewWorld(sim.Options{Seed: 1})
		w.Spawn(nil, "main", func(p *sim.Proc) {
			c := NewCluster(p, Config{}, "digest", 3, false, -1)
			ck := c.MakeClient(c.All())
			c.Put(ck, "k", value)
			c.Check(ck, "k", value)
			w.Stop()
		})
		require.Nil(t, w.Run())
		return w.Hash()
	}
	require.Equal(t, run("aaaa"), run("aaaa"))
	require.NotEqual(t, run("aaaa"), run("bbbb"))
}

func TestAppendValueIsTheOriginals(t *testing.T) {
	require.Equal(t, "x 0 0 y", appendValue(0, 0))
	require.Equal(t, "x 14 1234567 y", appendValue(14, 1234567))
}
