//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// reporter prints a sweep: failures in full as they come (in job order), a
// progress line on a terminal, a summary per scenario (speed, probes,
// storage), and the final count. merge prints merged shards with it too,
// feeding it the runs it read (add) instead of runs it made (report).
type reporter struct {
	stdout, stderr io.Writer
	total          uint64
	asJSON         bool
	verbose        bool   // text: a line for every run, passing ones too
	faults         string // the -faults spec (a profile name or plan JSON), for replay commands
	command        string // the runner's command, which replay commands start with
	commandNote    string // why command is a guess, printed to stderr with the first replay command
	name           string // the runner's name, for the note and progress lines
	sweep          *jsonSweep
	done, failing  uint64 // progress: runs finished, of them failing (in any order)
	passed, failed uint64 // runs reported, in job order
	start          time.Time
	tty            bool
	progressEvery  time.Duration // not on a terminal: a progress line at most this often (0: none)
	lastProgress   time.Time
	interrupted    bool          // the user stopped the sweep before its end
	wall           time.Duration // the summary's wall time, when not measured by this reporter (merge)
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
	// listed names the probes to show even when never reached; nil: those
	// of the scenario's own system (shownProbes). merge sets it from the
	// shards' summaries, which listed them when they ran.
	listed map[string]bool
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

func (t *storageTally) sum(u storageTally) {
	t.Crashes += u.Crashes
	t.Unsynced += u.Unsynced
	t.Corrupted += u.Corrupted
}

func newReporter(stdout, stderr io.Writer, total uint64, asJSON bool, faults string) *reporter {
	r := &reporter{stdout: stdout, stderr: stderr, total: total, asJSON: asJSON, faults: faults,
		start: time.Now(), perScenario: map[string]*scenarioStats{}} //lockstep:allow the runner times runs in wall time, outside the simulation
	r.lastProgress = r.start
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			r.tty = true
		}
	}
	return r
}

