//lockstep:host test tooling: it drives whole runs from outside the simulation (rapid, corpus files)

package faultgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

// Property is a scenario that must pass under every generated plan.
type Property struct {
	// Scenario runs once per check, with sim.Options{Seed, Faults: the
	// plan's JSON}: its Main must install the run's plan
	// (faults.FromOptions, then faults.Install) on nodes that fit Plans.
	// A registered scenario's failures replay in the runner; an unregistered
	// one's only through Replay.
	Scenario *sim.Scenario
	// Plans are the plans to generate.
	Plans Config
	// SeedMin and SeedMax bound the seed rapid draws for each run (it
	// shrinks towards SeedMin). Default 1 to 1000.
	SeedMin, SeedMax uint64
	// Fails says whether a run is a failure of the property. Default: any
	// outcome but pass.
	Fails func(sim.Result) bool
	// Corpus is the directory Check writes a failure's corpus entry into.
	// Default "testdata/faultgen" (beside the test). "-" writes none.
	Corpus string
	// Command is the runner's command in replay lines. Default
	// "go run ./cmd/simrun".
	Command string
}

func (p Property) withDefaults() Property {
	if p.SeedMax == 0 {
		p.SeedMin, p.SeedMax = max(p.SeedMin, 1), 1000
	}
	if p.Fails == nil {
		p.Fails = func(r sim.Result) bool { return !r.Passed() }
	}
	if p.Corpus == "" {
		p.Corpus = filepath.Join("testdata", "faultgen")
	}
	if p.Command == "" {
		p.Command = "go run ./cmd/simrun"
	}
	return p
}

// Failure is the minimal failing run rapid found.
type Failure struct {
	Plan   faults.Plan
	Seed   uint64
	Result sim.Result
	// FirstActions is how many actions (Drawn) the first failing plan had,
	// before rapid shrank it.
	FirstActions int
	// Entry is the corpus entry of the failure, and File where it was
	// written ("" if Corpus is "-").
	Entry seeds.Entry
	File  string
	// Replay is the runner command that replays the failure, or a note
	// saying why there is none (an unregistered scenario).
	Replay string
	// Report is what rapid reported.
	Report string
}

func (f *Failure) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s seed %d fails under a generated plan (%d actions, shrunk from %d): %s: %v\n%s",
		f.Entry.Scenario, f.Seed, len(Drawn(f.Plan)), f.FirstActions, f.Result.Outcome, f.Result.Failure, f.Plan)
	if f.File != "" {
		fmt.Fprintf(&b, "corpus entry: %s\n", f.File)
	}
	fmt.Fprintf(&b, "replay: %s\n", f.Replay)
	return b.String()
}

// Check runs p under rapid (rapid's flags apply: -rapid.checks and so on)
// and, if a generated plan makes the scenario fail, fails t with the plan
// rapid shrank it to, its corpus entry (written into p.Corpus) and the
// command that replays it.
func Check(t testing.TB, p Property) {
	t.Helper()
	f, err := Find(t, p)
	if err != nil {
		t.Fatalf("faultgen: %v", err)
	}
	if f != nil {
		t.Fatalf("%s\nrapid's report:\n%s", f, f.Report)
	}
}

// Find runs p under rapid like Check, but returns the failure (nil if rapid
// found none) rather than failing t, for tests that expect one. Its error
// is a failure that does not replay as it ran (not deterministic), or an
// entry it could not write.
func Find(t testing.TB, p Property) (*Failure, error) {
	t.Helper()
	p = p.withDefaults()
	type run struct {
		plan faults.Plan
		seed uint64
		res  sim.Result
	}
	var first, lastFailing *run
	lastFailed := false
	gen := Plan(p.Plans)
	seedGen := rapid.Uint64Range(p.SeedMin, p.SeedMax)
	rec := &recorder{TB: t}
	rapid.Check(rec, func(rt *rapid.T) {
		plan := gen.Draw(rt, "plan")
		seed := seedGen.Draw(rt, "seed")
		res := sim.RunScenario(p.Scenario, sim.Options{Seed: seed, Faults: string(plan.JSON())})
		lastFailed = p.Fails(res)
		if lastFailed {
			lastFailing = &run{plan, seed, res}
			if first == nil {
				first = lastFailing
			}
			rt.Fatalf("%s seed %d: %s: %v", p.Scenario.Name, seed, res.Outcome, res.Failure)
		}
	})
	if !rec.failed {
		return nil, nil
	}
	if lastFailing == nil {
		// rapid failed for a reason of its own (too many invalid draws).
		return nil, fmt.Errorf("rapid failed without a failing run:\n%s", rec.report.String())
	}
	// After shrinking, rapid runs the minimal case once more: the last run.
	// If that one passed, the failure did not reproduce.
	min := lastFailing
	again := sim.RunScenario(p.Scenario, sim.Options{Seed: min.seed, Faults: string(min.plan.JSON())})
	if !lastFailed || again.Hash != min.res.Hash {
		return nil, fmt.Errorf("%s seed %d: the failing run does not replay as it ran (hash %016x, then %016x): not deterministic\n%s",
			p.Scenario.Name, min.seed, min.res.Hash, again.Hash, min.plan)
	}
	f := &Failure{Plan: min.plan, Seed: min.seed, Result: min.res, FirstActions: len(Drawn(first.plan)), Report: rec.report.String()}
	f.Entry = entryOf(p.Scenario, min.seed, min.plan, min.res)
	if reg, ok := sim.Lookup(p.Scenario.Name); ok && reg.Main != nil && sameScenario(reg, p.Scenario) {
		f.Replay = cli.ReplayCommand(p.Command, p.Scenario.Name, min.seed, string(min.plan.JSON()))
	} else {
		f.Replay = fmt.Sprintf("scenario %s is not registered, so the runner cannot replay it: faultgen.Replay(scenario, entry) in a test does",
			p.Scenario.Name)
	}
	if p.Corpus != "-" {
		file, err := writeEntry(p.Corpus, f.Entry)
		if err != nil {
			return f, err
		}
		f.File = file
	}
	return f, nil
}

