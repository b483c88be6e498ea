package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func init() {
	sim.Register(sim.Scenario{Name: "simtest/planted/bug", Description: "fails on purpose", Planted: "returns an error",
		Main: func(*sim.Proc) error { return sim.Checkf("simtest/bug", "the planted bug") }})
}

// TestPlantedScenariosNeedTheirSegment: '*' (what CI sweeps expecting a
// pass) and globs that merely fit never match a scenario with a planted bug;
// a pattern that names the "planted" segment, or the exact name, does.
func TestPlantedScenariosNeedTheirSegment(t *testing.T) {
	names := func(pattern string) []string {
		scs, err := sim.Match(pattern)
		require.NoError(t, err, pattern)
		var out []string
		for _, s := range scs {
			out = append(out, s.Name)
		}
		return out
	}
	for _, p := range []string{"*", "simtest/*", "simtest/*/*", "*/*/bug", "simtest/*/bug", "simtest/pl*/bug"} {
		require.NotContains(t, names(p), "simtest/planted/bug", p)
	}
	for _, p := range []string{"simtest/planted/bug", "simtest/planted/*", "*/planted/*", "*/planted/b?g"} {
		require.Equal(t, []string{"simtest/planted/bug"}, names(p), p)
	}
	s, ok := sim.Lookup("simtest/planted/bug")
	require.True(t, ok)
	require.Equal(t, "returns an error", s.Planted)
	for _, s := range sim.Scenarios() {
		require.Empty(t, s.Planted, s.Name)
	}
	planted := sim.PlantedScenarios()
	require.Len(t, planted, 1)
	require.Equal(t, "simtest/planted/bug", planted[0].Name)
	res := sim.RunScenario(planted[0], sim.Options{Seed: 1})
	require.Equal(t, sim.Fail, res.Outcome)
	require.Equal(t, "simtest/bug", res.Failure.Check)
}

func TestRegisterPlantedNeedsNameAndBug(t *testing.T) {
	main := func(*sim.Proc) error { return nil }
	require.Panics(t, func() { sim.Register(sim.Scenario{Name: "simtest/bug2", Planted: "a bug", Main: main}) },
		"a planted bug under a name without the segment")
	require.Panics(t, func() { sim.Register(sim.Scenario{Name: "simtest/planted/nobug", Main: main}) },
		"the segment without a planted bug")
}
