package sim

import (
	"fmt"
	"time"
)

// Node is something the world can crash and restart: a simulated machine.
// Its volatile state is whatever its boot function builds; what survives a
// crash is only what it synced to its Disk.
type Node struct {
	ID   int
	Name string
	Disk *Disk
	// Instance is what boot built (a Raft peer, a worker); nil while down.
	Instance any

	w      *World
	boot   func(*Node)
	inc    uint32 // incarnation: bumped at every crash, invalidating old events
	up     bool
	paused bool
	held   []event
	procs  []*Proc
	rand   *Rand
	// ties draws the tiebreaks of the events of this node's current
	// incarnation: the n-th event scheduled for (or by) one instance gets
	// the same tiebreak whatever other nodes and the world did meanwhile.
	ties    Rand
	tieRoot *Rand // ties is tieRoot keyed by the incarnation
	// Clock skew, read by the node's simulated clock (package clock).
	clockOffset time.Duration
	clockDrift  float64
	// The drifted clock is piecewise linear: at world time clockAnchor it
	// read clockAnchorLocal, and it runs at 1+clockDrift since.
	clockAnchor, clockAnchorLocal time.Duration
}

// AddNode creates a node named name whose instances are built by boot. The
// node starts down; call Start (or Restart) to boot it.
func (w *World) AddNode(name string, boot func(*Node)) *Node {
	for _, n := range w.nodes {
		if n.Name == name {
			panic(fmt.Sprintf("sim: duplicate node name %q", name))
		}
	}
	n := &Node{ID: len(w.nodes), Name: name, w: w, boot: boot}
	n.rand = w.root.Fork("node/" + name)
	n.tieRoot = w.sched.Fork("node/" + name)
	n.ties = *n.tieRoot.Keyed(0)
	n.Disk = newDisk(n, w.root.Fork("disk/"+name))
	w.nodes = append(w.nodes, n)
	return n
}

// World returns the node's world.
func (n *Node) World() *World { return n.w }

// Up reports whether the node is running (not crashed).
func (n *Node) Up() bool { return n.up }

// CheckUp reports whether code of n may act now: n is up and, if the code
// running now is n's, it belongs to n's live instance. Otherwise code of a
// crashed node (or the leftover code of an instance that restarted itself) is
// trying to act (schedule, send, spawn): that fails the run with the check
// "down-node", naming what it tried, because such code must never act and
// must never be silently dropped. The network calls it for the sending node.
func (n *Node) CheckUp(what string) bool {
	w := n.w
	if n.up && (w.actor != n || w.actorInc == n.inc) {
		return true
	}
	w.failDownNode(n, what)
	return false
}

// Paused reports whether the node is paused.
func (n *Node) Paused() bool { return n.paused }

// Incarnation counts the node's crashes; code that must ignore answers meant
// for an earlier instance compares it.
func (n *Node) Incarnation() uint32 { return n.inc }

// Rand returns a stream for this node's instance named name. A restarted
// instance asking for the same name gets a fresh, different stream (keyed by
// incarnation), as a rebooted machine would.
func (n *Node) Rand(name string) *Rand {
	return n.rand.Keyed(uint64(n.inc)).Fork(name)
}

// After runs fn after delay on this node, unless the node crashes first: a
// crash cancels every timer and delivery of the instance that scheduled it.
// For a node that is down, After called by world code (the network
// delivering to a dead machine) does nothing; called by code of the crashed
// node itself, it fails the run (check "down-node").
func (n *Node) After(delay time.Duration, label string, fn func()) {
	n.w.push(delay, n, label, fn, nil)
}

// AfterAction is After with an Action in place of the callback: a caller
// that keeps the state of its event in a record of its own (a timer) makes
// the record an Action instead of binding a method value per event.
func (n *Node) AfterAction(delay time.Duration, label string, a Action) {
	n.w.push(delay, n, label, nil, a)
}

// AfterFunc is After with a handle that can cancel the timer.
func (n *Node) AfterFunc(delay time.Duration, label string, fn func()) *Timer {
	return n.w.afterFunc(delay, n, label, fn)
}

// Start boots the node. It is Restart under another name, for readability.
func (w *World) Start(n *Node) { w.Restart(n) }

// Restart boots a fresh instance of a crashed node from its disk. Restarting
// a running node crashes it first. Code of a crashed node cannot restart it
// (or anything else): that fails the run (check "down-node").
func (w *World) Restart(n *Node) {
	if !w.actorAlive("restart", n.Name) {
		return
	}
	if n.up {
		w.Crash(n)
	}
	n.up = true
	n.Disk.boot()
	if w.Tracing() {
		w.Mark(Mark{Kind: MarkStart, Node: n.Name, Text: fmt.Sprintf("start (incarnation %d)", n.inc)})
	}
	for _, f := range w.started {
		f(n)
	}
	// The boot function is code of the new instance. If the old instance
	// restarted itself, its code runs on after this returns, as a dead
	// instance: actorAlive stops it if it tries anything.
	actor, actorInc := w.actor, w.actorInc
	w.actor, w.actorInc = n, n.inc
	n.boot(n)
	w.actor, w.actorInc = actor, actorInc
}

