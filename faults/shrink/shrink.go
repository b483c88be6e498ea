//lockstep:host the shrinker drives whole runs from outside the simulation (runs in parallel, a wall-time budget)

// Package shrink minimizes the fault plan of a failing run: it looks for the
// smallest plan under which the same scenario, on the same seed, still fails
// the same check, so that a person reads three fault actions instead of
// ninety.
//
// The search keeps the seed and changes only the plan, which is sound
// because the simulator's draws are keyed (see faults/keyed_test.go and the
// kernel's tiebreak): removing a fault action leaves every unrelated draw as
// it was, so a failure that needs two of the plan's actions still happens
// once the other actions are gone. It runs in phases, each accepting a
// candidate plan only if the run under it fails the same way (Same):
//
//  1. truncate: drop every action scheduled after the failure happened;
//  2. remove: every action of one family of fault kinds at once (network,
//     disk, clock, link faults, crashes, pauses: the swarm profile's
//     sections), then delta debugging (Zeller's ddmin) over the actions:
//     chunks, halving their size down to single actions, each removal kept
//     if the run still fails;
//  3. knobs: lower each workload knob the scenario declares (clients, keys)
//     toward its minimum;
//  4. simplify: make each remaining action smaller: fewer nodes (in a crash,
//     a pause, a clock or disk fault; in a partition, fewer nodes cut off from
//     the largest side), shorter faults (a restart, resume or heal moved
//     closer to what it ends, a fault started later), lower rates (network
//     rates, clock skew, disk faults moved toward the plan's base).
//
// Remove, knobs and simplify alternate until none changes anything or a budget
// runs out. The plan's healing tail (the heal, network restore, resume and
// restart at its Until, which every profile ends with so that liveness checks
// are fair) is kept as it is: a plan that never heals fails liveness checks
// for a reason of its own. Budgets bound the search in runs and wall time;
// when one runs out, the smallest failing plan found so far is the result.
// Wall time bounds only the search: every verdict is a run's, a function of
// the seed and the plan.
package shrink

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

// Target is the failure a shrink keeps: a run fails the same way if it ends
// in the same outcome (fail, panic, budget, deadlock, unknown) on the same
// check.
type Target struct {
	Outcome sim.Outcome
	Check   string
}

// TargetOf returns the failure of a run, as a Target.
func TargetOf(r sim.Result) Target {
	t := Target{Outcome: r.Outcome}
	if r.Failure != nil {
		t.Check = r.Failure.Check
	}
	return t
}

// Same reports whether r fails the way t does.
func (t Target) Same(r sim.Result) bool { return !r.Passed() && TargetOf(r) == t }

func (t Target) String() string { return fmt.Sprintf("%s on %s", t.Outcome, t.Check) }

// RunFunc runs the scenario being shrunk, on its seed, under plan, with the
// workload knobs set to knobs (sim.Options.Knobs; nil: every knob at its
// default).
type RunFunc func(plan faults.Plan, knobs map[string]int) sim.Result

// Options bound and observe a search. The zero value is valid.
type Options struct {
	// MaxRuns bounds the runs the search makes (0: DefaultMaxRuns).
	MaxRuns int
	// MaxTime bounds the search's wall time (0: no bound). It never decides
	// a verdict: when it runs out, the smallest failing plan found so far is
	// the result.
	MaxTime time.Duration
	// Parallel is how many candidate plans are run at once (0 or 1: one).
	// The result does not depend on it: of a batch, the first candidate in
	// the search's order that fails the same way is taken, whichever run
	// finished first.
	Parallel int
	// Progress, if set, is called after every step that made the plan
	// smaller, in order.
	Progress func(Step)
	// Now reads the wall clock for MaxTime and the figures reported
	// (default time.Now); tests pass a fake one.
	Now func() time.Time
	// Knobs are the scenario's workload knobs (sim.Scenario.Knobs): each is
	// lowered toward its Min while the run still fails. KnobValues are the
	// values the failing run had (a knob absent had its default).
	Knobs      []sim.Knob
	KnobValues map[string]int
}

// DefaultMaxRuns is the run budget when Options.MaxRuns is zero.
const DefaultMaxRuns = 500

// Step is one change the search kept.
type Step struct {
	Phase   string        // "truncate", "remove" or "simplify"
	What    string        // what changed, for a person
	Actions int           // fault actions in the plan after the step
	Runs    int           // runs made so far
	Wall    time.Duration // wall time so far
}

