package kvsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestSwarmReachesTheProbes: kv/Swarm gets to the states where the service's classic bugs
// live (see kv.ProbePendingIndexTaken and kv.ProbeDuplicateAfterSnapshot) within its first
// seeds; simrun's summary counts them over any sweep.
func TestSwarmReachesTheProbes(t *testing.T) {
	want := []string{"kv/pending-request-index-taken", "kv/duplicate-after-snapshot"}
	for _, name := range want {
		_, ok := sim.LookupProbe(name)
		require.True(t, ok, "probe %s is declared", name)
	}
	sc, _ := sim.Lookup("kv/Swarm")
	first := map[string]uint64{}
	for seed := uint64(1); seed <= 20 && len(first) < len(want); seed++ {
		res := sim.RunScenario(sc, sim.Options{Seed: seed})
		require.True(t, res.Passed(), "seed %d: %v", seed, res.Failure)
		for _, name := range want {
			if _, seen := first[name]; !seen && res.Probes[name] > 0 {
				first[name] = seed
			}
		}
	}
	for _, name := range want {
		require.Contains(t, first, name, "no kv/Swarm seed in 1-20 reached %s", name)
		t.Logf("%s: first reached at seed %d", name, first[name])
	}
}
