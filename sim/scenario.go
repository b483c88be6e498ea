package sim

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// Scenario is a named, seeded run: it builds a cluster in a world, drives a
// workload and faults, and checks. Scenarios live beside the system they
// exercise and register themselves by name in an init function.
type Scenario struct {
	Name        string // "system/Stem", e.g. "raft/Figure8Unreliable2C"
	Description string // one line
	// Faults is the fault profile applied when the user names none. Empty
	// means the scenario scripts its own faults (as the ported 6.824 tests
	// do) and takes no fault plan: running it with one is an error rather
	// than a plan silently ignored.
	Faults    string
	MaxEvents uint64
	MaxTime   time.Duration
	// Planted, if set, says which bug is deliberately planted in the system
	// this scenario runs ("the vote is not persisted: a restarted peer votes
	// twice in a term"): the scenario is expected to fail, and exists so
	// that users can grade checkers and tools (a shrinker, a sweep) against
	// a known bug. A planted scenario's name has a segment "planted"
	// ("raft/planted/ForgetVote"), and only a pattern that names that
	// segment matches it (see Match): a sweep of '*' runs the correct
	// systems and expects them to pass.
	Planted string
	// Knobs are the workload parameters a runner may set (Options.Knobs):
	// clients, keys, operations. Main reads each with World.Knob. A shrinker
	// lowers them toward their Min while the run still fails, to find the
	// smallest workload that shows a bug.
	Knobs []Knob
	// Main runs as the run's main process. The run ends when it returns: an
	// error fails the run, as does any check that fails before.
	Main func(p *Proc) error
}

// Knob is a workload parameter of a scenario: an integer in [Min, Max], set
// by Options.Knobs or else Default.
type Knob struct {
	Name        string
	Description string
	Default     int
	Min, Max    int
}

// Knob returns the value of k in this run: the one Options.Knobs sets, or
// k's default.
func (w *World) Knob(k Knob) int {
	if v, ok := w.opts.Knobs[k.Name]; ok {
		return v
	}
	return k.Default
}

// checkKnobs reports a knob value the scenario does not declare or that is
// out of its range, as an error matching ErrBadInput.
func (s *Scenario) checkKnobs(values map[string]int) error {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := values[name]
		var known []string
		found := false
		for _, k := range s.Knobs {
			known = append(known, k.Name)
			if k.Name != name {
				continue
			}
			found = true
			if v < k.Min || v > k.Max {
				return fmt.Errorf("knob %s=%d of %s is not in [%d, %d]: %w", name, v, s.Name, k.Min, k.Max, ErrBadInput)
			}
		}
		if !found {
			return fmt.Errorf("scenario %s has no knob %q (knobs: %s): %w", s.Name, name, strings.Join(known, ", "), ErrBadInput)
		}
	}
	return nil
}

var registry = map[string]*Scenario{}

// Register adds a scenario. It panics on a duplicate or malformed name, at
// init time, where the mistake is found by every test.
func Register(s Scenario) {
	if s.Name == "" || !strings.Contains(s.Name, "/") || s.Main == nil {
		panic(fmt.Sprintf("sim: scenario %q needs a system/Name and a Main", s.Name))
	}
	for _, k := range s.Knobs {
		if k.Name == "" || k.Min > k.Default || k.Default > k.Max {
			panic(fmt.Sprintf("sim: scenario %q: knob %q needs a name and Min <= Default <= Max", s.Name, k.Name))
		}
	}
	if (s.Planted != "") != namesPlanted(s.Name) {
		panic(fmt.Sprintf("sim: scenario %q: a scenario with a planted bug, and only one, has a segment %q in its name (Planted %q)",
			s.Name, plantedSegment, s.Planted))
	}
	if _, dup := registry[s.Name]; dup {
		panic(fmt.Sprintf("sim: scenario %q registered twice", s.Name))
	}
	registry[s.Name] = &s
}

// Lookup returns the scenario named name, planted or not.
func Lookup(name string) (*Scenario, bool) {
	s, ok := registry[name]
	return s, ok
}

// Scenarios returns every registered scenario without a planted bug, sorted
// by name: the scenarios that are expected to pass.
func Scenarios() []*Scenario { return sorted(false) }

// PlantedScenarios returns every registered scenario with a planted bug
// (Scenario.Planted), sorted by name: the scenarios expected to fail.
func PlantedScenarios() []*Scenario { return sorted(true) }

