package kvsim

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// The checks can fail: deliberately broken servers fail the scenarios, and the failure
// names the check that caught them.

// firstFailure runs scenario on seeds 1..maxSeeds, built with cfg (its broken servers),
// and returns the first failing run.
func firstFailure(t *testing.T, cfg Config, scenario string, maxSeeds uint64) sim.Result {
	t.Helper()
	t.Setenv("TMPDIR", t.TempDir()) // where porcupine's visualizations go (os.TempDir)
	sc, ok := Scenario(scenario, cfg)
	require.True(t, ok, scenario)
	for seed := uint64(1); seed <= maxSeeds; seed++ {
		if res := sim.RunScenario(sc, sim.Options{Seed: seed}); !res.Passed() {
			t.Logf("%s seed %d: %s: %v", scenario, seed, res.Outcome, res.Failure)
			return res
		}
	}
	t.Fatalf("%s passed seeds 1-%d with a broken server", scenario, maxSeeds)
	return sim.Result{}
}

// A server that answers Get from its local state, without the log, serves stale reads: a
// deposed leader in a minority answers at once (OnePartition3A's "Get in minority
// completed"), a leader that has not yet applied what its predecessor committed answers
// from behind (the crash scenarios' value checks, and the end of an iteration's check of
// each client's Appends, which finds the stale value missing some), and porcupine sees both.
func TestBrokenLocalGets(t *testing.T) {
	local := Config{UnsafeLocalGets: true}
	for _, tc := range []struct {
		scenario, check, message string
	}{
		{"kv/OnePartition3A", "kv/minority", "Get in minority completed"},
		{"kv/PersistPartitionUnreliableLinearizable3A", "kv/linearizability", "history is not linearizable: key"},
		{"kv/PersistOneClient3A", "kv/value", "get wrong value"},
		{"kv/PersistPartition3A", "kv/appends", "missing element"},
		{"kv/Swarm", "kv/linearizability", "history is not linearizable: key"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			res := firstFailure(t, local, tc.scenario, 300)
			require.Equal(t, sim.Fail, res.Outcome)
			require.Equal(t, tc.check, res.Failure.Check)
			require.ErrorContains(t, res.Failure.Err, tc.message)
		})
	}
}

// A server whose duplicate table lives outside the replicated state (a per-server map,
// not in the snapshot) applies a retried Append twice once a restart or an InstallSnapshot
// has lost the table: the value checks find the element twice, porcupine finds the history
// not linearizable.
func TestBrokenVolatileDedup(t *testing.T) {
	volatile := Config{UnsafeVolatileDedup: true}
	for _, tc := range []struct {
		scenario, check, message string
	}{
		{"kv/SnapshotUnreliableRecoverConcurrentPartition3B", "kv/appends", "duplicate element"},
		{"kv/SnapshotUnreliableRecoverConcurrentPartitionLinearizable3B", "kv/linearizability", "history is not linearizable: key"},
		{"kv/Swarm", "kv/linearizability", "history is not linearizable: key"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			res := firstFailure(t, volatile, tc.scenario, 300)
			require.Equal(t, sim.Fail, res.Outcome)
			if tc.check == "kv/appends" && res.Failure.Check == "kv/value" {
				tc.check, tc.message = "kv/value", "get wrong value" // a Get saw the element twice first
			}
			require.Equal(t, tc.check, res.Failure.Check)
			require.ErrorContains(t, res.Failure.Err, tc.message)
		})
	}
}

// TestConfigStaysWithItsScenario: a broken configuration is part of the scenario built with
// it, not of the process: while a broken kv/OnePartition3A runs (and fails), the registered
// one runs beside it, in parallel, and passes the same seed.
func TestConfigStaysWithItsScenario(t *testing.T) {
	broken, ok := Scenario("kv/OnePartition3A", Config{UnsafeLocalGets: true})
	require.True(t, ok)
	plain, ok := sim.Lookup("kv/OnePartition3A")
	require.True(t, ok)
	results := make([]sim.Result, 2)
	var wg sync.WaitGroup
	for i, sc := range []*sim.Scenario{broken, plain} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = sim.RunScenario(sc, sim.Options{Seed: 1})
		}()
	}
	wg.Wait()
	require.Equal(t, sim.Fail, results[0].Outcome, "the broken server: %v", results[0].Failure)
	require.Equal(t, "kv/minority", results[0].Failure.Check)
	require.True(t, results[1].Passed(), "the registered scenario: %s: %v", results[1].Outcome, results[1].Failure)
}
