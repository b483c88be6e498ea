//lockstep:host the runner: it writes a page of a run after it, outside the simulation

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/faults/shrink"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/page"
)

// The help of replay's -html and of run's -html.
const (
	htmlReplayHelp = "write the run as one self-contained HTML page to this file (docs/page.md)"
	htmlRunHelp    = "write a self-contained HTML page of each failing run into this directory (docs/page.md)"
	htmlShrinkHelp = "write the minimal failing run as one self-contained HTML page to this file (docs/page.md)"
)

// pageRecorder collects what a run's page draws: the trace, for the
// page's collector, and the fault plan the run installed, which
// faults.Install marks in the trace (faults.MarkPlan).
type pageRecorder struct {
	c    *page.Collector
	plan *faults.Plan
	// knobs is the run's -knobs as a replay takes them ("" for none): the
	// page's replay command must set them too, or it replays another run.
	knobs string
}

// pageTrace returns a recorder for a run's page and the trace function that
// feeds it, after then (nil: nothing else).
func pageTrace(then func(sim.Record)) (*pageRecorder, func(sim.Record)) {
	pr := &pageRecorder{c: page.NewCollector()}
	return pr, func(r sim.Record) {
		if then != nil {
			then(r)
		}
		if p, ok := faults.PlanFromRecord(r); ok {
			pr.plan = &p // shown at the top of the page, not as a mark
			return
		}
		pr.c.Record(r)
	}
}

// writePage writes the page of run res of sc, recorded by pr, to file. spec
// is the -faults the run was given ("" for the scenario's own).
func (r *runner) writePage(file string, sc *sim.Scenario, pr *pageRecorder, res sim.Result, spec string) error {
	run := page.Run{
		Result:      res,
		Description: sc.Description,
		Replay:      ReplayCommand(r.Command, sc.Name, res.Seed, spec),
	}
	if pr.knobs != "" {
		run.Replay += " -knobs " + pr.knobs // names and integers: nothing to quote
	}
	if p := pr.plan; p != nil {
		run.Plan, run.PlanText = p.JSON(), p.String()
	} else if strings.HasPrefix(strings.TrimSpace(spec), "{") {
		run.Plan = []byte(spec)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if err := pr.c.Write(f, run); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return f.Close()
}

// checkHTMLDir checks run's -html DIR before the sweep starts.
func checkHTMLDir(dir string) error {
	if dir == "" {
		return nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("-html %q is not a directory", dir)
	}
	return nil
}

// checkHTMLFile checks replay's -html FILE before the run: its directory
// must exist, and FILE must not be a directory.
func checkHTMLFile(file string) error {
	if file == "" {
		return nil
	}
	if st, err := os.Stat(filepath.Dir(file)); err != nil || !st.IsDir() {
		return usagef("-html %q: directory %q does not exist", file, filepath.Dir(file))
	}
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		return usagef("-html %q is a directory: want a file name", file)
	}
	return nil
}

// pageOfFailure replays a failing run of a sweep with its trace on (the
// sweep ran it without, which is faster) and writes its page into dir,
// named after the scenario and seed. It returns the file written.
func (r *runner) pageOfFailure(dir string, o outcome, spec string) (string, error) {
	file := filepath.Join(dir, PageFileName(o.scenario.Name, o.seed))
	res, err := r.replayPage(file, o.scenario, sim.Options{Seed: o.seed, Faults: spec}, spec)
	if err != nil {
		return "", err
	}
	if o.div == nil && (res.Outcome != o.res.Outcome || res.Hash != o.res.Hash) {
		// Tracing must change nothing (sim.World.Tracing); say so if it did
		// rather than leave another run's page under this one's name. (A
		// run that failed the determinism check is drawn as it replays now.)
		os.Remove(file)
		return "", fmt.Errorf("%s seed %d: the traced replay ended %s (hash %016x), the sweep's run %s (hash %016x): not drawn",
			o.scenario.Name, o.seed, res.Outcome, res.Hash, o.res.Outcome, o.res.Hash)
	}
	return file, nil
}

// replayPage runs sc with opts (its seed, faults and knobs; opts.Trace is
// replaced) with its trace on, and writes the run's page to file: for any
// command that has a run worth showing (a sweep's failures, a shrunk plan's
// failure). spec is the -faults the page's replay command shows: a profile,
// a JSON plan, or "" for the scenario's own.
func (r *runner) replayPage(file string, sc *sim.Scenario, opts sim.Options, spec string) (sim.Result, error) {
	pr, trace := pageTrace(nil)
	pr.knobs = knobsText(sc, opts.Knobs, false)
	opts.Trace = trace
	res := sim.RunScenario(sc, opts)
	return res, r.writePage(file, sc, pr, res, spec)
}

// shrunkPage writes the page of the minimal failing run a shrink ended
// with, res.Run: seed of sc under res.Plan and res.Knobs, replayed with its
// trace on. The search ran without a trace (faster); a traced replay that
// ends otherwise would draw another run, so it is an error and no page is
// left behind.
func (r *runner) shrunkPage(file string, sc *sim.Scenario, seed uint64, res shrink.Result) error {
	spec := string(res.Plan.JSON())
	got, err := r.replayPage(file, sc, sim.Options{Seed: seed, Faults: spec, Knobs: res.Knobs}, spec)
	if err != nil {
		return err
	}
	if got.Outcome != res.Run.Outcome || got.Hash != res.Run.Hash {
		os.Remove(file)
		return fmt.Errorf("%s seed %d: the traced replay of the minimal plan ended %s (hash %016x), the search's run %s (hash %016x): not drawn",
			sc.Name, seed, got.Outcome, got.Hash, res.Run.Outcome, res.Run.Hash)
	}
	return nil
}

// WritePage runs sc with opts (its seed, faults and knobs; opts.Trace is
// replaced) with its trace on, and writes the run's page to file, as
// `replay -html` does: for a program that runs scenarios without the
// runner, such as package sim/simtest. command is the runner whose replay
// line the page shows (as Config.Command). A run that is traced is the same
// run (sim.World.Tracing): compare the result's Outcome and Hash with an
// untraced run's before showing the page as that run's.
func WritePage(file, command string, sc *sim.Scenario, opts sim.Options) (sim.Result, error) {
	r := &runner{Config: Config{Command: command}}
	return r.replayPage(file, sc, opts, opts.Faults)
}

// PageFileName is the name of a failing run's page in run's -html directory:
// "kv_Swarm_12.html" for kv/Swarm seed 12 (as the corpus names its entries).
func PageFileName(scenario string, seed uint64) string {
	return fmt.Sprintf("%s_%d.html", strings.ReplaceAll(scenario, "/", "_"), seed)
}

// reportPage writes the page of failing run o into dir and says where: on
// stdout under the failure's report, or on stderr when stdout carries JSON
// lines. A page that cannot be written is reported, and the sweep goes on.
func (r *runner) reportPage(dir string, o outcome, spec string, rep *reporter) {
	file, err := r.pageOfFailure(dir, o, spec)
	switch {
	case err != nil:
		rep.clearProgress()
		fmt.Fprintf(r.stderr, "%s: -html: %v\n", r.Name, err)
	case rep.asJSON:
		rep.clearProgress()
		fmt.Fprintf(r.stderr, "%s: page of %s seed %d: %s\n", r.Name, o.scenario.Name, o.seed, file)
	default:
		rep.clearProgress()
		fmt.Fprintf(r.stdout, "  page: %s\n", file)
	}
}
