package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
)

// DefaultSeeds is what `simrun run` sweeps when no -seeds is given: enough to
// exercise every scenario, few enough to finish in seconds.
const DefaultSeeds = "1-5"

// job is one (scenario, seed) run of a sweep.
type job struct {
	index    int
	scenario *sim.Scenario
	seed     uint64
}

// outcome is a finished job.
type outcome struct {
	job
	res  sim.Result
	div  *sim.Divergence
	wall time.Duration
}

func (o outcome) passed() bool { return o.res.Passed() && o.div == nil }

func sweep(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("run", stderr)
	pattern := fs.String("scenario", "*", "scenario name or glob ('*' = all, 'raft/*')")
	seedsArg := fs.String("seeds", DefaultSeeds, "seed range A-B (inclusive) or one seed")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "runs at once")
	asJSON := fs.Bool("json", false, "one JSON object per run on stdout")
	determinism := fs.Bool("check-determinism", false, "run each seed twice and compare event by event")
	shardArg := fs.String("shard", "", "run only shard I of N (I/N), to spread a sweep over machines")
	faultsArg := fs.String("faults", "", "fault profile, or @file with a JSON plan (default: each scenario's own)")
	saveDir := fs.String("save", "", "write a regression-corpus entry for each failing run into this directory")
	if err := parseFlags(fs, args); err != nil {
		return 2, err
	}
	scs, err := matchScenarios(*pattern)
	if err != nil {
		return 2, err
	}
	seedRange, err := parseSeeds(*seedsArg)
	if err != nil {
		return 2, err
	}
	shard, shards, err := parseShard(*shardArg)
	if err != nil {
		return 2, err
	}
	spec, err := parseFaults(*faultsArg)
	if err != nil {
		return 2, err
	}
	if *parallel < 1 {
		return 2, usagef("-parallel must be at least 1, got %d", *parallel)
	}
	if *saveDir != "" {
		if st, err := os.Stat(*saveDir); err != nil || !st.IsDir() {
			return 2, usagef("-save %q is not a directory", *saveDir)
		}
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
			fmt.Fprintf(stderr, "simrun: -faults: skipping %d scenario(s) that script their own faults: %s\n",
				len(skipped), strings.Join(skipped, " "))
		}
		scs = takes
	}

	var jobs []job
	n := 0
	for _, sc := range scs {
		for seed := seedRange.lo; ; seed++ {
			if n%shards == shard {
				jobs = append(jobs, job{index: len(jobs), scenario: sc, seed: seed})
			}
			n++
			if seed == seedRange.hi {
				break
			}
		}
	}

	results := make(chan outcome)
	work := make(chan job)
	var wg sync.WaitGroup
	for i := 0; i < *parallel; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				results <- runJob(j, spec, *determinism)
			}
		}()
	}
	go func() {
		for _, j := range jobs {
			work <- j
		}
		close(work)
		wg.Wait()
		close(results)
	}()

	// Results are printed in job order, whatever order the workers finish
	// in, so a sweep's output is the same on every machine.
	rep := newReporter(stdout, stderr, len(jobs), *asJSON, spec)
	pending := map[int]outcome{}
	next := 0
	for o := range results {
		rep.progress(o)
		pending[o.index] = o
		for {
			o, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			rep.report(o)
			if !o.passed() && *saveDir != "" {
				if err := save(*saveDir, o, spec); err != nil {
					fmt.Fprintf(stderr, "simrun: saving failing seed: %v\n", err)
				}
			}
		}
	}
	rep.finish()
	if rep.failed > 0 {
		return 1, nil
	}
	return 0, nil
}

func runJob(j job, spec string, determinism bool) outcome {
	opts := sim.Options{Seed: j.seed, Faults: spec}
	start := time.Now()
	o := outcome{job: j}
	if determinism {
		o.res, o.div = sim.CheckDeterminism(j.scenario, opts)
	} else {
		o.res = sim.RunScenario(j.scenario, opts)
	}
	o.wall = time.Since(start)
	if determinism {
		o.wall /= 2
	}
	return o
}

func save(dir string, o outcome, spec string) error {
	e := seeds.Entry{Scenario: o.scenario.Name, Seed: o.seed,
		Found: describeFailure(o), Fixed: "not yet: saved by simrun run -save; say here what fixed it"}
	if spec != "" {
		raw := []byte(spec)
		if spec[0] != '{' {
			raw, _ = json.Marshal(spec)
		}
		e.Faults = raw
	}
	return os.WriteFile(filepath.Join(dir, seeds.FileName(o.scenario.Name, o.seed)), seeds.Marshal(e), 0o644)
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
