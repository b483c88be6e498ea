package register_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/register"
	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

func TestScenariosPass(t *testing.T) {
	for _, name := range []string{"example/Register", "example/RegisterSwarm"} {
		sc, ok := sim.Lookup(name)
		require.True(t, ok, name)
		for seed := uint64(1); seed <= 20; seed++ {
			res := sim.RunScenario(sc, sim.Options{Seed: seed})
			require.True(t, res.Passed(), "%s seed %d: %v", name, seed, res.Failure)
		}
	}
}

// A primary that acknowledges writes before their sync completed loses an
// acknowledged write when a crash lands between its acknowledgement and the
// end of the sync, and the client's read check sees it: on some seed of a
// small sweep, under the crash profile and under the swarm.
func TestUnsyncedAcknowledgementIsCaught(t *testing.T) {
	for _, tc := range []struct {
		profile string
		seeds   uint64
	}{{"crashes", 100}, {"swarm", 500}} {
		broken := &sim.Scenario{Name: "example/broken", Faults: tc.profile, Main: register.Main(register.Config{SkipSync: true})}
		caught := false
		for seed := uint64(1); seed <= tc.seeds && !caught; seed++ {
			res := sim.RunScenario(broken, sim.Options{Seed: seed})
			if !res.Passed() {
				require.Equal(t, "register/reads", res.Failure.Check)
				require.Contains(t, res.Failure.Error(), "last acknowledged write")
				require.Positive(t, res.Storage.Unsynced, "%s seed %d: caught, but no crash found unsynced writes", tc.profile, seed)
				caught = true
			}
		}
		require.True(t, caught, "%d seeds of %s: a primary that acknowledges unsynced writes was never caught", tc.seeds, tc.profile)
	}
}

// withStorageFaults returns the plan profile draws for seed, with every
// storage fault on: unsynced operations kept, torn and reordered on every
// replica, and corruption on replica corrupt (as the swarm profile does for
// one node).
func withStorageFaults(t *testing.T, profile string, seed uint64, corrupt int) string {
	w := sim.NewWorld(sim.Options{Seed: seed})
	plan, err := faults.Generate(profile, w.Rand("faults/"+profile), faults.Shape{Nodes: 3, Duration: 10 * time.Second, Base: netsim.Reliable()})
	require.NoError(t, err)
	all := &sim.DiskFaults{KeepSomeUnsynced: true, TearLast: true, Reorder: true}
	one := *all
	one.Corrupt = true
	acts := []faults.Action{
		{At: 0, Kind: faults.Disk, Nodes: []int{0, 1, 2}, Disk: all},
		{At: 0, Kind: faults.Disk, Nodes: []int{corrupt}, Disk: &one},
	}
	for _, a := range plan.Actions {
		if a.Kind != faults.Disk {
			acts = append(acts, a)
		}
	}
	plan.Actions = acts
	return string(plan.JSON())
}

// With every storage fault on, the register never loses or travels back
// over an acknowledged write: a replica whose synced state was corrupted
// refuses to serve instead. The sweep must see crashes find unsynced and
// corrupted data, and a replica halt.
func TestStorageFaultsNeverLoseAnAcknowledgedWrite(t *testing.T) {
	var stats sim.StorageStats
	halted := uint64(0)
	for _, profile := range []string{"swarm", "crashes"} {
		sc := &sim.Scenario{Name: "example/RegisterStorage", Faults: profile, Main: register.Main(register.Config{})}
		for seed := uint64(1); seed <= 100; seed++ {
			spec := withStorageFaults(t, profile, seed, int(seed%3))
			res := sim.RunScenario(sc, sim.Options{Seed: seed, Faults: spec})
			require.True(t, res.Passed(), "%s seed %d: %v", profile, seed, res.Failure)
			stats.Crashes += res.Storage.Crashes
			stats.Unsynced += res.Storage.Unsynced
			stats.Corrupted += res.Storage.Corrupted
			halted += res.Probes["example/register-halted-on-corrupt-state"]
		}
	}
	t.Logf("storage: %+v, replicas halted: %d", stats, halted)
	require.Positive(t, stats.Unsynced)
	require.Positive(t, stats.Unsynced)
	require.Positive(t, stats.Corrupted)
	require.Positive(t, halted)
}
