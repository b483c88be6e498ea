//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
)

// DefaultSeeds is what the run command sweeps when no -seeds is given: enough to
// exercise every scenario, few enough to finish in seconds.
const DefaultSeeds = "1-5"

// maxParallel bounds -parallel. Each worker holds a whole world while it
// runs, so more workers than this buys nothing on any machine a runner is
// meant for, and a typo (-parallel 99999999999) used to hang starting
// goroutines instead of being reported.
const maxParallel = 1024

// outcome is a finished job.
type outcome struct {
	job
	res  sim.Result
	div  *sim.Divergence
	wall time.Duration
}

func (o outcome) passed() bool { return o.res.Passed() && o.div == nil }

// badInput returns the usage error of a run that failed because of the
// user's input (a fault plan that does not fit the scenario): that is not
// the system's fault, so it is never reported, counted or saved as a failing
// seed.
func (o outcome) badInput() error {
	f := o.res.Failure
	if f == nil || !errors.Is(f, sim.ErrBadInput) {
		return nil
	}
	return usagef("%s (seed %d): %s", o.scenario.Name, o.seed, oneLine(f.Err.Error()))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (r *runner) sweep(args []string) (int, error) {
	stdout, stderr, interrupted := r.stdout, r.stderr, r.interrupted
	fs := newFlags("run", stderr)
	pattern := fs.String("scenario", "*", "scenario name or glob ('*' = all, 'raft/*')")
	seedsArg := fs.String("seeds", DefaultSeeds, "seed range A-B (inclusive) or one seed")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), fmt.Sprintf("runs at once (1-%d)", maxParallel))
	asJSON := fs.Bool("json", false, "JSON lines on stdout: one object per run, per scenario, and a final summary")
	determinism := fs.Bool("check-determinism", false, "run each seed twice and compare event by event")
	shardArg := fs.String("shard", "", "run only shard I of N (I/N), to spread a sweep over machines; auto/N reads I from $"+ShardIndexEnv+" or $"+JobCompletionEnv)
	faultsArg := fs.String("faults", "", "fault profile, or @file with a JSON plan (default: each scenario's own)")
	saveDir := fs.String("save", "", "write a regression-corpus entry for each failing run into this directory")
	htmlDir := fs.String("html", "", htmlRunHelp)
	requireArg := fs.String("require-probes", "", "comma-separated probe names or globs ('raft/*'): fail the sweep if one is never reached")
	verbose := fs.Bool("v", false, "print a line for every run, passing ones too (text output)")
	progressEvery := fs.Duration("progress", 0, "when stderr is not a terminal (a CI log), print a progress line at most this often, e.g. 1m (0: never)")
	var prof profiles
	fs.StringVar(&prof.cpu, "cpuprofile", "", "write a CPU profile of the sweep to this file (go tool pprof)")
	fs.StringVar(&prof.mem, "memprofile", "", "write an allocation profile of the sweep to this file (go tool pprof)")
	gogc := fs.String("gogc", "", gcHelp)
	if err := parseFlags(fs, args); err != nil {
		return 2, err
	}
	scs, err := matchScenarios(*pattern, r.Name)
	if err != nil {
		return 2, err
	}
	seedRange, err := parseSeeds(*seedsArg)
	if err != nil {
		return 2, err
	}
	shard, shards, err := ParseShard(*shardArg, os.Getenv)
	if err != nil {
		return 2, err
	}
	spec, err := parseFaults(*faultsArg)
	if err != nil {
		return 2, err
	}
	if *parallel < 1 || *parallel > maxParallel {
		return 2, usagef("-parallel must be between 1 and %d, got %d", maxParallel, *parallel)
	}
	if *progressEvery < 0 {
		return 2, usagef("-progress must not be negative, got %v", *progressEvery)
	}
	required, err := parseRequiredProbes(*requireArg, r.Name)
	if err != nil {
		return 2, err
	}
	if *saveDir != "" {
		if st, err := os.Stat(*saveDir); err != nil || !st.IsDir() {
			return 2, usagef("-save %q is not a directory", *saveDir)
		}
	}

	if err := checkHTMLDir(*htmlDir); err != nil {
		return 2, err
	}

	if spec != "" {
		// Scenarios that script their own faults take no plan: run the rest,
		// and say which were left out rather than ignore -faults for them.
		var takes []*sim.Scenario
		var skipped []string
		for _, sc := range scs {
			if sc.TakesFaults() {
				takes = append(takes, sc)
			} else {
				skipped = append(skipped, sc.Name)
			}
		}
		if len(takes) == 0 {
			return 2, usagef("-faults: no scenario matching %q takes a fault plan (they script their own faults)", *pattern)
		}
		if len(skipped) > 0 {
			fmt.Fprintf(stderr, "%s: -faults: skipping %d scenario(s) that script their own faults: %s\n",
				r.Name, len(skipped), strings.Join(skipped, " "))
		}
		scs = takes
	}

	jobs := sweepJobs{scenarios: scs, seeds: seedRange, shard: uint64(shard), shards: uint64(shards)}
	size, ok := jobs.count()
	if !ok {
		return 2, usagef("-seeds %s over %d scenario(s) is 2^64 runs or more, more than a sweep can count", *seedsArg, len(scs))
	}
	if err := r.tuneGC(*gogc, *parallel); err != nil {
		return 2, err
	}
	if err := prof.start(); err != nil {
		return 2, err
	}
	defer func() {
		if err := prof.stop(); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", r.Name, err)
		}
	}()

	stop := make(chan struct{}) // closed by the printer to stop handing out jobs
	outcomes, release := runJobs(jobs, *parallel, spec, *determinism, stop, interrupted)

	// Results are printed in job order, whatever order the workers finish
	// in, so a sweep's output is the same on every machine.
	rep := newReporter(stdout, stderr, jobs.total(), *asJSON, spec)
	rep.command, rep.commandNote, rep.name = r.Command, r.commandNote, r.Name
	rep.verbose, rep.progressEvery = *verbose, *progressEvery
	rep.sweep = &jsonSweep{Scenario: *pattern, Seeds: fmt.Sprintf("%d-%d", seedRange.lo, seedRange.hi), Faults: spec,
		CheckDeterminism: *determinism, Runs: size, Shard: shard, Shards: shards}
	pending := map[uint64]outcome{}
	var next uint64
	var usageErr error
	for o := range outcomes {
		if usageErr != nil {
			continue // draining the runs in flight after a usage error
		}
		rep.progress(o)
		pending[o.index] = o
		for usageErr == nil {
			o, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			release()
			if usageErr = o.badInput(); usageErr != nil {
				close(stop)
				break
			}
			rep.report(o)
			if !o.passed() && *saveDir != "" {
				if err := save(*saveDir, o, spec); err != nil {
					fmt.Fprintf(stderr, "%s: saving failing seed: %v\n", r.Name, err)
				}
			}
			if !o.passed() && *htmlDir != "" {
				r.reportPage(*htmlDir, o, spec, rep)
			}
		}
	}
	if usageErr != nil {
		rep.abort(usageErr)
		return 2, usageErr
	}
	select { //lockstep:allow the runner runs simulations in parallel, outside them
	case <-interrupted:
		if rep.done < rep.total {
			// Stopped early: what ran is reported, but the sweep is not a
			// pass. 130 is the status a shell gives a process killed by
			// SIGINT, which is what the runner was before it caught it.
			rep.interrupt()
			rep.finish(required)
			return 130, nil
		}
	default:
	}
	if !rep.finish(required) {
		return 1, nil
	}
	return 0, nil
}

