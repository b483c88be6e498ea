//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/faults/shrink"
	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
)

// shrinkCmd is the shrink command: reproduce a failing run, take the fault
// plan it ran under, and minimize it with package faults/shrink while the
// run still fails the same check; print the steps, write the minimal plan
// (-o) and a corpus entry (-save). Exit status 1 with the minimal failure, 0
// if the run did not fail.
func (r *runner) shrinkCmd(args []string) (int, error) {
	stdout := r.stdout
	fs := newFlags("shrink", r.stderr)
	name := fs.String("scenario", "", "scenario name (exact)")
	seedArg := fs.String("seed", "", "the seed of the failing run")
	faultsArg := fs.String("faults", "", "fault profile, or @file with a JSON plan or a corpus entry (its faults and knobs; its scenario and seed by default), as the failing run used (default: the scenario's own)")
	maxRuns := fs.Int("max-runs", shrink.DefaultMaxRuns, "at most this many runs in the search")
	maxTime := fs.Duration("max-time", 0, "stop searching after this much wall time (0: no bound); the best plan so far is kept")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), fmt.Sprintf("candidate plans run at once (1-%d); the result does not depend on it", maxParallel))
	out := fs.String("o", "", "write the minimal plan as JSON to this file")
	saveDir := fs.String("save", "", "write a regression-corpus entry for the minimal failing run into this directory")
	knobsArg := fs.String("knobs", "", "workload knobs as the failing run set them: name=value,... (default: each knob's default)")
	htmlFile := fs.String("html", "", htmlShrinkHelp)
	gogc := fs.String("gogc", "", gcHelp)
	if err := parseFlags(fs, args); err != nil {
		return 2, err
	}
	spec, err := parseFaults(*faultsArg)
	if err != nil {
		return 2, err
	}
	entry, err := entryOfFaults(*faultsArg)
	if err != nil {
		return 2, err
	}
	if entry != nil {
		fromEntry(entry, name, seedArg)
	}
	if *name == "" {
		return 2, usagef("shrink needs -scenario NAME")
	}
	sc, ok := sim.Lookup(*name)
	if !ok {
		return 2, usagef("unknown scenario %q (see '%s list' and '%s list -planted')", *name, r.Name, r.Name)
	}
	if !sc.TakesFaults() {
		return 2, usagef("scenario %s scripts its own faults in code (as the ported 6.824 tests do) and takes no fault plan: "+
			"there is no plan to shrink; replay it with '%s replay -scenario %s -seed S -v', or shrink a scenario that takes a plan",
			sc.Name, r.Name, sc.Name)
	}
	if *seedArg == "" {
		return 2, usagef("shrink needs -seed S")
	}
	sr, err := parseSeeds(*seedArg)
	if err != nil || sr.lo != sr.hi {
		return 2, usagef("bad -seed %q: want one seed", *seedArg)
	}
	seed := sr.lo
	knobs, err := parseKnobs(*knobsArg, sc)
	if err != nil {
		return 2, err
	}
	if entry != nil {
		if knobs, err = matchEntry(entry, sc, seed, *knobsArg); err != nil {
			return 2, err
		}
	}
	if *maxRuns < 1 {
		return 2, usagef("-max-runs must be at least 1, got %d", *maxRuns)
	}
	if *maxTime < 0 {
		return 2, usagef("-max-time must not be negative, got %v", *maxTime)
	}
	if *parallel < 1 || *parallel > maxParallel {
		return 2, usagef("-parallel must be between 1 and %d, got %d", maxParallel, *parallel)
	}
	if err := r.tuneGC(*gogc, *parallel); err != nil {
		return 2, err
	}
	if *saveDir != "" {
		if st, err := os.Stat(*saveDir); err != nil || !st.IsDir() {
			return 2, usagef("-save %q is not a directory", *saveDir)
		}
	}
	if err := checkHTMLFile(*htmlFile); err != nil {
		return 2, err
	}

	// Reproduce the failure, and take the plan the run installed.
	start := time.Now() //lockstep:allow the runner times the search in wall time, outside the simulation
	first, plan, found := runCapturingPlan(sc, sim.Options{Seed: seed, Faults: spec, Knobs: knobs})
	if f := first.Failure; f != nil && errors.Is(f, sim.ErrBadInput) {
		return 2, usagef("%s: %s", sc.Name, oneLine(f.Err.Error()))
	}
	shown := spec
	if shown == "" {
		shown = sc.Faults
	}
	if strings.HasPrefix(shown, "{") {
		shown = "a JSON plan"
	}
	fmt.Fprintf(stdout, "shrink %s seed %d (faults: %s)\n", sc.Name, seed, shown)
	if entry != nil {
		fmt.Fprintf(stdout, "  %s\n", entryNote(entry))
	}
	if first.Passed() {
		fmt.Fprintf(stdout, "  the run passed: nothing to shrink\n")
		return 0, nil
	}
	fmt.Fprintf(stdout, "  fails: %s: %s\n", first.Outcome, oneLine(failureText(first)))
	if !found {
		return 1, fmt.Errorf("%s seed %d installed no fault plan (it failed before installing one, or installs its faults "+
			"without package faults): there is no plan to shrink", sc.Name, seed)
	}
	target := shrink.TargetOf(first)
	run := func(p faults.Plan, knobs map[string]int) sim.Result {
		return sim.RunScenario(sc, sim.Options{Seed: seed, Faults: string(p.JSON()), Knobs: knobs})
	}
	// The plan as data must fail as the run did: a scenario whose failure
	// depends on how its faults were named, not on what they do, cannot be
	// shrunk honestly.
	again := run(plan, knobs)
	if !target.Same(again) {
		return 1, fmt.Errorf("the plan %s seed %d installed does not reproduce its failure when given as JSON (%s, not %s): "+
			"not shrinking", sc.Name, seed, describeResult(again), target)
	}
	tail := shrink.Tail(plan)
	fmt.Fprintf(stdout, "  plan: %d fault actions, then %d that heal at %v (kept)\n", shrink.Actions(plan), tail, plan.Until)
	if len(sc.Knobs) > 0 {
		fmt.Fprintf(stdout, "  knobs: %s\n", knobsText(sc, knobs, true))
	}

	ctx, cancel := r.context()
	defer cancel()
	res := shrink.Shrink(ctx, plan, again, run, shrink.Options{
		MaxRuns: *maxRuns, MaxTime: *maxTime, Parallel: *parallel, Knobs: sc.Knobs, KnobValues: knobs,
		Progress: func(s shrink.Step) { fmt.Fprintf(stdout, "  %s\n", s) },
	})
	wall := time.Since(start) //lockstep:allow the runner times the search in wall time, outside the simulation
	how := "the search ran to its end: no single removal or simplification still fails"
	if res.Stopped != "" {
		how = "stopped by " + res.Stopped + ": the smallest failing plan found so far"
	}
	fmt.Fprintf(stdout, "shrunk %d -> %d fault actions in %d runs (%d with the reproduction), %v of wall time; %s\n",
		res.Before, res.After, res.Runs, res.Runs+2, wall.Round(time.Millisecond), how)
	fmt.Fprintf(stdout, "minimal %s", indentPlan(res.Plan))
	if len(sc.Knobs) > 0 {
		fmt.Fprintf(stdout, "minimal knobs: %s\n", knobsText(sc, res.Knobs, true))
	}
	knobFlag := ""
	if k := knobsText(sc, res.Knobs, false); k != "" {
		knobFlag = " -knobs " + k
	}

	last := res.Run
	fmt.Fprintf(stdout, "FAIL %s seed %d: %s\n", sc.Name, seed, last.Outcome)
	fmt.Fprintf(stdout, "  %s\n", indent(failureText(last)))
	fmt.Fprintf(stdout, "  events %d, virtual %v, hash %016x\n", last.Events, last.Virtual, last.Hash)
	planJSON := string(res.Plan.JSON())
	if *out != "" {
		if err := os.WriteFile(*out, append(res.Plan.JSON(), '\n'), 0o644); err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "  replay: %s replay -scenario %s -seed %d -faults %s%s\n", r.Command, shellQuote(sc.Name), seed, shellQuote("@"+*out), knobFlag)
		fmt.Fprintf(stdout, "wrote the minimal plan to %s\n", *out)
	} else {
		fmt.Fprintf(stdout, "  replay: %s%s\n", ReplayCommand(r.Command, sc.Name, seed, planJSON), knobFlag)
	}
	if *saveDir != "" {
		file, err := saveShrunk(*saveDir, sc, seed, res, shown)
		if err != nil {
			fmt.Fprintf(r.stderr, "%s: saving the minimal failing run: %v\n", r.Name, err)
		} else {
			fmt.Fprintf(stdout, "wrote the corpus entry %s\n", file)
		}
	}
	if *htmlFile != "" {
		if err := r.shrunkPage(*htmlFile, sc, seed, res); err != nil {
			return 1, fmt.Errorf("-html: %w", err)
		}
		fmt.Fprintf(stdout, "wrote the page of the minimal failing run to %s\n", *htmlFile)
	}
	return 1, nil
}

