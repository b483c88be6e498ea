//lockstep:host the go test helper: it drives whole runs from outside the simulation (flags, the working directory)

// Package simtest runs Lockstep scenarios from go test: Sweep runs every
// scenario a pattern matches on a range of seeds, one subtest per run named
// scenario/seed, and reports a failing run with the two commands that
// reproduce it: the go test line that reruns that one subtest, and the
// runner's replay line.
//
//	func TestSweep(t *testing.T) {
//		simtest.Sweep(t, "mysystem/*", simtest.Command("go run ./cmd/mysim"))
//	}
//
// The package registers these flags on the test binary's command line, which
// override the test's options:
//
//	-lockstep.seeds A-B        the seeds to run (default: the test's Seeds option, else DefaultSeeds)
//	-lockstep.faults PROFILE   a fault profile, or @file with a JSON plan, for every scenario
//	                           that takes one (default: the test's Faults option, else each scenario's own)
//	-lockstep.determinism      run each seed twice and compare the runs event by event
//	-lockstep.shard I/N        run only shard I of N of each sweep (auto/N: I from
//	                           $LOCKSTEP_SHARD_INDEX or $JOB_COMPLETION_INDEX), as the runner's -shard
//	-lockstep.html DIR         write an HTML page of each failing run into DIR (relative to the
//	                           package's directory), as the runner's run -html; the failure names it
//
// e.g. go test ./mysim -run TestSweep -lockstep.seeds=1-500 -lockstep.faults=crashes
package simtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

// DefaultSeeds is what Sweep runs when neither the test nor the command
// line says: enough to find a shallow bug, few enough for every go test.
const DefaultSeeds = "1-20"

var (
	seedsFlag       = flag.String("lockstep.seeds", "", "seed range A-B (inclusive) or one seed for simtest.Sweep (default: the test's own, else "+DefaultSeeds+")")
	faultsFlag      = flag.String("lockstep.faults", "", "fault profile, or @file with a JSON plan, for every scenario simtest.Sweep runs that takes one (default: each scenario's own)")
	determinismFlag = flag.Bool("lockstep.determinism", false, "simtest.Sweep runs each seed twice and compares the runs event by event")
	htmlFlag        = flag.String("lockstep.html", "", "simtest.Sweep writes a self-contained HTML page of each failing run into this directory (relative to the package's directory), named scenario_seed.html")
	shardFlag       = flag.String("lockstep.shard", "", "simtest.Sweep runs only shard I of N (I/N) of its runs, to spread them over machines; auto/N reads I from $"+cli.ShardIndexEnv+" or $"+cli.JobCompletionEnv)
)

// An Option configures one Sweep.
type Option func(*config)

type config struct {
	seeds       string
	faults      string
	determinism bool
	command     string
	html        string // -lockstep.html: the directory of failing runs' pages ("": none)
}

// Seeds sets the seed range ("A-B" or "S") the sweep runs unless
// -lockstep.seeds is given.
func Seeds(r string) Option { return func(c *config) { c.seeds = r } }

// Faults sets the fault profile (or JSON plan) of every scenario the sweep
// runs, unless -lockstep.faults is given. A scenario that scripts its own
// faults takes none: sweeping one with Faults fails the test.
func Faults(spec string) Option { return func(c *config) { c.faults = spec } }

// CheckDeterminism runs each seed twice and compares the runs event by
// event, as -lockstep.determinism does.
func CheckDeterminism() Option { return func(c *config) { c.determinism = true } }

// Command names the runner (a main calling sim/cli) whose replay line a
// failure prints, e.g. "go run ./cmd/mysim", the same as its
// cli.Config.Command.
func Command(cmd string) Option { return func(c *config) { c.command = cmd } }

// Sweep runs every scenario pattern matches (a name or glob, as the
// runner's -scenario) on every seed of the range, each run a subtest named
// scenario/seed under t: TestX/mysystem/Scenario/7. A run that fails (or,
// with determinism checking, runs differently the second time) fails its
// subtest with the failure, the trace hash and the commands that reproduce
// it.
func Sweep(t *testing.T, pattern string, opts ...Option) {
	t.Helper()
	c := config{seeds: DefaultSeeds}
	for _, o := range opts {
		o(&c)
	}
	fromFlag := *faultsFlag != ""
	if *seedsFlag != "" {
		c.seeds = *seedsFlag
	}
	if fromFlag {
		c.faults = *faultsFlag
	}
	c.determinism = c.determinism || *determinismFlag
	c.html = *htmlFlag
	if c.html != "" {
		if st, err := os.Stat(c.html); err != nil || !st.IsDir() {
			t.Fatalf("simtest: -lockstep.html %q is not a directory (a relative one is taken from the package's directory, where go test runs the test)", c.html)
		}
	}
	lo, hi, err := cli.ParseSeeds(c.seeds)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	spec, err := cli.ParseFaults(c.faults)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	shard, shards, err := cli.ParseShard(*shardFlag, os.Getenv)
	if err != nil {
		t.Fatalf("simtest: -lockstep.shard: %v", err)
	}
	scs, err := sim.Match(pattern)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	if len(scs) == 0 {
		t.Fatalf("simtest: no registered scenario matches %q (is the package that registers it imported?)", pattern)
	}
	// Runs are numbered as the runner numbers them under -shard (scenario
	// by scenario, seeds ascending, the scenarios a -faults plan skips left
	// out), and run k is this shard's if k mod shards = shard: the test's
	// shards and the runner's are the same runs.
	size := hi - lo + 1
	if size == 0 {
		t.Fatalf("simtest: seeds %s: 2^64 seeds are more than a test can count", c.seeds)
	}
	var k uint64
	for _, sc := range scs {
		skipped := spec != "" && !sc.TakesFaults()
		first := k
		if !skipped {
			k += size
		}
		if !skipped && shards > 1 && firstInShard(first, size, uint64(shard), uint64(shards)) == size {
			continue // none of this scenario's runs is this shard's
		}
		t.Run(sc.Name, func(t *testing.T) {
			if skipped {
				if fromFlag {
					t.Skipf("-lockstep.faults: %s scripts its own faults and takes no fault plan", sc.Name)
				}
				t.Fatalf("simtest.Faults: %s scripts its own faults and takes no fault plan", sc.Name)
			}
			for i := firstInShard(first, size, uint64(shard), uint64(shards)); i < size; i += uint64(shards) {
				seed := lo + i
				t.Run(fmt.Sprint(seed), func(t *testing.T) { check(t, sc, seed, spec, c) })
				if size-i <= uint64(shards) { // i+shards would be past the end (or overflow)
					break
				}
			}
		})
	}
}

