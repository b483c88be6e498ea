package mapreduce

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestChecksCatchBrokenConfigurations runs deliberately broken
// coordinators and workers and requires some seed of some scenario to fail
// with the check that names the breakage. Seeds are tried in order and the
// first failure ends the search, so the cost is bounded by the first seed
// that finds the bug; the bounds leave a wide margin over the seeds that
// find each bug today (noted per case).
func TestChecksCatchBrokenConfigurations(t *testing.T) {
	tests := []struct {
		name     string
		bugs     bugs
		scenario string
		seeds    uint64
		checks   []string // any of these is the right diagnosis
	}{
		{
			// Every crash seed hangs: a task lost with its worker is never
			// handed out again.
			name: "coordinator never re-issues", bugs: bugs{noReissue: true},
			scenario: "crash", seeds: 5, checks: []string{CheckTimeout},
		},
		{
			name: "coordinator never re-issues, under swarm faults", bugs: bugs{noReissue: true},
			scenario: "Swarm", seeds: 5, checks: []string{CheckLiveness},
		},
		{
			// A reduce handed out while maps still run reads only the
			// finished maps' files (a third of wc seeds, from seed 5).
			name: "coordinator starts reduces before every map is complete", bugs: bugs{earlyReduce: true},
			scenario: "wc", seeds: 40, checks: []string{CheckExactlyOnce, CheckOutput},
		},
		{
			name: "coordinator starts reduces early, crash test", bugs: bugs{earlyReduce: true},
			scenario: "crash", seeds: 5, checks: []string{CheckExactlyOnce, CheckOutput},
		},
		{
			// A slow worker rewriting a complete file in place is read
			// half-written, or dies and leaves it so (15 of the first 100
			// Swarm seeds, from seed 14).
			name: "worker writes in place", bugs: bugs{inPlace: true},
			scenario: "Swarm", seeds: 80, checks: []string{CheckPartialRead, CheckPartialFile},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var j job
			for _, jj := range jobs {
				if jj.name == tc.scenario {
					j = jj
				}
			}
			require.NotEmpty(t, j.name)
			s := j.scenario(Config{bugs: tc.bugs})
			for seed := uint64(1); seed <= tc.seeds; seed++ {
				res := sim.RunScenario(&s, sim.Options{Seed: seed})
				if res.Outcome == sim.Pass {
					continue
				}
				require.Equal(t, sim.Fail, res.Outcome, "seed %d: %v", seed, res.Failure)
				require.Contains(t, tc.checks, res.Failure.Check, "seed %d: %v", seed, res.Failure)
				t.Logf("seed %d: %v", seed, res.Failure)
				return
			}
			t.Fatalf("no seed in 1-%d caught the bug", tc.seeds)
		})
	}
}
