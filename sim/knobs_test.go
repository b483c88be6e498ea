package sim_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

var clientsKnob = sim.Knob{Name: "clients", Default: 3, Min: 1, Max: 8}

func init() {
	sim.Register(sim.Scenario{Name: "simtest/knobs", Description: "fails when more than 4 clients run", Knobs: []sim.Knob{clientsKnob},
		Main: func(p *sim.Proc) error {
			if n := p.World().Knob(clientsKnob); n > 4 {
				return sim.Checkf("simtest/clients", "%d clients", n)
			}
			return nil
		}})
}

// TestKnobs: a knob takes its default, or the value Options.Knobs sets; a
// knob the scenario does not declare, or a value out of range, is bad input.
func TestKnobs(t *testing.T) {
	sc, ok := sim.Lookup("simtest/knobs")
	require.True(t, ok)
	require.True(t, sim.RunScenario(sc, sim.Options{Seed: 1}).Passed())
	res := sim.RunScenario(sc, sim.Options{Seed: 1, Knobs: map[string]int{"clients": 5}})
	require.Equal(t, sim.Fail, res.Outcome)
	require.Equal(t, "simtest/clients", res.Failure.Check)
	require.ErrorContains(t, res.Failure, "5 clients")
	for want, set := range map[string]map[string]int{
		`has no knob "keys" (knobs: clients)`:         {"keys": 1},
		"clients=9 of simtest/knobs is not in [1, 8]": {"clients": 9},
		"clients=0 of simtest/knobs is not in [1, 8]": {"clients": 0},
	} {
		res := sim.RunScenario(sc, sim.Options{Seed: 1, Knobs: set})
		require.Equal(t, "knobs", res.Failure.Check, want)
		require.ErrorContains(t, res.Failure, want)
		require.True(t, errors.Is(res.Failure, sim.ErrBadInput), want)
	}
	require.Panics(t, func() {
		sim.Register(sim.Scenario{Name: "simtest/badknob", Knobs: []sim.Knob{{Name: "n", Default: 9, Min: 1, Max: 8}},
			Main: func(*sim.Proc) error { return nil }})
	})
}