func sorted(planted bool) []*Scenario {
	out := make([]*Scenario, 0, len(registry))
	for _, s := range registry {
		if (s.Planted != "") == planted {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// plantedSegment is the name segment of the scenarios with a planted bug.
const plantedSegment = "planted"

// namesPlanted reports whether a name or pattern has the segment "planted"
// literally ("raft/planted/ForgetVote", "*/planted/*").
func namesPlanted(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if seg == plantedSegment {
			return true
		}
	}
	return false
}

// Match returns the scenarios whose name matches pattern: an exact name or a
// glob ('*' alone means all). A malformed pattern is an error.
//
// Scenarios with a planted bug are matched only by a pattern that names
// their "planted" segment literally ("raft/planted/*", "*/planted/*", or the
// exact name): '*' means every scenario expected to pass, so CI can sweep it
// and require a pass, and a glob such as "raft/*/*" that merely happens to
// fit a planted name does not pull a failing scenario into a sweep either.
func Match(pattern string) ([]*Scenario, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("bad scenario pattern %q: %v", pattern, err)
	}
	candidates := Scenarios()
	if namesPlanted(pattern) {
		candidates = PlantedScenarios()
	}
	var out []*Scenario
	for _, s := range candidates {
		if pattern == "*" || s.Name == pattern {
			out = append(out, s)
			continue
		}
		if ok, _ := path.Match(pattern, s.Name); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// Outcome is how a run ended.
type Outcome string

const (
	Pass   Outcome = "pass"
	Fail   Outcome = "fail"   // a check failed
	Panic  Outcome = "panic"  // simulated code panicked
	Budget Outcome = "budget" // event or virtual-time budget exceeded: livelock
	// Deadlock: the event queue drained while a process (the scenario's
	// Main, a clerk, a worker) still waited; the failure names each one and
	// what it waits for.
	Deadlock Outcome = "deadlock"
	Unknown  Outcome = "unknown" // a checker could not decide: never a pass
)

// Result is what one run of a scenario produced.
type Result struct {
	Scenario string
	Seed     uint64
	Faults   string
	Outcome  Outcome
	Failure  *Failure
	Events   uint64
	Virtual  time.Duration
	Hash     uint64
	// Probes counts, by probe name, how often each probe was reached (only
	// probes reached at least once appear).
	Probes map[string]uint64
	// Storage counts what crashes found on the nodes' storage.
	Storage StorageStats
	// Attachments are the files the run attached for a person (World.Attach).
	Attachments []Attachment
}

// ErrBadInput marks a failure caused by the user's input (a fault plan that
// does not fit the scenario, say), not by the system under test: runners
// report it as a usage error, never as a failing seed.
var ErrBadInput = errors.New("bad input")

// CheckError is an error that names the check that failed, so that a
// scenario's Main can return it and the run reports that check rather than
// "scenario".
type CheckError struct {
	Check string
	Err   error
}

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// Checkf returns a CheckError for check with a formatted message.
func Checkf(check, format string, args ...any) error {
	return &CheckError{Check: check, Err: fmt.Errorf(format, args...)}
}

// TakesFaults reports whether the scenario runs under a fault plan (and so
// accepts one chosen by the user).
func (s *Scenario) TakesFaults() bool { return s.Faults != "" }

// Passed reports whether the run passed.
func (r Result) Passed() bool { return r.Outcome == Pass }

// RunScenario runs s once with opts (whose Seed and Faults it uses; a zero
// budget takes the scenario's, then the kernel's default).
func RunScenario(s *Scenario, opts Options) Result {
	if opts.MaxEvents == 0 {
		opts.MaxEvents = s.MaxEvents
	}
	if opts.MaxTime == 0 {
		opts.MaxTime = s.MaxTime
	}
	if opts.Faults == "" {
		opts.Faults = s.Faults
	}
	if s.Faults == "" && opts.Faults != "" {
		f := &Failure{Check: "faults", Err: fmt.Errorf("scenario %s scripts its own faults and takes no fault plan (got %q)", s.Name, opts.Faults)}
		return Result{Scenario: s.Name, Seed: opts.Seed, Faults: opts.Faults, Outcome: Fail, Failure: f}
	}
	if err := s.checkKnobs(opts.Knobs); err != nil {
		f := &Failure{Check: "knobs", Err: err}
		return Result{Scenario: s.Name, Seed: opts.Seed, Faults: opts.Faults, Outcome: Fail, Failure: f}
	}
	w := NewWorld(opts)
	w.Spawn(nil, "main", func(p *Proc) {
		if err := s.Main(p); err != nil {
			check := "scenario"
			var ce *CheckError
			if errors.As(err, &ce) {
				check = ce.Check
			}
			w.Fail(check, nil, err)
		}
		w.Stop()
	})
	f := w.Run()
	res := Result{Scenario: s.Name, Seed: opts.Seed, Faults: opts.Faults, Outcome: Pass,
		Failure: f, Events: w.events, Virtual: w.now, Hash: w.hash,
		Probes: w.ProbeHits(), Storage: w.StorageStats(), Attachments: w.Attachments()}
	switch {
	case f == nil:
	case f.Check == "panic":
		res.Outcome = Panic
	case f.Check == "budget":
		res.Outcome = Budget
	case f.Check == "deadlock":
		res.Outcome = Deadlock
	case isUnknown(f.Err):
		res.Outcome = Unknown
	default:
		res.Outcome = Fail
	}
	return res
}

func isUnknown(err error) bool { return errors.Is(err, ErrUnknown) }
