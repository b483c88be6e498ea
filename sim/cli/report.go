//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// reporter prints a sweep: failures in full as they come (in job order), a
// progress line on a terminal, a summary per scenario (speed, probes,
// storage), and the final count.
type reporter struct {
	stdout, stderr io.Writer
	total          uint64
	asJSON         bool
	faults         string // the -faults spec (a profile name or plan JSON), for replay commands
	command        string // the runner's command, which replay commands start with
	commandNote    string // why command is a guess, printed to stderr with the first replay command
	name           string // the runner's name, for the note
	done, failing  uint64 // progress: runs finished, of them failing (in any order)
	passed, failed uint64 // runs reported, in job order
	start          time.Time
	tty            bool
	interrupted    bool // the user stopped the sweep before its end
	perScenario    map[string]*scenarioStats
	order          []string
}

// scenarioStats sums a scenario's runs.
type scenarioStats struct {
	runs, passed, failed uint64
	events               uint64
	virtual, wall        time.Duration
	probes               map[string]*probeTally
	storage              storageTally
}

// storageTally sums sim.StorageStats over runs.
type storageTally struct {
	Crashes   uint64 `json:"crashes"`   // crashes of nodes that had storage
	Unsynced  uint64 `json:"unsynced"`  // of them, crashes that found writes not yet synced
	Corrupted uint64 `json:"corrupted"` // crashes after which synced data was corrupted
}

func (t *storageTally) add(s sim.StorageStats) {
	t.Crashes += uint64(s.Crashes)
	t.Unsynced += uint64(s.Unsynced)
	t.Corrupted += uint64(s.Corrupted)
}

func newReporter(stdout, stderr io.Writer, total uint64, asJSON bool, faults string) *reporter {
	r := &reporter{stdout: stdout, stderr: stderr, total: total, asJSON: asJSON, faults: faults,
		start: time.Now(), perScenario: map[string]*scenarioStats{}} //lockstep:allow the runner times runs in wall time, outside the simulation
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			r.tty = true
		}
	}
	return r
}

// progress updates the terminal's progress line as each run finishes.
func (r *reporter) progress(o outcome) {
	r.done++
	if !o.passed() {
		r.failing++
	}
	if !r.tty {
		return
	}
	elapsed := time.Since(r.start) //lockstep:allow the runner times runs in wall time, outside the simulation
	rate := float64(r.done) / elapsed.Seconds()
	left := time.Duration(float64(r.total-r.done)/rate) * time.Second
	fmt.Fprintf(r.stderr, "\r\033[K%d/%d runs, %d failed, %.0f runs/s, %v left", r.done, r.total, r.failing, rate, left.Round(time.Second))
}

func (r *reporter) clearProgress() {
	if r.tty {
		fmt.Fprint(r.stderr, "\r\033[K")
	}
}

func (r *reporter) printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the JSON types hold only encodable fields
	}
	r.clearProgress()
	fmt.Fprintln(r.stdout, string(b))
}

func (r *reporter) report(o outcome) {
	s := r.perScenario[o.scenario.Name]
	if s == nil {
		s = &scenarioStats{probes: map[string]*probeTally{}}
		r.perScenario[o.scenario.Name] = s
		r.order = append(r.order, o.scenario.Name)
	}
	s.runs++
	s.events += o.res.Events
	s.virtual += o.res.Virtual
	s.wall += o.wall
	for name, hits := range o.res.Probes {
		t := s.probes[name]
		if t == nil {
			t = &probeTally{}
			s.probes[name] = t
		}
		t.add(hits)
	}
	var storage storageTally
	storage.add(o.res.Storage)
	s.storage.add(o.res.Storage)
	if o.passed() {
		r.passed++
		s.passed++
	} else {
		r.failed++
		s.failed++
	}
	replay := ReplayCommand(r.command, o.scenario.Name, o.seed, r.faults)
	if !o.passed() && r.commandNote != "" {
		r.clearProgress()
		fmt.Fprintf(r.stderr, "%s: note: %s\n", r.name, r.commandNote)
		r.commandNote = ""
	}
	if r.asJSON {
		j := jsonRun{Schema: jsonSchema, Type: "run", Scenario: o.scenario.Name, Seed: o.seed,
			Outcome: string(o.res.Outcome), Events: o.res.Events,
			VirtualSec: o.res.Virtual.Seconds(), WallSec: o.wall.Seconds(), Speedup: ratio(o.res.Virtual, o.wall),
			Hash: fmt.Sprintf("%016x", o.res.Hash), Probes: o.res.Probes, Storage: storage}
		if f := o.res.Failure; f != nil {
			j.Check, j.Message = f.Check, f.Error()
		}
		if o.div != nil {
			j.Outcome, j.Nondeterminism = "nondeterministic", o.div.Error()
		}
		if !o.passed() {
			j.Replay = replay
		}
		r.printJSON(j)
		return
	}
	if o.passed() {
		return
	}
	r.clearProgress()
	fmt.Fprintf(r.stdout, "FAIL %s seed %d: %s\n", o.scenario.Name, o.seed, o.res.Outcome)
	if f := o.res.Failure; f != nil {
		fmt.Fprintf(r.stdout, "  %s\n", indent(f.Error()))
		if f.Stack != "" {
			fmt.Fprintf(r.stdout, "  stack:\n    %s\n", indent(firstLines(f.Stack, 24)))
		}
	}
	if o.div != nil {
		fmt.Fprintf(r.stdout, "  check determinism: %s\n", indent(o.div.Error()))
	}
	fmt.Fprintf(r.stdout, "  events %d, virtual %v, hash %016x\n", o.res.Events, o.res.Virtual, o.res.Hash)
	fmt.Fprintf(r.stdout, "  replay: %s\n", replay)
}