func (s Step) String() string {
	return fmt.Sprintf("%-8s %-60s -> %3d actions  (%d runs, %v)", s.Phase, s.What, s.Actions, s.Runs, s.Wall.Round(time.Millisecond))
}

// Result is the outcome of a search.
type Result struct {
	Target Target
	// Plan is the smallest plan found under which the run fails as Target
	// says, and Run that run.
	Plan faults.Plan
	Run  sim.Result
	// Knobs are the knob values of the minimal run (Options.KnobValues with
	// the knobs the search lowered), for sim.Options.Knobs; nil if none.
	Knobs map[string]int
	// Before and After count the fault actions of the original and the
	// minimal plan, the healing tail left out (see Actions).
	Before, After int
	Runs          int           // runs the search made
	Wall          time.Duration // the search's wall time
	Steps         []Step
	// Stopped says which budget ended the search early ("max-runs",
	// "max-time", "interrupted"), "" when it ran to its end: then no single
	// removal or simplification of Plan fails the same way.
	Stopped string
}

// Actions counts the fault actions of a plan: every action but its healing
// tail (Tail).
func Actions(p faults.Plan) int { return len(p.Actions) - Tail(p) }

// Tail returns how many of the plan's last actions are its healing tail:
// heal, network, resume and restart actions at the plan's Until, which end
// every fault so that the run's liveness checks are fair. The shrinker keeps
// them as they are.
func Tail(p faults.Plan) int {
	n := 0
	for i := len(p.Actions) - 1; i >= 0; i-- {
		a := p.Actions[i]
		if a.At != p.Until {
			break
		}
		switch a.Kind {
		case faults.Heal, faults.Network, faults.Resume, faults.Restart:
			n++
			continue
		}
		break
	}
	return n
}

// Shrink minimizes plan (and the knobs Options names), under which first (a
// run of the scenario on its seed, with Options.KnobValues) failed. run runs
// the scenario under a candidate. If first did not fail, there is nothing to
// shrink and the result is plan itself.
// Cancelling ctx stops the search as a budget does.
func Shrink(ctx context.Context, plan faults.Plan, first sim.Result, run RunFunc, opts Options) Result {
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = DefaultMaxRuns
	}
	if opts.Parallel < 1 {
		opts.Parallel = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &search{ctx: ctx, run: run, opts: opts, start: opts.Now(), verdicts: map[string]*sim.Result{},
		res: Result{Target: TargetOf(first), Plan: plan, Run: first, Knobs: opts.KnobValues,
			Before: Actions(plan), After: Actions(plan)}}
	s.verdicts[key(plan, opts.KnobValues)] = &first
	if first.Passed() {
		return s.res
	}
	s.truncate()
	s.removeFamilies()
	for round := 0; s.res.Stopped == ""; round++ {
		removed := s.remove(round == 0)
		lowered := s.lowerKnobs()
		simplified := s.simplify()
		if !removed && !lowered && !simplified {
			break
		}
	}
	s.res.After = Actions(s.res.Plan)
	s.res.Wall = opts.Now().Sub(s.start)
	return s.res
}

// search is one Shrink.
type search struct {
	ctx   context.Context
	run   RunFunc
	opts  Options
	start time.Time
	// verdicts holds the run of every candidate already run (and of the
	// original), by key (the plan's JSON and the knob values), so that a
	// candidate reached twice costs no second run. A run is a function of
	// its plan and knobs, so this changes no result.
	verdicts map[string]*sim.Result
	res      Result
}

func key(p faults.Plan, knobs map[string]int) string {
	b, _ := json.Marshal(p)
	k, _ := json.Marshal(knobs) // encoding/json sorts map keys
	return string(b) + string(k)
}

// candidate is a plan and knob values to try, and what it changes.
type candidate struct {
	plan  faults.Plan
	knobs map[string]int // nil: the current ones
	what  string
	key   string // key(plan, knobs), once try has checked the plan is valid
	index int    // its place in the list try was given
}

