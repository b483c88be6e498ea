package seeds

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/sim"
)

// Replay runs the entry's scenario (looked up among those registered) on
// its seed, faults and knobs, twice, and returns an error unless both runs
// are identical and end as the entry says: a pass, or for an expected
// failure, Expect's outcome on Expect's check. The result is that of the
// first run.
func Replay(e Entry) (sim.Result, error) {
	sc, ok := sim.Lookup(e.Scenario)
	if !ok {
		return sim.Result{}, fmt.Errorf("%s: unknown scenario %q (is its system imported by this runner?)", e.File, e.Scenario)
	}
	spec, err := e.FaultSpec()
	if err != nil {
		return sim.Result{}, fmt.Errorf("%s: field \"faults\": %w", e.File, err)
	}
	res, div := sim.CheckDeterminism(sc, sim.Options{Seed: e.Seed, Faults: spec, Knobs: e.Knobs})
	if div != nil {
		return res, fmt.Errorf("%s: two runs of %s seed %d differ: %v", e.File, e.Scenario, e.Seed, div)
	}
	if x := e.Expect; x != nil {
		if sc.Planted == "" {
			return res, fmt.Errorf("%s: expect is for scenarios with a planted bug, and %s has none", e.File, e.Scenario)
		}
		if string(res.Outcome) != x.Outcome || res.Failure == nil || res.Failure.Check != x.Check {
			return res, fmt.Errorf("%s: %s seed %d should still end %s on check %s, but ended %s%s",
				e.File, e.Scenario, e.Seed, x.Outcome, x.Check, res.Outcome, failureSuffix(res.Failure))
		}
		return res, nil
	}
	if sc.Planted != "" {
		return res, fmt.Errorf("%s: %s has a planted bug: the entry needs \"expect\"", e.File, e.Scenario)
	}
	if !res.Passed() {
		return res, fmt.Errorf("%s: %s seed %d regressed: %s%s (found: %s)",
			e.File, e.Scenario, e.Seed, res.Outcome, failureSuffix(res.Failure), e.Found)
	}
	return res, nil
}

func failureSuffix(f *sim.Failure) string {
	if f == nil {
		return ""
	}
	return ": " + f.Error()
}
