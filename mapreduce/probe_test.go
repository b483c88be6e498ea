package mapreduce

import (
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestSwarmReachesReduceReissuedAfterCrashMidWrite: the Swarm scenario gets to
// the state its crash mid-write exists for, a reduce handed out again after
// its worker died writing the output, within its first seeds. Set
// MR_PROBE_SEEDS=200 to count over a wider sweep.
func TestSwarmReachesReduceReissuedAfterCrashMidWrite(t *testing.T) {
	const name = "mapreduce/reduce-reissued-after-crash-mid-write"
	_, ok := sim.LookupProbe(name)
	require.True(t, ok, "probe %s is declared", name)
	s, _ := sim.Lookup("mapreduce/Swarm")
	seeds, sweep := uint64(40), false
	if n, err := strconv.Atoi(os.Getenv("MR_PROBE_SEEDS")); err == nil {
		seeds, sweep = uint64(n), true
	}
	reached := 0
	for seed := uint64(1); seed <= seeds; seed++ {
		res := sim.RunScenario(s, sim.Options{Seed: seed})
		require.True(t, res.Passed(), "seed %d: %v", seed, res.Failure)
		if res.Probes[name] > 0 {
			reached++
			if !sweep {
				break
			}
		}
	}
	t.Logf("%s reached in %d of seeds 1-%d", name, reached, seeds)
	require.NotZero(t, reached, "no Swarm seed in 1-%d reached %s", seeds, name)
}
