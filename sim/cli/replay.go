//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func (r *runner) replay(args []string) (int, error) {
	stdout := r.stdout
	fs := newFlags("replay", r.stderr)
	name := fs.String("scenario", "", "scenario name (exact)")
	seedArg := fs.String("seed", "", "the seed to replay")
	faultsArg := fs.String("faults", "", "fault profile, or @file with a JSON plan or a corpus entry (its faults and knobs; its scenario and seed by default), as the failing run used")
	verbose := fs.Bool("v", false, "print the trace: every event and note, in order")
	htmlFile := fs.String("html", "", htmlReplayHelp)
	knobsArg := fs.String("knobs", "", "workload knobs as the failing run set them: name=value,... (default: each knob's default)")
	if err := parseFlags(fs, args); err != nil {
		return 2, err
	}
	spec, err := parseFaults(*faultsArg)
	if err != nil {
		return 2, err
	}
	entry, err := entryOfFaults(*faultsArg) // a corpus entry, or nil (shrink_entry.go)
	if err != nil {
		return 2, err
	}
	if entry != nil {
		fromEntry(entry, name, seedArg)
	}
	if *name == "" {
		return 2, usagef("replay needs -scenario NAME")
	}
	sc, ok := sim.Lookup(*name)
	if !ok {
		return 2, usagef("unknown scenario %q (see '%s list')", *name, r.Name)
	}
	if *seedArg == "" {
		return 2, usagef("replay needs -seed S")
	}
	seeds, err := parseSeeds(*seedArg)
	if err != nil || seeds.lo != seeds.hi {
		return 2, usagef("bad -seed %q: want one seed", *seedArg)
	}
	if spec != "" && !sc.TakesFaults() {
		return 2, usagef("-faults: scenario %s scripts its own faults and takes no fault plan", sc.Name)
	}
	knobs, err := parseKnobs(*knobsArg, sc)
	if err != nil {
		return 2, err
	}
	if entry != nil {
		if knobs, err = matchEntry(entry, sc, seeds.lo, *knobsArg); err != nil {
			return 2, err
		}
		fmt.Fprintf(stdout, "%s\n", entryNote(entry))
	}
	opts := sim.Options{Seed: seeds.lo, Faults: spec, Knobs: knobs}
	if *verbose {
		opts.Trace = func(r sim.Record) { fmt.Fprintln(stdout, r.String()) }
	}
	var pg *pageRecorder
	if err := checkHTMLFile(*htmlFile); err != nil {
		return 2, err
	} else if *htmlFile != "" {
		pg, opts.Trace = pageTrace(opts.Trace)
		pg.knobs = knobsText(sc, knobs, false)
	}
	start := time.Now() //lockstep:allow the runner times runs in wall time, outside the simulation
	res := sim.RunScenario(sc, opts)
	wall := time.Since(start) //lockstep:allow the runner times runs in wall time, outside the simulation
	if f := res.Failure; f != nil && errors.Is(f, sim.ErrBadInput) {
		return 2, usagef("%s: %s", sc.Name, oneLine(f.Err.Error()))
	}
	fmt.Fprintf(stdout, "%s seed %d: %s\n", sc.Name, seeds.lo, res.Outcome)
	if f := res.Failure; f != nil {
		fmt.Fprintf(stdout, "  %s\n", indent(f.Error()))
		if f.Stack != "" {
			fmt.Fprintf(stdout, "  stack:\n    %s\n", indent(f.Stack))
		}
	}
	fmt.Fprintf(stdout, "  events %d, virtual %v, wall %v (%.0fx real time), hash %016x\n",
		res.Events, res.Virtual, wall.Round(time.Microsecond), ratio(res.Virtual, wall), res.Hash)
	if len(res.Probes) > 0 {
		names := make([]string, 0, len(res.Probes))
		for name := range res.Probes {
			names = append(names, name)
		}
		sort.Strings(names)
		for i, name := range names {
			names[i] = fmt.Sprintf("%s %d", name, res.Probes[name])
		}
		fmt.Fprintf(stdout, "  probes reached: %s\n", strings.Join(names, ", "))
	}
	if st := res.Storage; st.Crashes > 0 {
		fmt.Fprintf(stdout, "  storage: %d crashes, %d found unsynced writes, %d corrupted synced data\n",
			st.Crashes, st.Unsynced, st.Corrupted)
	}
	if pg != nil {
		if err := r.writePage(*htmlFile, sc, pg, res, spec); err != nil {
			return 1, fmt.Errorf("-html: %w", err)
		}
		fmt.Fprintf(stdout, "  page: %s\n", *htmlFile)
	}
	if !res.Passed() {
		return 1, nil
	}
	return 0, nil
}