// try takes the first of candidates, in order, under which the run fails
// the same way: the plan becomes it and the step is recorded under phase.
// It returns the index of the one taken, or -1. Candidates are run in
// batches of Parallel; one that is not a valid plan is skipped without a
// run, and one run before is judged by its earlier run. A candidate without
// knobs of its own has the current ones.
func (s *search) try(phase string, cands []candidate) int {
	var valid []candidate
	for i, c := range cands {
		if c.knobs == nil {
			c.knobs = s.res.Knobs
		}
		if c.plan.Validate() == nil {
			c.key, c.index = key(c.plan, c.knobs), i
			valid = append(valid, c)
		}
	}
	for len(valid) > 0 {
		// Judge the candidates from memory, in order, up to the first not
		// yet run.
		for len(valid) > 0 {
			r, ok := s.verdicts[valid[0].key]
			if !ok {
				break
			}
			if s.res.Target.Same(*r) {
				s.accept(phase, valid[0], *r)
				return valid[0].index
			}
			valid = valid[1:]
		}
		if len(valid) == 0 || !s.budgetLeft() {
			return -1
		}
		// Run a batch of up to Parallel candidates not yet run, then judge
		// again.
		var batch []candidate
		inBatch := map[string]bool{}
		for _, c := range valid {
			if len(batch) == min(s.opts.Parallel, s.opts.MaxRuns-s.res.Runs) {
				break
			}
			if _, ok := s.verdicts[c.key]; !ok && !inBatch[c.key] {
				inBatch[c.key] = true
				batch = append(batch, c)
			}
		}
		results := make([]sim.Result, len(batch))
		var wg sync.WaitGroup //lockstep:allow the shrinker runs whole candidate runs in parallel, outside them
		for i, c := range batch {
			wg.Add(1)
			go func() { //lockstep:allow each candidate is a run of its own world; results land in its own slot
				defer wg.Done()
				results[i] = s.run(c.plan, c.knobs)
			}()
		}
		wg.Wait()
		s.res.Runs += len(batch)
		for i, c := range batch {
			s.verdicts[c.key] = &results[i]
		}
	}
	return -1
}

func (s *search) accept(phase string, c candidate, r sim.Result) {
	s.res.Plan, s.res.Run, s.res.Knobs = c.plan, r, c.knobs
	step := Step{Phase: phase, What: c.what, Actions: Actions(c.plan), Runs: s.res.Runs, Wall: s.opts.Now().Sub(s.start)}
	s.res.Steps = append(s.res.Steps, step)
	if s.opts.Progress != nil {
		s.opts.Progress(step)
	}
}

// budgetLeft reports whether another run may start, and records which
// budget ran out if none may.
func (s *search) budgetLeft() bool {
	switch {
	case s.res.Stopped != "":
	case s.ctx.Err() != nil:
		s.res.Stopped = "interrupted"
	case s.res.Runs >= s.opts.MaxRuns:
		s.res.Stopped = "max-runs"
	case s.opts.MaxTime > 0 && s.opts.Now().Sub(s.start) >= s.opts.MaxTime:
		s.res.Stopped = "max-time"
	}
	return s.res.Stopped == ""
}

// without returns p without the fault actions whose indexes drop says.
func without(p faults.Plan, drop func(i int) bool) faults.Plan {
	out := p
	out.Actions = nil
	for i, a := range p.Actions {
		if !drop(i) {
			out.Actions = append(out.Actions, a)
		}
	}
	return out
}

// truncate drops the actions scheduled after the failure: they never ran
// before it. (A plan's times count from when the scenario installed it,
// which is not before the run's start, so an action whose plan time is
// after the failure's run time ran after it, if at all.)
func (s *search) truncate() {
	f := s.res.Run.Failure
	if f == nil {
		return
	}
	p := s.res.Plan
	faultEnd := len(p.Actions) - Tail(p)
	late := 0
	for _, a := range p.Actions[:faultEnd] {
		if a.At > f.At {
			late++
		}
	}
	if late == 0 {
		return
	}
	c := without(p, func(i int) bool { return i < faultEnd && p.Actions[i].At > f.At })
	_ = s.try("truncate", []candidate{{plan: c, what: fmt.Sprintf("drop the %d actions after the failure at %v", late, f.At)}})
}

// families group the fault kinds as the swarm profile draws them (one
// section each, on or off by the seed): the network's rates, the disks'
// faults, clock skew, link faults and their heals, crashes and their
// restarts, pauses and their resumes.
var families = []struct {
	name  string
	kinds []faults.Kind
}{
	{"network", []faults.Kind{faults.Network}},
	{"disk", []faults.Kind{faults.Disk}},
	{"clock", []faults.Kind{faults.Clock}},
	{"link", []faults.Kind{faults.Partition, faults.OneWay, faults.Isolate, faults.IsolateLdr, faults.Heal}},
	{"crash", []faults.Kind{faults.Crash, faults.Restart}},
	{"pause", []faults.Kind{faults.Pause, faults.Resume}},
}