// sameScenario reports whether the registered scenario reg is s (the
// runner would run what s runs), as far as can be told: a scenario is a
// struct of functions, so by its name and settings.
func sameScenario(reg, s *sim.Scenario) bool {
	return reg.Name == s.Name && reg.Faults == s.Faults && reg.Planted == s.Planted &&
		reg.MaxEvents == s.MaxEvents && reg.MaxTime == s.MaxTime
}

// entryOf is the corpus entry of a failing run. A scenario with a planted
// bug makes an expected failure (seeds.Expect), which `go test ./seeds/`
// replays as is; any other waits, as `simrun run -save`'s entries do, for a
// person to say in "fixed" what fixed it.
func entryOf(sc *sim.Scenario, seed uint64, plan faults.Plan, res sim.Result) seeds.Entry {
	check, msg := "", ""
	if res.Failure != nil {
		check, msg = res.Failure.Check, oneLine(res.Failure.Error())
	}
	e := seeds.Entry{Scenario: sc.Name, Seed: seed, Faults: plan.JSON(),
		Found: fmt.Sprintf("%s: %s (found by faultgen: a generated plan shrunk by rapid to %d actions)", res.Outcome, msg, len(Drawn(plan))),
		Fixed: seeds.FixedPlaceholder}
	if sc.Planted != "" {
		e.Fixed = "never: the bug is planted on purpose (" + sc.Planted + "); the entry shows it is still caught, by the same check"
		e.Expect = &seeds.Expect{Outcome: string(res.Outcome), Check: check}
	}
	return e
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// writeEntry writes e into dir (made if missing), never over an existing
// file, with its plan one action per line as faults.Plan.JSON prints it.
func writeEntry(dir string, e seeds.Entry) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, seeds.FileName(e.Scenario, e.Seed))
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("%s already exists: not overwritten", file)
	}
	if err != nil {
		return "", err
	}
	if _, err := f.Write(marshalEntry(e)); err != nil {
		f.Close()
		return "", err
	}
	return file, f.Close()
}

// marshalEntry is seeds.Marshal keeping the plan's layout: seeds.Marshal
// re-indents the plan, one JSON token per line. The fields are those of
// seeds.Marshal, in its order (TestEntryLayoutIsSeedsMarshal holds that).
func marshalEntry(e seeds.Entry) []byte {
	plan := e.Faults
	e.Faults = json.RawMessage(`"PLAN"`)
	out := seeds.Marshal(e)
	indented := bytes.ReplaceAll(bytes.TrimSpace(plan), []byte("\n"), []byte("\n  "))
	return bytes.Replace(out, []byte(`"PLAN"`), indented, 1)
}

// Replay runs sc as an entry says (its seed and faults), as `go test
// ./seeds/` and the runner's replay do.
func Replay(sc *sim.Scenario, e seeds.Entry) (sim.Result, error) {
	spec, err := e.FaultSpec()
	if err != nil {
		return sim.Result{}, err
	}
	return sim.RunScenario(sc, sim.Options{Seed: e.Seed, Faults: spec}), nil
}

// recorder is the rapid.TB rapid.Check reports to: it keeps rapid's
// failure report instead of failing the test, so that Find can look at what
// rapid found, and passes everything else through. rapid.Check reports a
// failure through Errorf and ends with FailNow; it never calls the others
// but Logf, Helper and Name.
type recorder struct {
	testing.TB
	failed bool
	report strings.Builder
}

var _ rapid.TB = (*recorder)(nil)

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	fmt.Fprintf(&r.report, format+"\n", args...)
}
func (r *recorder) Error(args ...any)                 { r.failed = true; fmt.Fprintln(&r.report, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...) }
func (r *recorder) FailNow()                          { r.failed = true }
func (r *recorder) Fail()                             { r.failed = true }
func (r *recorder) Failed() bool                      { return r.failed }
