package lease_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/lease"
	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

// A plan written by hand for the fault a bug needs finds it on every seed,
// where the swarm profile's clock faults, drawn from the seed, find it on
// one seed in ten: testdata/skew.json runs the lock server's clock 1% fast
// and the clients' 1% slow, within the 5% margin of the correct system and
// beyond the none of NoDriftMargin. The correct system passes the same
// seeds.
func TestSkewPlanFindsNoDriftMargin(t *testing.T) {
	data, err := os.ReadFile("testdata/skew.json")
	require.NoError(t, err)
	_, err = faults.ParsePlan(data)
	require.NoError(t, err)
	run := func(cfg lease.Config, seed uint64) sim.Result {
		sc := &sim.Scenario{Name: "example/skew", Faults: "swarm", Main: lease.Main(cfg)}
		return sim.RunScenario(sc, sim.Options{Seed: seed, Faults: string(data)})
	}
	for seed := uint64(1); seed <= 20; seed++ {
		res := run(lease.Config{NoDriftMargin: true}, seed)
		require.Equal(t, sim.Fail, res.Outcome, "NoDriftMargin under skew.json passed seed %d", seed)
		require.Equal(t, lease.CheckExclusion, res.Failure.Check, "seed %d: %v", seed, res.Failure)
		res = run(lease.Config{}, seed)
		require.True(t, res.Passed(), "correct system under skew.json, seed %d: %v", seed, res.Failure)
	}
}