// runJobs runs the jobs on parallel workers and yields their outcomes, in
// the order they finish, until every job ran or stop or interrupted is
// closed (the jobs in flight then still finish and are yielded). The
// printer calls release once it has printed an outcome.
//
// With more than one worker, it is a pipeline: one goroutine streams jobs
// to the workers, the workers send outcomes back, and the goroutine ranging
// over the outcomes prints them. A job takes a slot in window (a send)
// before it is handed out and release frees it (a receive), so at most
// cap(window) jobs and outcomes are ever held, however long one slow run
// keeps the others from printing. With one worker, the jobs run on the
// goroutine ranging over the outcomes, one at a time: the pipeline's
// hand-offs between goroutines (each a wake-up of a parked thread) were a
// tenth of the CPU time of a sweep of short runs.
func runJobs(jobs sweepJobs, parallel int, spec string, determinism bool, stop, interrupted <-chan struct{}) (outcomes iter.Seq[outcome], release func()) {
	if parallel == 1 {
		return func(yield func(outcome) bool) {
			for j := range jobs.all() {
				select { //lockstep:allow the runner checks for an interrupt, outside the simulation
				case <-interrupted:
					return
				case <-stop:
					return
				default:
				}
				if !yield(runJob(j, spec, determinism)) {
					return
				}
			}
		}, func() {}
	}
	window := make(chan struct{}, 4*parallel)
	work := make(chan job)
	results := make(chan outcome)
	var wg sync.WaitGroup //lockstep:allow the runner runs simulations in parallel, outside them
	for i := 0; i < parallel; i++ {
		wg.Add(1)
		go func() { //lockstep:allow the runner runs simulations in parallel, outside them
			defer wg.Done()
			for j := range work {
				results <- runJob(j, spec, determinism)
			}
		}()
	}
	go func() { //lockstep:allow the runner runs simulations in parallel, outside them
		defer func() {
			close(work)
			wg.Wait()
			close(results)
		}()
		for j := range jobs.all() {
			select { //lockstep:allow the runner runs simulations in parallel, outside them
			case <-interrupted:
				return // checked first: select picks among ready cases at random
			default:
			}
			select { //lockstep:allow the runner runs simulations in parallel, outside them
			case window <- struct{}{}:
			case <-stop:
				return
			case <-interrupted:
				return
			}
			select { //lockstep:allow the runner runs simulations in parallel, outside them
			case work <- j:
			case <-stop:
				return
			case <-interrupted:
				return
			}
		}
	}()
	return func(yield func(outcome) bool) {
		for o := range results {
			if !yield(o) {
				// The printer stopped ranging: drain, so that no worker
				// blocks forever on a send.
				for range results { //lockstep:allow the runner drains its workers, outside the simulation
				}
				return
			}
		}
	}, func() { <-window }
}

