// Package clock is the time interface nodes use. Code that must run both in
// the simulator and on a real machine asks a Clock, never package time: in
// the simulator a Clock is virtual (with the node's offset and drift), on a
// real machine it is the wall clock.
package clock

import "time"

// Clock tells the time and runs callbacks later.
type Clock interface {
	// Now is the local time, which may be offset from or drift against other
	// nodes' clocks. Use Since for durations: it is monotonic.
	Now() time.Time
	// Since is the monotonic time elapsed since this clock was made.
	Since() time.Duration
	// AfterFunc runs f once d of local time has passed, unless stopped. On a
	// simulated clock f runs as an event of the node, and never after a crash.
	AfterFunc(d time.Duration, f func()) Timer
}

// Labeled is a Clock whose timers can carry a label for the trace. The
// simulated clock shows it on the timer's event ("timer raft election");
// the real one has no trace and ignores it.
type Labeled interface {
	Clock
	// AfterFuncLabel is AfterFunc with a label naming what the timer is
	// for. The label is for the trace only: it changes no run's hash.
	AfterFuncLabel(d time.Duration, label string, f func()) Timer
}

// AfterFuncLabel is c.AfterFunc with a label for the trace, where c is a
// Labeled clock; other clocks run f unlabelled. Pass a constant (or a string
// built once): a simulated clock keeps a label per label it has seen.
func AfterFuncLabel(c Clock, d time.Duration, label string, f func()) Timer {
	if l, ok := c.(Labeled); ok {
		return l.AfterFuncLabel(d, label, f)
	}
	return c.AfterFunc(d, f)
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop cancels the timer and reports whether it did so before it fired.
	Stop() bool
}

// EpochUnix is Epoch in seconds since 1970: a constant, so that no run can
// move the start of another.
const EpochUnix = 1893456000

// Epoch is the wall-clock time a simulated run starts at, 2030-01-01 00:00
// UTC. A fixed date keeps runs reproducible and is far from any edge (year
// 2000, leap seconds), even with a node's clock offset by sim.MaxClockOffset.
func Epoch() time.Time { return time.Unix(EpochUnix, 0).UTC() }
