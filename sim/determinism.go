package sim

import "fmt"

// Divergence describes the first event at which two runs of the same
// scenario and seed differ.
type Divergence struct {
	Event        uint64
	First, Again Record // the event as each run saw it (zero if that run had ended)
	// Outcomes, when every event matched but the runs ended differently (an
	// end-of-run check that disagreed with itself).
	FirstOutcome, AgainOutcome Outcome
}

func (d *Divergence) Error() string {
	if d.FirstOutcome != d.AgainOutcome {
		return fmt.Sprintf("nondeterminism: every one of %d events matched, but the end checks disagree: %s, then %s",
			d.Event, d.FirstOutcome, d.AgainOutcome)
	}
	describe := func(r Record) string {
		if r.Label == "" && r.At == 0 && r.Node == "" {
			return "(run had ended)"
		}
		return r.String()
	}
	return fmt.Sprintf("nondeterminism: runs diverge at event %d:\n  first run: %s\n  second run: %s",
		d.Event, describe(d.First), describe(d.Again))
}

// CheckDeterminism runs s twice with opts and compares the two runs event by
// event. It returns the first run's result and, if they differ, the first
// divergent event.
func CheckDeterminism(s *Scenario, opts Options) (Result, *Divergence) {
	var first []Record
	o1 := opts
	o1.OnEvent = func(r Record) { first = append(first, r) }
	res1 := RunScenario(s, o1)

	var div *Divergence
	var i uint64
	o2 := opts
	o2.OnEvent = func(r Record) {
		defer func() { i++ }()
		if div != nil {
			return
		}
		if i >= uint64(len(first)) {
			div = &Divergence{Event: r.Event, Again: r}
			return
		}
		if first[i].Hash != r.Hash {
			div = &Divergence{Event: r.Event, First: first[i], Again: r}
		}
	}
	res2 := RunScenario(s, o2)
	if div == nil && i < uint64(len(first)) {
		div = &Divergence{Event: first[i].Event, First: first[i]}
	}
	switch {
	case div != nil:
	case res1.Hash != res2.Hash:
		div = &Divergence{Event: res1.Events}
	case res1.Outcome != res2.Outcome && (res1.Outcome == Unknown || res2.Outcome == Unknown):
		// A checker with a wall-clock budget (porcupine) decided once and
		// not the other time: the run is undecided, not nondeterministic.
		if res1.Outcome != Unknown {
			res1 = res2
		}
	case res1.Outcome != res2.Outcome:
		div = &Divergence{Event: res1.Events, FirstOutcome: res1.Outcome, AgainOutcome: res2.Outcome}
	}
	return res1, div
}