func runJob(j job, spec string, determinism bool) outcome {
	opts := sim.Options{Seed: j.seed, Faults: spec}
	start := time.Now() //lockstep:allow the runner times runs in wall time, outside the simulation
	o := outcome{job: j}
	if determinism {
		o.res, o.div = sim.CheckDeterminism(j.scenario, opts)
	} else {
		o.res = sim.RunScenario(j.scenario, opts)
	}
	o.wall = time.Since(start) //lockstep:allow the runner times runs in wall time, outside the simulation
	if determinism {
		o.wall /= 2
	}
	return o
}

func save(dir string, o outcome, spec string) error {
	e := seeds.Entry{Scenario: o.scenario.Name, Seed: o.seed, Found: describeFailure(o), Fixed: seeds.FixedPlaceholder}
	if o.div == nil {
		markPlanted(&e, o.scenario, o.res) // shrink.go: a planted bug's entry is an expected failure
	}
	if spec != "" {
		raw := []byte(spec)
		if spec[0] != '{' {
			raw, _ = json.Marshal(spec)
		}
		e.Faults = raw
	}
	// Never overwrite: an existing entry says what fixed the case, and a
	// run failing again is a regression to report, not a reason to lose it.
	file := filepath.Join(dir, seeds.FileName(o.scenario.Name, o.seed))
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: not overwritten", file)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(seeds.Marshal(e)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func describeFailure(o outcome) string {
	if o.div != nil {
		return "determinism: " + o.div.Error()
	}
	if f := o.res.Failure; f != nil {
		return fmt.Sprintf("%s: %s", o.res.Outcome, f.Error())
	}
	return string(o.res.Outcome)
}
