//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"errors"
	"fmt"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

// plan is the plan command: it prints the fault plan a seed generates for a
// scenario, as the readable JSON that -faults @file reads back (see
// docs/plans.md), so that a user can save it, edit it and replay it.
//
// The plan is made inside the scenario, from its own Shape (nodes, fault
// window, base network), so the command runs the scenario once, traced, and
// takes the plan from the mark faults.Install logs (faults.MarkPlan): the
// applied plan, named after the scenario's nodes. Replayed from the file,
// that plan schedules the same events as the profile did, so the run has the
// same trace hash; stderr says how the run ended and the replay command.
func (r *runner) plan(args []string) (int, error) {
	fs := newFlags("plan", r.stderr)
	name := fs.String("scenario", "", "scenario name (exact)")
	seedArg := fs.String("seed", "", "the seed whose plan to print")
	faultsArg := fs.String("faults", "", "fault profile (with parameters: crashes:maxdown=1), or @file with a JSON plan (default: the scenario's own)")
	if err := parseFlags(fs, args); err != nil {
		return 2, err
	}
	if *name == "" {
		return 2, usagef("plan needs -scenario NAME")
	}
	sc, ok := sim.Lookup(*name)
	if !ok {
		return 2, usagef("unknown scenario %q (see '%s list')", *name, r.Name)
	}
	if !sc.TakesFaults() {
		return 2, usagef("scenario %s scripts its own faults in code and makes no fault plan", sc.Name)
	}
	if *seedArg == "" {
		return 2, usagef("plan needs -seed S")
	}
	seeds, err := parseSeeds(*seedArg)
	if err != nil || seeds.lo != seeds.hi {
		return 2, usagef("bad -seed %q: want one seed", *seedArg)
	}
	spec, err := parseFaults(*faultsArg)
	if err != nil {
		return 2, err
	}
	var plans []faults.Plan
	opts := sim.Options{Seed: seeds.lo, Faults: spec, Trace: func(rec sim.Record) {
		if p, ok := faults.PlanFromRecord(rec); ok {
			plans = append(plans, p)
		}
	}}
	res := sim.RunScenario(sc, opts)
	if f := res.Failure; f != nil && errors.Is(f, sim.ErrBadInput) {
		return 2, usagef("%s: %s", sc.Name, oneLine(f.Err.Error()))
	}
	if len(plans) == 0 {
		return 1, fmt.Errorf("%s seed %d installed no fault plan (%s)", sc.Name, seeds.lo, res.Outcome)
	}
	// A scenario that installs several plans (one per phase, say) takes one
	// -faults: each would read the same file. Say so rather than print one.
	if len(plans) > 1 {
		return 1, fmt.Errorf("%s seed %d installed %d fault plans; plan prints a scenario's one plan", sc.Name, seeds.lo, len(plans))
	}
	fmt.Fprintf(r.stdout, "%s\n", plans[0].JSON())
	fmt.Fprintf(r.stderr, "%s seed %d under this plan: %s, hash %016x; save the plan to a file, edit it, and replay it with\n  %s\n",
		sc.Name, seeds.lo, res.Outcome, res.Hash, ReplayCommand(r.Command, sc.Name, seeds.lo, "")+" -faults @FILE")
	return 0, nil
}