// context is cancelled when the user interrupts (a search stops then, and
// reports the smallest plan it found).
func (r *runner) context() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { //lockstep:allow the runner waits for an interrupt, outside the simulation
		select { //lockstep:allow the runner waits for an interrupt, outside the simulation
		case <-r.interrupted:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// runCapturingPlan runs sc on seed under spec, tracing only to catch the
// fault plan the run installs (faults.MarkPlan); found is false if it
// installed none.
func runCapturingPlan(sc *sim.Scenario, opts sim.Options) (res sim.Result, plan faults.Plan, found bool) {
	opts.Trace = func(rec sim.Record) {
		if p, ok := faults.PlanFromRecord(rec); ok && !found {
			plan, found = p, true
		}
	}
	return sim.RunScenario(sc, opts), plan, found
}

// parseKnobs parses -knobs, "name=value,name=value", against the knobs sc
// declares: an unknown name, a value that is not an integer or is out of
// the knob's range is a usage error. "" is no knob set.
func parseKnobs(arg string, sc *sim.Scenario) (map[string]int, error) {
	if strings.TrimSpace(arg) == "" {
		return nil, nil
	}
	out := map[string]int{}
	for _, item := range strings.Split(arg, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		v, err := strconv.Atoi(strings.TrimSpace(val))
		if !ok || err != nil {
			return nil, usagef("bad -knobs %q: %q is not name=integer", arg, item)
		}
		name = strings.TrimSpace(name)
		var known []string
		var knob *sim.Knob
		for i, k := range sc.Knobs {
			known = append(known, k.Name)
			if k.Name == name {
				knob = &sc.Knobs[i]
			}
		}
		switch {
		case knob == nil && len(known) == 0:
			return nil, usagef("-knobs: scenario %s has no knobs", sc.Name)
		case knob == nil:
			return nil, usagef("-knobs: scenario %s has no knob %q (knobs: %s)", sc.Name, name, strings.Join(known, ", "))
		case v < knob.Min || v > knob.Max:
			return nil, usagef("-knobs: %s=%d is not in [%d, %d]", name, v, knob.Min, knob.Max)
		}
		if _, dup := out[name]; dup {
			return nil, usagef("-knobs: %s is set twice", name)
		}
		out[name] = v
	}
	return out, nil
}

// knobsText prints knob values in the scenario's order as -knobs takes
// them; all adds the knobs at their default, marked so.
func knobsText(sc *sim.Scenario, values map[string]int, all bool) string {
	var parts []string
	for _, k := range sc.Knobs {
		if v, ok := values[k.Name]; ok {
			parts = append(parts, fmt.Sprintf("%s=%d", k.Name, v))
		} else if all {
			parts = append(parts, fmt.Sprintf("%s=%d (default)", k.Name, k.Default))
		}
	}
	return strings.Join(parts, ",")
}

func failureText(r sim.Result) string {
	if r.Failure == nil {
		return string(r.Outcome)
	}
	return r.Failure.Error()
}

func describeResult(r sim.Result) string {
	if r.Passed() {
		return "it passes"
	}
	return shrink.TargetOf(r).String()
}

// indentPlan prints a plan indented under its first line.
func indentPlan(p faults.Plan) string {
	lines := strings.Split(strings.TrimRight(p.String(), "\n"), "\n")
	return strings.Join(lines, "\n  ") + "\n"
}

// markPlanted makes e, the entry of a failing run r of sc, an expected
// failure if sc has a planted bug: the bug is never fixed, and the entry
// replays as the same failure (seeds.Expect). Both shrink -save and run
// -save write such entries.
func markPlanted(e *seeds.Entry, sc *sim.Scenario, r sim.Result) {
	if sc.Planted == "" || r.Passed() || r.Failure == nil {
		return
	}
	e.Fixed = "never: the bug is planted on purpose (" + sc.Planted + "); the entry shows it is still caught, by the same check"
	e.Expect = &seeds.Expect{Outcome: string(r.Outcome), Check: r.Failure.Check}
}

// saveShrunk writes the corpus entry of the minimal failing run into dir,
// never over an existing file. For a scenario with a planted bug the entry
// is an expected failure (seeds.Expect) that replays as one; for any other
// it is a failing run that waits, like `run -save`'s, for a person to say
// what fixed it.
func saveShrunk(dir string, sc *sim.Scenario, seed uint64, res shrink.Result, from string) (string, error) {
	knobs := ""
	if k := knobsText(sc, res.Knobs, false); k != "" {
		knobs = ", knobs " + k
	}
	found := fmt.Sprintf("%s: %s (shrunk from %d fault actions of %s to %d in %d runs%s)",
		res.Run.Outcome, failureText(res.Run), res.Before, from, res.After, res.Runs, knobs)
	e := seeds.Entry{Scenario: sc.Name, Seed: seed, Faults: res.Plan.JSON(), Knobs: res.Knobs, Found: found, Fixed: seeds.FixedPlaceholder}
	markPlanted(&e, sc, res.Run)
	file := filepath.Join(dir, seeds.FileName(sc.Name, seed))
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s already exists: not overwritten", file)
	}
	if err != nil {
		return "", err
	}
	if _, err := f.Write(seeds.Marshal(e)); err != nil {
		f.Close()
		return "", err
	}
	return file, f.Close()
}

// listPlanted is `list -planted`: the scenarios with a planted bug, which
// '*' does not match, each with its faults and the bug.
func listPlanted(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range sim.PlantedScenarios() {
		faults := "scripted faults"
		if s.TakesFaults() {
			faults = "faults: " + s.Faults
		}
		fmt.Fprintf(tw, "%s\t%s\tplanted: %s\n", s.Name, faults, s.Planted)
	}
	return tw.Flush()
}