// Crash stops the node: its volatile state, timers and in-flight deliveries
// to it are gone, its processes are killed, and its disk loses what was not
// synced (and, if a storage fault says so, tears the last write).
func (w *World) Crash(n *Node) {
	if !n.up || !w.actorAlive("crash", n.Name) {
		return
	}
	w.Mark(Mark{Kind: MarkCrash, Node: n.Name, Text: "crash"})
	n.up = false
	n.paused = false
	n.held = nil
	n.inc++
	n.ties = *n.tieRoot.Keyed(uint64(n.inc))
	n.Instance = nil
	procs := n.procs
	n.procs = nil
	for _, p := range procs {
		p.kill()
	}
	n.Disk.crash()
	// The listeners are world code reacting to the crash (the network
	// failing calls in flight, a supervisor noticing), even when the node
	// crashed itself: they may act although the crashing code may not.
	actor := w.actor
	w.actor = nil
	for _, f := range w.crashed {
		f(n)
	}
	w.actor = actor
	if p := w.running; p != nil && p.node == n {
		// A process crashing its own node (a worker that "dies" on purpose)
		// must not run another line: the machine it ran on is gone.
		panic(procKilled{})
	}
}

// Pause freezes a node without losing state: its events are held until
// Resume, as on a machine stalled by GC or an overloaded host.
func (w *World) Pause(n *Node) {
	if n.up {
		n.paused = true
		w.Mark(Mark{Kind: MarkPause, Node: n.Name, Text: "pause"})
	}
}

// Resume releases a paused node's held events, in their original order.
func (w *World) Resume(n *Node) {
	if !n.paused {
		return
	}
	n.paused = false
	w.Mark(Mark{Kind: MarkResume, Node: n.Name, Text: "resume"})
	held := n.held
	n.held = nil
	// One tiebreak for the whole batch and fresh sequence numbers: the held
	// events keep their original order among themselves.
	tie := n.ties.Uint64()
	for _, e := range held {
		w.seq++
		e.at, e.tie, e.seq = w.now, tie, w.seq
		w.queue.push(&e)
	}
}

// OnCrash registers f to be called after any node crashes (the network uses
// it to fail calls in flight to the dead instance).
func (w *World) OnCrash(f func(*Node)) { w.crashed = append(w.crashed, f) }

// OnStart registers f to be called when any node (re)starts, before its boot.
func (w *World) OnStart(f func(*Node)) { w.started = append(w.started, f) }

// Bounds of a node's clock skew. A drift of -1 would stop the clock (and
// divide by zero where a local duration is turned into world time), below it
// the clock runs backwards, and a non-finite drift computes differently on
// different CPUs; real clocks drift by parts per million, so half again or
// half as fast is already far beyond any real machine. An offset beyond a
// year is no clock fault but a wrong date; the bound also keeps a clock's
// reading far from the limits of time.Duration arithmetic.
const (
	MaxClockDrift  = 0.5
	MaxClockOffset = 365 * 24 * time.Hour
)

// CheckClockSkew reports whether offset and drift are within the bounds a
// node's clock accepts (|offset| <= MaxClockOffset, |drift| <= MaxClockDrift,
// drift finite), so that a fault plan can be validated before it runs.
func CheckClockSkew(offset time.Duration, drift float64) error {
	if !(drift >= -MaxClockDrift && drift <= MaxClockDrift) { // NaN fails both
		return fmt.Errorf("clock drift %v out of range [-%v, %v]", drift, MaxClockDrift, MaxClockDrift)
	}
	if offset < -MaxClockOffset || offset > MaxClockOffset {
		return fmt.Errorf("clock offset %v out of range [-%v, %v]", offset, MaxClockOffset, MaxClockOffset)
	}
	return nil
}

// SetClock sets the node's clock offset and drift (0.01 = 1% fast). It panics
// (failing the run) if they are out of the bounds of CheckClockSkew.
func (n *Node) SetClock(offset time.Duration, drift float64) {
	if err := CheckClockSkew(offset, drift); err != nil {
		panic(fmt.Sprintf("sim: node %s: %v", n.Name, err))
	}
	n.clockAnchorLocal, n.clockAnchor = n.LocalTime(), n.w.now
	n.clockOffset, n.clockDrift = offset, drift
	if n.w.Tracing() {
		n.w.Mark(Mark{Kind: MarkClock, Node: n.Name, Text: fmt.Sprintf("clock offset %v drift %+.4g%%", offset, drift*100)})
	}
}

// ClockSkew returns the node's clock offset and drift.
func (n *Node) ClockSkew() (time.Duration, float64) { return n.clockOffset, n.clockDrift }

// LocalTime is the node's drifted monotonic time now (without the offset).
// A drift change alters its rate from then on, never the time already
// elapsed, so it never runs backwards.
func (n *Node) LocalTime() time.Duration {
	d := n.w.now - n.clockAnchor
	return n.clockAnchorLocal + d + time.Duration(float64(d)*n.clockDrift)
}
