package lease_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/lease"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// The registered scenarios pass, each seed run twice and compared event by
// event. go test ./examples/lease -run TestSweep -lockstep.seeds=1-500
// sweeps further; a failure prints the go test line and the runner's
// replay line that reproduce it.
func TestSweep(t *testing.T) {
	simtest.Sweep(t, "example/Lease*", simtest.Seeds("1-20"), simtest.CheckDeterminism(),
		simtest.Command("go run ./examples/lease/cmd/leasesim"))
}

// A sweep that passes means something only if it reached the states the
// bugs need: every probe of the example is reached within 20 seeds of the
// scenario meant to reach it.
func TestSweepsReachProbes(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		probes   []string
	}{
		{"example/Lease", []string{"example/lease-handoff-at-expiry", "example/lease-restart-grace", "example/lease-ran-out-mid-job"}},
		{"example/LeaseUnreliable", []string{"example/lease-grant-arrived-expired", "example/lease-stale-token-fenced"}},
		{"example/LeaseSwarm", []string{"example/lease-halted-on-corrupt-state", "example/lease-stale-token-fenced", "example/lease-restart-grace"}},
	} {
		sc, ok := sim.Lookup(tc.scenario)
		require.True(t, ok, tc.scenario)
		hits := map[string]uint64{}
		var storage sim.StorageStats
		for seed := uint64(1); seed <= 20; seed++ {
			res := sim.RunScenario(sc, sim.Options{Seed: seed})
			require.True(t, res.Passed(), "%s seed %d: %v", tc.scenario, seed, res.Failure)
			for name, n := range res.Probes {
				hits[name] += n
			}
			storage.Crashes += res.Storage.Crashes
			storage.Unsynced += res.Storage.Unsynced
		}
		for _, p := range tc.probes {
			require.Positive(t, hits[p], "%s seeds 1-20 never reached %s (reached: %v)", tc.scenario, p, hits)
		}
		if tc.scenario == "example/Lease" {
			require.Positive(t, storage.Unsynced, "%s: no crash ever found a write in flight", tc.scenario)
		}
	}
}

// Planted holds one row per planted switch of Config, and each switch alone.
func TestPlantedTable(t *testing.T) {
	names := map[string]bool{}
	for _, bug := range lease.Planted {
		require.False(t, names[bug.Name], bug.Name)
		names[bug.Name] = true
		require.NotEqual(t, lease.Config{}, bug.Config, bug.Name)
		require.NotEmpty(t, bug.Profile, bug.Name)
		require.Positive(t, bug.Seeds, bug.Name)
	}
	require.Len(t, names, 5)
}