// removeFamilies tries removing every action of one family of fault kinds
// at once, family by family: a bug usually needs few kinds of fault, and a
// family's actions are spread over the whole plan, where chunks of
// consecutive actions would take many runs to remove them.
func (s *search) removeFamilies() {
	for _, f := range families {
		if s.res.Stopped != "" {
			return
		}
		p := s.res.Plan
		faultEnd := len(p.Actions) - Tail(p)
		in := func(i int) bool { return i < faultEnd && slices.Contains(f.kinds, p.Actions[i].Kind) }
		n := 0
		for i := range p.Actions {
			if in(i) {
				n++
			}
		}
		if n == 0 || n == faultEnd {
			continue // nothing to remove, or everything (chunks try that)
		}
		s.try("remove", []candidate{{plan: without(p, in), what: fmt.Sprintf("remove every %s action (%d)", f.name, n)}})
	}
}

// remove is delta debugging over the fault actions: chunks of half the
// actions, then of a quarter, and so on down to single actions, each
// removed if the run still fails without it. A pass over one chunk size goes
// on from where the last removal was made rather than starting over (the
// linear variant of Zeller's ddmin): the chunks before it were tried on a
// larger plan. full is false after the first round, when only single
// actions are tried (a simplification seldom makes a whole chunk
// removable). It reports whether it removed anything.
func (s *search) remove(full bool) bool {
	changed := false
	size := 1
	if full {
		size = max(Actions(s.res.Plan)/2, 1)
	}
	for ; size >= 1 && s.res.Stopped == ""; size /= 2 {
		for from := 0; s.res.Stopped == ""; {
			p := s.res.Plan
			count := Actions(p)
			var cands []candidate
			var starts []int
			for lo := from; lo < count; lo += size {
				hi := min(lo+size, count)
				what := fmt.Sprintf("remove actions %d-%d of %d", lo+1, hi, count)
				if hi-lo == 1 {
					what = "remove " + describe(p, p.Actions[lo])
				}
				cands = append(cands, candidate{plan: without(p, func(i int) bool { return i >= lo && i < hi }), what: what})
				starts = append(starts, lo)
			}
			k := s.try("remove", cands)
			if k < 0 {
				break
			}
			changed = true
			from = starts[k]
		}
	}
	return changed
}

// lowerKnobs lowers each workload knob toward its Min: to Min if the run
// still fails there, else by bisection between the highest value known not
// to fail the same way and the lowest that does. It reports whether it
// lowered any.
func (s *search) lowerKnobs() bool {
	changed := false
	for _, k := range s.opts.Knobs {
		lo := k.Min - 1 // the highest value known not to fail the same way
		for s.res.Stopped == "" {
			v, ok := s.res.Knobs[k.Name]
			if !ok {
				v = k.Default
			}
			to := k.Min
			if lo >= k.Min {
				to = lo + (v-lo)/2
			}
			if to <= lo || to >= v {
				break
			}
			knobs := maps.Clone(s.res.Knobs)
			if knobs == nil {
				knobs = map[string]int{}
			}
			knobs[k.Name] = to
			if s.try("knobs", []candidate{{plan: s.res.Plan, knobs: knobs, what: fmt.Sprintf("knob %s %d -> %d", k.Name, v, to)}}) < 0 {
				if s.res.Stopped != "" {
					break
				}
				lo = to
				continue
			}
			changed = true
		}
	}
	return changed
}

// simplify tries, action by action, the simplifications of simplify.go,
// keeping each that still fails, until a pass over the plan changes
// nothing. It reports whether it changed anything.
func (s *search) simplify() bool {
	changed := false
	for s.res.Stopped == "" {
		pass := false
		for i := 0; i < Actions(s.res.Plan) && s.res.Stopped == ""; i++ {
			// An accepted change may re-sort the plan (a time moved): the
			// action at i is then another one, which is simplified in its
			// turn, and the pass repeats until nothing changes.
			for s.try("simplify", simplifications(s.res.Plan, i)) >= 0 {
				pass = true
				if i >= Actions(s.res.Plan) {
					break
				}
			}
		}
		if !pass {
			break
		}
		changed = true
	}
	return changed
}
