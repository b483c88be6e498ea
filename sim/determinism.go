package sim

import "fmt"

// Divergence describes the first event at which two runs of the same
// scenario and seed differ.
type Divergence struct {
	Event        uint64
	First, Again Record // the event as each run saw it (zero if that run had ended)
	// FirstLost: the first run's record of the event could not be recovered
	// (CheckDeterminism keeps only 8 bytes per event of the first run and
	// re-runs it to recover the record; that third run diverged as well).
	FirstLost bool
	// sameEvent: both runs ran the same event (time, node, label) after the
	// same history, with different contents.
	sameEvent bool
	// Outcomes, when every event matched but the runs ended differently (a
	// check whose verdict depends on something besides the run, such as
	// state left by the previous run).
	FirstOutcome, AgainOutcome Outcome
}

// SameEventDifferentContent reports whether both runs ran the same event
// (same time, node and label, after identical histories) but it produced
// different contents: a payload, a persisted state or an applied result that
// a system digested with World.Digest. First then repeats the event's time,
// node and label; its content digest is not known.
func (d *Divergence) SameEventDifferentContent() bool { return d.sameEvent }

func (d *Divergence) Error() string {
	if d.FirstOutcome != d.AgainOutcome {
		return fmt.Sprintf("nondeterminism: every one of %d events matched, but the runs ended differently: %s, then %s",
			d.Event, d.FirstOutcome, d.AgainOutcome)
	}
	if d.SameEventDifferentContent() {
		node := d.First.Node
		if node == "" {
			node = "the world"
		}
		return fmt.Sprintf("nondeterminism: runs diverge at event %d `%s` on %s at %v: same event, different content",
			d.Event, d.Again.Label, node, d.Again.At)
	}
	describe := func(r Record, lost bool) string {
		if lost {
			return "(not recovered: a third run diverged from the first)"
		}
		if r.Label == "" && r.At == 0 && r.Node == "" {
			return "(run had ended)"
		}
		return r.String()
	}
	return fmt.Sprintf("nondeterminism: runs diverge at event %d:\n  first run: %s\n  second run: %s",
		d.Event, describe(d.First, d.FirstLost), describe(d.Again, false))
}

// eventLog keeps 8 bytes per event of the first run, in fixed-size chunks
// (no copying, and no doubled peak, as with a slice that grows by doubling):
// the upper half folds the running hash after the event (so it differs from
// the first divergent event on, whatever diverged), the lower half hashes the
// event itself (time, node, label), so that a divergence can be told apart as
// "same event, different content". Each half is 32 bits: a divergence goes
// unnoticed at one event with probability 2^-32, and is then found at the
// next one, or by the full hashes the runs end with.
type eventLog struct {
	chunks [][]uint64
	n      uint64
}

const eventChunk = 1 << 13

func (l *eventLog) add(v uint64) {
	if l.n%eventChunk == 0 {
		l.chunks = append(l.chunks, make([]uint64, 0, eventChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, v)
	l.n++
}

func (l *eventLog) at(i uint64) uint64 { return l.chunks[i/eventChunk][i%eventChunk] }

// eventKey is what eventLog keeps of a record.
func eventKey(r *Record) uint64 {
	running := uint32(r.Hash>>32) ^ uint32(r.Hash)
	h := (14695981039346656037 ^ uint64(r.At)) * 1099511628211
	for i := 0; i < len(r.Node); i++ {
		h = (h ^ uint64(r.Node[i])) * 1099511628211
	}
	h = (h ^ 0xff) * 1099511628211 // separates node from label
	for i := 0; i < len(r.Label); i++ {
		h = (h ^ uint64(r.Label[i])) * 1099511628211
	}
	return uint64(running)<<32 | uint64(uint32(h>>32)^uint32(h))
}

// CheckDeterminism runs s twice with opts and compares the two runs event by
// event. It returns the first run's result and, if they differ, the first
// divergent event.
//
// Memory stays flat however long the run: of the first run it keeps 8 bytes
// an event (see eventLog). When the runs diverge at an event that both ran
// with different contents, the first run's record is the second's with its
// content unknown; when they ran different events, the scenario runs a third
// time to recover the first run's record, which succeeds when that run
// matches the first up to the divergent event (FirstLost otherwise).
func CheckDeterminism(s *Scenario, opts Options) (Result, *Divergence) {
	var first eventLog
	o1 := opts
	o1.OnEvent = func(r Record) { first.add(eventKey(&r)) }
	res1 := RunScenario(s, o1)

	var div *Divergence
	var i, at uint64 // events of the second run so far; index of the divergent one
	o2 := opts
	o2.OnEvent = func(r Record) {
		if div == nil {
			if i >= first.n {
				div, at = &Divergence{Event: r.Event, Again: r}, i
			} else if k := first.at(i); k>>32 != eventKey(&r)>>32 {
				div, at = &Divergence{Event: r.Event, Again: r}, i
				if uint32(k) == uint32(eventKey(&r)) {
					div.First = Record{Event: r.Event, At: r.At, Node: r.Node, Label: r.Label}
					div.sameEvent = true
				}
			}
		}
		i++
	}
	res2 := RunScenario(s, o2)
	if div == nil && i < first.n {
		div, at = &Divergence{Event: i + 1}, i
	}
	if div != nil && at < first.n && !div.sameEvent {
		div.First, div.FirstLost = recoverRecord(s, opts, &first, at)
	}
	switch {
	case div != nil:
	case res1.Hash != res2.Hash:
		div = &Divergence{Event: res1.Events}
	case res1.Outcome != res2.Outcome:
		div = &Divergence{Event: res1.Events, FirstOutcome: res1.Outcome, AgainOutcome: res2.Outcome}
	}
	return res1, div
}

// recoverRecord runs s once more and returns its record of event index i
// (0-based), provided the run matches the first run's log up to and including
// it: then it is the first run's event as far as the log can tell. lost
// reports that the third run diverged from the first before.
func recoverRecord(s *Scenario, opts Options, first *eventLog, i uint64) (rec Record, lost bool) {
	var j uint64
	lost = true
	o := opts
	o.OnEvent = func(r Record) {
		if j <= i && first.at(j) != eventKey(&r) {
			j = i // diverged before i (or at it, differently): stop looking
		} else if j == i {
			rec, lost = r, false
		}
		j++
	}
	RunScenario(s, o)
	return rec, lost
}