// unreached returns the required probes that no run of the sweep reached.
func (r *reporter) unreached(required []string) []string {
	var out []string
	for _, name := range required {
		reached := false
		for _, s := range r.perScenario {
			if t := s.probes[name]; t != nil && t.runs > 0 {
				reached = true
			}
		}
		if !reached {
			out = append(out, name)
		}
	}
	return out
}

// interrupt marks the sweep as stopped by the user before its end.
func (r *reporter) interrupt() { r.interrupted = true }

// finish prints the per-scenario summaries and the final count, and reports
// whether the sweep passed: every run passed and every required probe was
// reached.
func (r *reporter) finish(required []string) bool {
	r.clearProgress()
	unreached := r.unreached(required)
	ok := r.failed == 0 && len(unreached) == 0
	if r.asJSON {
		for _, name := range r.order {
			s := r.perScenario[name]
			r.printJSON(jsonScenario{Schema: jsonSchema, Type: "scenario", Scenario: name,
				Runs: s.runs, Passed: s.passed, Failed: s.failed, Events: s.events,
				VirtualSec: s.virtual.Seconds(), WallSec: s.wall.Seconds(), Speedup: ratio(s.virtual, s.wall),
				Probes: nonNil(shownProbes(name, s.probes)), Storage: s.storage})
		}
		status := 0
		switch {
		case r.interrupted:
			status = 130
		case !ok:
			status = 1
		}
		r.printJSON(r.summary(required, unreached, status, ""))
		return ok
	}
	for _, name := range r.order {
		r.printScenario(name, r.perScenario[name])
	}
	for _, name := range unreached {
		fmt.Fprintf(r.stdout, "FAIL required probe %s: never reached in %d runs (-require-probes)\n", name, r.passed+r.failed)
	}
	line := fmt.Sprintf("%d passed, %d failed", r.passed, r.failed)
	if n := len(unreached); n == 1 {
		line += ", 1 required probe never reached"
	} else if n > 1 {
		line += fmt.Sprintf(", %d required probes never reached", n)
	}
	if r.interrupted {
		line += fmt.Sprintf(", interrupted after %d of %d runs", r.passed+r.failed, r.total)
	}
	fmt.Fprintln(r.stdout, line)
	return ok
}

// abort ends a sweep stopped by a usage error: in -json the stream still
// ends with a summary, which carries the error; in text the error alone
// (printed by main) says what happened.
func (r *reporter) abort(err error) {
	r.clearProgress()
	if r.asJSON {
		r.printJSON(r.summary(nil, nil, 2, err.Error()))
	}
}

func (r *reporter) summary(required, unreached []string, status int, usageErr string) jsonSummary {
	return jsonSummary{Schema: jsonSchema, Type: "summary", Runs: r.passed + r.failed, Passed: r.passed, Failed: r.failed,
		Interrupted:    r.interrupted,
		RequiredProbes: nonNil(required), UnreachedProbes: nonNil(unreached),
		WallSec: time.Since(r.start).Seconds(), ExitStatus: status, UsageError: usageErr} //lockstep:allow the runner times runs in wall time, outside the simulation
}

// nonNil makes an empty list print as [] rather than null, so that a
// consumer can always iterate it.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (r *reporter) printScenario(name string, s *scenarioStats) {
	n := time.Duration(s.runs)
	fmt.Fprintf(r.stdout, "%-50s %4d runs  %9d events/run  %9v virtual/run  %9v wall/run  %7.0fx real time\n",
		name, s.runs, s.events/s.runs, (s.virtual / n).Round(time.Millisecond),
		(s.wall / n).Round(time.Microsecond), ratio(s.virtual, s.wall))
	probes := shownProbes(name, s.probes)
	width := 0
	for _, p := range probes {
		width = max(width, len(p.Name))
	}
	for _, p := range probes {
		if p.Runs == 0 {
			fmt.Fprintf(r.stdout, "    probe %-*s  never reached\n", width, p.Name)
			continue
		}
		fmt.Fprintf(r.stdout, "    probe %-*s  %d of %d runs, %d hits\n", width, p.Name, p.Runs, s.runs, p.Hits)
	}
	if st := s.storage; st.Crashes > 0 {
		fmt.Fprintf(r.stdout, "    storage: %d crashes, %d found unsynced writes, %d corrupted synced data\n",
			st.Crashes, st.Unsynced, st.Corrupted)
	}
}

func ratio(virtual, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return virtual.Seconds() / wall.Seconds()
}

func indent(s string) string { return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") }

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
