package mapreduce

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func mapreduceScenarios(t testing.TB) []*sim.Scenario {
	ss, err := sim.Match("mapreduce/*")
	require.NoError(t, err)
	return ss
}

func TestScenariosRegistered(t *testing.T) {
	var names []string
	for _, s := range mapreduceScenarios(t) {
		names = append(names, s.Name)
		require.NotEmpty(t, s.Description)
	}
	require.Equal(t, []string{"mapreduce/MapParallelism", "mapreduce/ReduceParallelism", "mapreduce/Swarm",
		"mapreduce/crash", "mapreduce/indexer", "mapreduce/wc"}, names)
	for _, name := range OriginalScenarios {
		_, ok := sim.Lookup(name)
		require.True(t, ok, name)
	}
}

// TestScenariosPass runs every scenario on a few seeds; simrun sweeps more.
func TestScenariosPass(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, s := range mapreduceScenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			for _, seed := range seeds {
				res := sim.RunScenario(s, sim.Options{Seed: seed})
				require.Equal(t, sim.Pass, res.Outcome, "seed %d: %v", seed, res.Failure)
			}
		})
	}
}

func TestScenariosAreDeterministic(t *testing.T) {
	for _, s := range mapreduceScenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			res, div := sim.CheckDeterminism(s, sim.Options{Seed: 4})
			require.Nil(t, div)
			require.Equal(t, sim.Pass, res.Outcome, "%v", res.Failure)
		})
	}
}

// TestSwarmUnderOtherProfiles: the Swarm scenario's checks hold whatever
// fault profile the user names.
func TestSwarmUnderOtherProfiles(t *testing.T) {
	s, _ := sim.Lookup("mapreduce/Swarm")
	for _, profile := range []string{"none", "unreliable", "partitions", "crashes"} {
		res := sim.RunScenario(s, sim.Options{Seed: 5, Faults: profile})
		require.Equal(t, sim.Pass, res.Outcome, "%s: %v", profile, res.Failure)
	}
}

// TestSwarmHasTeeth checks that the Swarm scenario exercises what it claims
// to, over its first seeds: a worker crashed mid-write, a worker paused past
// the task timeout, a stale completion ignored, a duplicated report, a
// worker giving up on an unreachable coordinator. A change that quietly
// stopped producing one of them would leave the checks nothing to catch.
func TestSwarmHasTeeth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 20 swarm seeds")
	}
	s, _ := sim.Lookup("mapreduce/Swarm")
	want := []string{"swarm: crash", "swarm: pause", ": stale", ": duplicate", "coordinator unreachable"}
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 20 && len(seen) < len(want); seed++ {
		res := sim.RunScenario(s, sim.Options{Seed: seed, Trace: func(r sim.Record) {
			for _, w := range want {
				if strings.Contains(r.Note, w) {
					seen[w] = true
				}
			}
		}})
		require.True(t, res.Passed(), "seed %d: %v", seed, res.Failure)
	}
	for _, w := range want {
		require.True(t, seen[w], "no swarm seed in 1-20 produced %q", w)
	}
}