// progress updates the progress line as each run finishes: on a terminal,
// one line rewritten in place; elsewhere (a CI log), with -progress, a line
// at most every progressEvery, so that a long sweep shows it is alive.
func (r *reporter) progress(o outcome) {
	r.done++
	if !o.passed() {
		r.failing++
	}
	if !r.tty && r.progressEvery <= 0 {
		return
	}
	now := time.Now() //lockstep:allow the runner times runs in wall time, outside the simulation
	elapsed := now.Sub(r.start)
	rate := float64(r.done) / elapsed.Seconds()
	left := time.Duration(float64(r.total-r.done)/rate) * time.Second
	line := fmt.Sprintf("%d/%d runs, %d failed, %.0f runs/s, %v left", r.done, r.total, r.failing, rate, left.Round(time.Second))
	if r.tty {
		fmt.Fprint(r.stderr, "\r\033[K"+line)
		return
	}
	if now.Sub(r.lastProgress) >= r.progressEvery {
		r.lastProgress = now
		fmt.Fprintf(r.stderr, "%s: %s\n", r.name, line)
	}
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

// report adds a run the sweep made.
func (r *reporter) report(o outcome) {
	j := jsonRun{Schema: jsonSchema, Type: "run", Scenario: o.scenario.Name, Seed: o.seed,
		Outcome: string(o.res.Outcome), Events: o.res.Events,
		VirtualSec: o.res.Virtual.Seconds(), WallSec: o.wall.Seconds(), Speedup: ratio(o.res.Virtual, o.wall),
		Hash: fmt.Sprintf("%016x", o.res.Hash), Probes: o.res.Probes}
	j.Storage.add(o.res.Storage)
	if f := o.res.Failure; f != nil {
		j.Check, j.Message, j.Stack = f.Check, f.Error(), f.Stack
	}
	if o.div != nil {
		j.Outcome, j.Nondeterminism = "nondeterministic", o.div.Error()
	}
	if !o.passed() {
		j.Replay = ReplayCommand(r.command, o.scenario.Name, o.seed, r.faults)
		if r.commandNote != "" {
			r.clearProgress()
			fmt.Fprintf(r.stderr, "%s: note: %s\n", r.name, r.commandNote)
			r.commandNote = ""
		}
	}
	r.add(j)
}

// seconds converts a -json duration back to the one it was printed from.
func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// add counts one run into its scenario's summary and prints it: every run
// in -json, failing ones (every one with -v) in text.
func (r *reporter) add(j jsonRun) {
	s := r.perScenario[j.Scenario]
	if s == nil {
		s = &scenarioStats{probes: map[string]*probeTally{}}
		r.perScenario[j.Scenario] = s
		r.order = append(r.order, j.Scenario)
	}
	passed := j.Outcome == string(sim.Pass)
	s.runs++
	s.events += j.Events
	s.virtual += seconds(j.VirtualSec)
	s.wall += seconds(j.WallSec)
	for name, hits := range j.Probes {
		t := s.probes[name]
		if t == nil {
			t = &probeTally{}
			s.probes[name] = t
		}
		t.add(hits)
	}
	s.storage.sum(j.Storage)
	if passed {
		r.passed++
		s.passed++
	} else {
		r.failed++
		s.failed++
	}
	if r.asJSON {
		r.printJSON(j)
		return
	}
	if passed {
		if r.verbose {
			r.clearProgress()
			fmt.Fprintf(r.stdout, "ok   %s seed %d: events %d, virtual %v, hash %s\n",
				j.Scenario, j.Seed, j.Events, seconds(j.VirtualSec), j.Hash)
		}
		return
	}
	r.clearProgress()
	fmt.Fprintf(r.stdout, "FAIL %s seed %d: %s\n", j.Scenario, j.Seed, j.Outcome)
	if j.Message != "" {
		fmt.Fprintf(r.stdout, "  %s\n", indent(j.Message))
		if j.Stack != "" {
			fmt.Fprintf(r.stdout, "  stack:\n    %s\n", indent(firstLines(j.Stack, 24)))
		}
	}
	if j.Nondeterminism != "" {
		fmt.Fprintf(r.stdout, "  check determinism: %s\n", indent(j.Nondeterminism))
	}
	fmt.Fprintf(r.stdout, "  events %d, virtual %v, hash %s\n", j.Events, seconds(j.VirtualSec), j.Hash)
	fmt.Fprintf(r.stdout, "  replay: %s\n", j.Replay)
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

// judgesProbes reports whether this output's own runs decide
// -require-probes. A shard's do not: a probe that one shard of a sweep never
// reaches, another may, so merge judges the requirement over every shard's
// runs, and a shard only reports which probes its runs missed.
func (r *reporter) judgesProbes() bool { return r.sweep == nil || r.sweep.Shards <= 1 }

// finish prints the per-scenario summaries and the final count, and reports
// whether the sweep passed: every run passed and every required probe was
// reached (by a shard: every run passed).
func (r *reporter) finish(required []string) bool {
	r.clearProgress()
	unreached := r.unreached(required)
	ok := r.failed == 0 && (len(unreached) == 0 || !r.judgesProbes())
	if r.asJSON {
		for _, name := range r.order {
			s := r.perScenario[name]
			r.printJSON(jsonScenario{Schema: jsonSchema, Type: "scenario", Scenario: name,
				Runs: s.runs, Passed: s.passed, Failed: s.failed, Events: s.events,
				VirtualSec: s.virtual.Seconds(), WallSec: s.wall.Seconds(), Speedup: ratio(s.virtual, s.wall),
				Probes: nonNil(s.shownProbes(name)), Storage: s.storage})
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
		if !r.judgesProbes() {
			fmt.Fprintf(r.stdout, "probe %s: not reached in this shard's %d runs (merge judges -require-probes over every shard)\n", name, r.passed+r.failed)
			continue
		}
		fmt.Fprintf(r.stdout, "FAIL required probe %s: never reached in %d runs (-require-probes)\n", name, r.passed+r.failed)
	}
	line := fmt.Sprintf("%d passed, %d failed", r.passed, r.failed)
	if n := len(unreached); r.judgesProbes() && n == 1 {
		line += ", 1 required probe never reached"
	} else if r.judgesProbes() && n > 1 {
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
	wall := r.wall
	if wall == 0 {
		wall = time.Since(r.start) //lockstep:allow the runner times runs in wall time, outside the simulation
	}
	return jsonSummary{Schema: jsonSchema, Type: "summary", Runs: r.passed + r.failed, Passed: r.passed, Failed: r.failed,
		Interrupted:    r.interrupted,
		RequiredProbes: nonNil(required), UnreachedProbes: nonNil(unreached),
		WallSec: wall.Seconds(), ExitStatus: status, UsageError: usageErr, Sweep: r.sweep}
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
	probes := s.shownProbes(name)
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
