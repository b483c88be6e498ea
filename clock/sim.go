package clock

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Sim is a node's simulated clock. It reads the node's offset and drift on
// every call, so a fault that jumps the clock takes effect at once.
type Sim struct {
	node  *sim.Node
	start time.Duration // the node's local time when this instance booted
	// labels holds the event label of each timer label seen, so that a
	// host re-arming a labelled timer builds its label once: a host has
	// one or a few.
	labels []timerLabel
	timers sim.Slab[simTimer] // newTimer's timers
}

type timerLabel struct{ label, event string }

// maxLabels bounds the labels a clock keeps: a caller that makes labels on
// the fly gets them built per timer rather than a list that grows forever.
const maxLabels = 8

// timerEvent is the event label of an unlabelled timer.
const timerEvent = "timer"

var _ Labeled = (*Sim)(nil)

// NewSim returns the clock of node's current instance.
func NewSim(node *sim.Node) *Sim {
	return &Sim{node: node, start: node.LocalTime()}
}

// Now is Epoch() plus the node's drifted virtual time plus its offset.
func (c *Sim) Now() time.Time {
	offset, _ := c.node.ClockSkew()
	return Epoch().Add(c.node.LocalTime() + offset)
}

// Since is the drifted virtual time since this instance booted; offsets
// (wall-clock jumps) do not move it, as with a real monotonic clock.
func (c *Sim) Since() time.Duration {
	return c.node.LocalTime() - c.start
}

// AfterFunc schedules f after d of local time: a fast clock (positive drift)
// fires early in world time.
//
// It never fires before d of local time (Since) has passed, as the Clock
// contract says. Converting d to world time rounds, and so does LocalTime,
// so a timer can come due a nanosecond or two of local time short; it is
// then re-armed for the rest, at least one world nanosecond later. Without
// that, a host that re-arms an early timer for what remains loops at one
// instant: at +0.2% drift a 1 ns timer is a 0 ns world delay, fires at once
// with the local clock still 1 ns short, re-arms for 1 ns, and so on
// (raft/Swarm seed 81: 50 million timer events at 13.127 s). A drift change
// while the timer waits is handled the same way: it fires when the local
// clock, at its new rate, has run d.
func (c *Sim) AfterFunc(d time.Duration, f func()) Timer {
	return c.afterFunc(d, timerEvent, f)
}

// AfterFuncLabel is AfterFunc whose event shows label in the trace: "timer
// label". The hash folds "timer" alone (sim.LabelDetail), so labelling a
// timer changes no run's trace hash.
func (c *Sim) AfterFuncLabel(d time.Duration, label string, f func()) Timer {
	return c.afterFunc(d, c.eventLabel(label), f)
}

func (c *Sim) eventLabel(label string) string {
	for _, l := range c.labels {
		if l.label == label {
			return l.event
		}
	}
	e := sim.LabelDetail(timerEvent, label)
	if len(c.labels) < maxLabels {
		c.labels = append(c.labels, timerLabel{label, e})
	}
	return e
}

func (c *Sim) afterFunc(d time.Duration, label string, f func()) Timer {
	t := c.newTimer()
	*t = simTimer{c: c, target: c.Since() + d, f: f, label: label}
	t.arm(d)
	return t
}

// newTimer returns a zero timer of its own. The caller may keep a Timer and
// Stop it at any time, so timers are never reused; they come from a
// sim.Slab (a host arms one per heartbeat and election timeout). A timer
// still reachable keeps its chunk alive; a host drops its timers once they
// fired or were replaced, so a chunk lives about as long as the longest
// timeout armed from it.
func (c *Sim) newTimer() *simTimer { return c.timers.New() }

// simTimer is a simulated timer that may be re-armed before it fires. It
// keeps its own stopped and fired flags rather than a sim.Timer per arming:
// its event is scheduled with Node.AfterAction and checks them when it runs,
// just as a sim.Timer's event does, so the events (and the trace hash) are
// the same, for a 32nd of an allocation per timer (newTimer) instead of four
// and none per re-arm.
type simTimer struct {
	c       *Sim
	target  time.Duration // Since at which f is due
	f       func()
	label   string // the event's label
	stopped bool
	fired   bool
}

func (t *simTimer) arm(rem time.Duration) {
	// The drift is within ±sim.MaxClockDrift (Node.SetClock rejects any
	// other), so 1+drift is at least 0.5: no division by zero, no clock
	// running backwards.
	_, drift := t.c.node.ClockSkew()
	world := time.Duration(float64(rem) / (1 + drift))
	if rem > 0 && world < 1 {
		world = 1
	}
	t.c.node.AfterAction(world, t.label, (*timerAction)(t))
}

// timerAction is a simTimer as its event's sim.Action: a type of its own, so
// that the timer handed out has no Run method.
type timerAction simTimer

func (e *timerAction) Run() { (*simTimer)(e).run() }

func (t *simTimer) run() {
	if t.stopped {
		return
	}
	if rem := t.target - t.c.Since(); rem > 0 {
		t.arm(rem)
		return
	}
	t.fired = true
	t.f()
}

// Stop cancels the timer and reports whether it did so before it fired. A
// timer of a crashed instance never fires, so Stop reports true for it, as
// sim.Timer's does.
func (t *simTimer) Stop() bool {
	if t.fired || t.stopped {
		return false
	}
	t.stopped = true
	return true
}
