package faults

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestSwarmSectionsDrawIndependently: leaving one section of the swarm
// profile out (swarm:only= the others) removes exactly that section's
// actions and leaves every other action (its time, nodes and rates) as it
// was, for every seed and section. A shrinker that turns a fault kind off
// relies on this, and so does a user narrowing the mix with only=.
func TestSwarmSectionsDrawIndependently(t *testing.T) {
	shape := Shape{Nodes: 5, Duration: 20 * time.Second, Base: netsim.Reliable()}
	removedSome := map[string]bool{}
	for seed := uint64(1); seed <= 100; seed++ {
		r := sim.NewRand(seed)
		full, err := Generate("swarm", r, shape)
		require.NoError(t, err)
		for _, sec := range swarmSections {
			others := slices.DeleteFunc(swarmSectionNames(), func(n string) bool { return n == sec.name })
			without, err := Generate("swarm:only="+strings.Join(others, "+"), r, shape)
			require.NoError(t, err)
			// What the section alone contributes to the full plan.
			var own []Action
			if r.Fork("swarm/on/" + sec.name).Chance(0.5) {
				for _, a := range sec.gen(r.Fork("swarm/"+sec.name), shape, swarmConfig{maxDown: 2}) {
					if a.At < shape.Duration {
						own = append(own, a)
					}
				}
			}
			rest := slices.Clone(full.Actions)
			for _, a := range own {
				i := slices.IndexFunc(rest, func(b Action) bool { return fmt.Sprint(a) == fmt.Sprint(b) && sameRates(a, b) })
				require.GreaterOrEqual(t, i, 0, "seed %d: %s's action %v is not in the full plan", seed, sec.name, a)
				rest = slices.Delete(rest, i, i+1)
			}
			require.Equal(t, rest, without.Actions, "seed %d: leaving %s out changed other sections' actions", seed, sec.name)
			removedSome[sec.name] = removedSome[sec.name] || len(own) > 0
		}
	}
	for _, sec := range swarmSections {
		require.True(t, removedSome[sec.name], "section %s never on", sec.name)
	}
}

// sameRates compares what String does not print exactly.
func sameRates(a, b Action) bool {
	if (a.Net == nil) != (b.Net == nil) || (a.Disk == nil) != (b.Disk == nil) {
		return false
	}
	return (a.Net == nil || *a.Net == *b.Net) && (a.Disk == nil || *a.Disk == *b.Disk) &&
		a.Offset == b.Offset && a.Drift == b.Drift
}