// firstInShard returns the offset, from a scenario's first seed, of its
// first run in shard (of shards) when its runs are numbered from first: the
// smallest i with (first+i) mod shards = shard, or size if that is not
// below size.
func firstInShard(first, size, shard, shards uint64) uint64 {
	i := (shard + shards - first%shards) % shards
	if i >= size {
		return size
	}
	return i
}

// check makes one run and reports it to t, which is the run's subtest: its
// name is what the go test line selects.
func check(t testing.TB, sc *sim.Scenario, seed uint64, spec string, c config) {
	t.Helper()
	opts := sim.Options{Seed: seed, Faults: spec}
	var res sim.Result
	var div *sim.Divergence
	if c.determinism {
		res, div = sim.CheckDeterminism(sc, opts)
	} else {
		res = sim.RunScenario(sc, opts)
	}
	if f := res.Failure; f != nil && errors.Is(f, sim.ErrBadInput) {
		t.Fatalf("%s seed %d: the input does not fit the scenario: %v", sc.Name, seed, f.Err)
	}
	if res.Passed() && div == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s seed %d: %s\n", sc.Name, seed, res.Outcome)
	if f := res.Failure; f != nil {
		fmt.Fprintf(&b, "  %s\n", indent(f.Error()))
		if f.Stack != "" {
			fmt.Fprintf(&b, "  stack:\n    %s\n", indent(f.Stack))
		}
	}
	if div != nil {
		fmt.Fprintf(&b, "  check determinism: %s\n", indent(div.Error()))
	}
	fmt.Fprintf(&b, "  events %d, virtual %v, hash %016x\n", res.Events, res.Virtual, res.Hash)
	fmt.Fprintf(&b, "  rerun:  %s\n", goTestLine(t.Name(), seed, spec, c.determinism))
	if c.command != "" {
		fmt.Fprintf(&b, "  replay: %s\n", cli.ReplayCommand(c.command, sc.Name, seed, spec))
	} else {
		fmt.Fprintf(&b, "  replay: %s   (simtest.Command names your runner)\n", cli.ReplayCommand("RUNNER", sc.Name, seed, spec))
	}
	if c.html != "" {
		fmt.Fprintf(&b, "  %s\n", pageLine(sc, opts, res, div != nil, c))
	}
	t.Error(strings.TrimRight(b.String(), "\n"))
}

// pageLine writes the page of failing run res (made with opts) into c.html
// and returns the line that names it (by its absolute path: go test runs in
// the package's directory, the user reads from another), or says why there
// is none. The run is
// replayed with its trace on (tracing changes nothing, and a replay that
// ends otherwise is not drawn as this run); a run that failed the
// determinism check is drawn as it replays.
func pageLine(sc *sim.Scenario, opts sim.Options, res sim.Result, diverged bool, c config) string {
	command := c.command
	if command == "" {
		command = "RUNNER"
	}
	file := filepath.Join(c.html, cli.PageFileName(sc.Name, opts.Seed))
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	got, err := cli.WritePage(file, command, sc, opts)
	if err != nil {
		return fmt.Sprintf("page:   not written: %v", err)
	}
	if !diverged && (got.Outcome != res.Outcome || got.Hash != res.Hash) {
		os.Remove(file)
		return fmt.Sprintf("page:   not written: the traced replay ended %s (hash %016x), the run %s (hash %016x)",
			got.Outcome, got.Hash, res.Outcome, res.Hash)
	}
	return "page:   " + file
}

// goTestLine is the go test command that reruns the subtest named name
// alone, from the module's root: each element of the name anchored, so
// that seed 7 does not also select 17.
func goTestLine(name string, seed uint64, spec string, determinism bool) string {
	elems := strings.Split(name, "/")
	for i, e := range elems {
		elems[i] = "^" + regexp.QuoteMeta(e) + "$"
	}
	line := "go test"
	if dir := packageDir(); dir != "" {
		line += " " + dir
	}
	line += " -run " + quote(strings.Join(elems, "/")) + fmt.Sprintf(" -lockstep.seeds=%d", seed)
	if spec != "" {
		line += " -lockstep.faults=" + quote(compact(spec))
	}
	if determinism {
		line += " -lockstep.determinism"
	}
	return line
}

// packageDir is the test's package directory relative to its module's root
// ("./mysim", or "." at the root), go test running a test in its package's
// directory; "" if no go.mod is found above it.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil {
				return ""
			}
			if rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// compact puts a JSON plan on one line, as the replay line does.
func compact(spec string) string {
	var b bytes.Buffer
	if !strings.HasPrefix(spec, "{") || json.Compact(&b, []byte(spec)) != nil {
		return spec
	}
	return b.String()
}

func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func indent(s string) string { return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") }
