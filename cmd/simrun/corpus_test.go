package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestCorpus replays every entry of the repository's regression corpus:
// each must pass, twice, identically. It lives here, where every system is
// registered (systems.go), rather than in package seeds, whose tests would
// otherwise import every system: a module that requires Lockstep and runs
// go mod tidy records checksums for its dependencies' test imports, and
// the corpus format must not bring porcupine into its go.sum.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "seeds")
	entries, err := seeds.Load(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "the corpus is empty: a misnamed directory?")
	for _, e := range entries {
		t.Run(filepath.Base(e.File), func(t *testing.T) {
			sc, ok := sim.Lookup(e.Scenario)
			require.True(t, ok, "%s: unknown scenario %q", e.File, e.Scenario)
			spec, err := e.FaultSpec()
			require.NoError(t, err, e.File)
			res, div := sim.CheckDeterminism(sc, sim.Options{Seed: e.Seed, Faults: spec, Knobs: e.Knobs})
			require.Nil(t, div, "%s: %v", e.File, div)
			if e.Expect != nil {
				// An expected failure: a planted bug, still caught the same way.
				require.NotEmpty(t, sc.Planted, "%s: expect is for scenarios with a planted bug, and %s has none", e.File, e.Scenario)
				require.Equal(t, e.Expect.Outcome, string(res.Outcome), "%s: %v", e.File, res.Failure)
				require.Equal(t, e.Expect.Check, res.Failure.Check, "%s: %v", e.File, res.Failure)
				return
			}
			require.Empty(t, sc.Planted, "%s: %s has a planted bug: the entry needs expect", e.File, e.Scenario)
			require.True(t, res.Passed(), "%s: %s seed %d: %s: %v (found: %s)", e.File, e.Scenario, e.Seed, res.Outcome, res.Failure, e.Found)
		})
	}
}
