// Package sim is Lockstep's deterministic kernel: virtual time, a seeded
// event queue, named random streams, nodes that crash and restart from their
// simulated storage, coroutine processes for code written in blocking style,
// budgets, and a running trace hash. One run is a pure function of (code,
// scenario, seed, options).
package sim

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"
)

// Options fix everything a run depends on besides the code and the seed.
type Options struct {
	Seed      uint64
	MaxEvents uint64        // 0 = DefaultMaxEvents
	MaxTime   time.Duration // virtual; 0 = DefaultMaxTime
	// Faults is the fault profile name or a JSON plan, handed to the systems'
	// fault installers (package faults); the kernel only carries it.
	Faults string
	// Knobs sets workload knobs the scenario declares (Scenario.Knobs), by
	// name; a knob not set takes its default (World.Knob).
	Knobs map[string]int
	// Trace, when set, receives every event and every Logf line in order:
	// an event's record before it runs, so that the notes it logs follow it.
	Trace func(Record)
	// OnEvent, when set, is called after every event that ran to its end
	// (not after one that panicked), with the running hash including the
	// contents the event digested; determinism checks use it to find the
	// first divergent event.
	OnEvent func(Record)
}

// Default budgets: generous enough for every shipped scenario, small enough
// that a livelocked run ends in seconds of wall time.
const (
	DefaultMaxEvents = 50_000_000
	DefaultMaxTime   = 30 * time.Minute
)

// yieldEvery is how many events the loop runs between two calls of
// runtime.Gosched, which give the garbage collector's mark workers a turn. A
// run's goroutine never blocks (processes switch as coroutines), so on one P
// (-test.cpu 1, or a sweep with a worker per core) the workers got none during
// a mark phase (GODEBUG=gctrace=1: no background mark time, phases of 10 ms),
// and marking advanced only by the assists allocation pays, across the whole
// way from the trigger to the heap goal, while every pointer write paid the
// write barrier. Yielding every 256 events (~0.2 ms) ends the phases in 1-2
// ms: callgrind, seeds 1-10, GC at 100: raft/Swarm 1,140 M instructions to
// 831 M, raft/ReliableChurn2C 962 M to 869 M. A yield with nothing else to
// run costs a few hundred nanoseconds. It changes nothing a run computes.
//
// The loop yields only while at least as many loops run as there are Ps
// (runningLoops): with a P to spare, as in a -parallel 1 sweep on two cores,
// the runtime's dedicated mark worker runs there, and the yields bought
// nothing but system time (the 75-scenario pass at -parallel 1: 0.14-0.19 s of
// system time against 0.07-0.10 s without them).
const yieldEvery = 256

// runningLoops counts the worlds of this process whose event loop is running.
// It only decides whether a loop yields (yieldEvery), which changes nothing a
// run computes, so it is no configuration a verdict could depend on.
var runningLoops atomic.Int32

// World is one simulated run. It is not safe for concurrent use: by design
// only one piece of simulated code runs at a time.
type World struct {
	opts   Options
	now    time.Duration
	queue  eventQueue
	seq    uint64
	sched  *Rand // tiebreak draws of world events; nodes have their own
	root   *Rand
	events uint64
	hash   uint64
	// content digests what the current event produced (World.Digest);
	// zero when it digested nothing, and always zero without Options.OnEvent.
	content uint64
	nodes   []*Node
	stopped bool
	failure *Failure
	atEnd   []namedCheck
	crashed []func(*Node) // crash listeners (the network, checkers)
	started []func(*Node) // restart listeners
	inEvent bool          // an event is running (loop)
	tie     uint64        // the tiebreak of the event running (for tests)
	procs   []*Proc
	running *Proc
	// actor is the node whose code runs now (nil: world code, such as the
	// network, a fault plan or a world-level process), and actorInc the
	// incarnation of the instance running. When that instance is no longer
	// the node's live one (it crashed itself, or restarted itself and its
	// old code runs on), anything it tries fails the run: see actorAlive.
	actor    *Node
	actorInc uint32
	// probeHits counts, per probe id, how often Sometimes saw its condition.
	probeHits []uint64
	// attachments are files for a person (sim/attach.go); not hashed.
	attachments []Attachment
	// markIDs is the last ID MarkID gave out (tracing only).
	markIDs uint64
	// freeResumers are the process resume events not scheduled now (proc.go).
	freeResumers FreeList[*resumer]
	// idleCoroutines are the coroutines of processes that returned, for the
	// next processes to run on (coroutine.go).
	idleCoroutines FreeList[*coroutine]
	// labelFolds and labelFoldMap memoize what fold does with the labels
	// events carry (labelfold.go).
	labelFolds   [labelFoldSlots]*labelFold
	labelFoldMap map[string]*labelFold
}

type namedCheck struct {
	name  string
	check func() error
}

// NewWorld returns an empty world at virtual time zero.
func NewWorld(opts Options) *World {
	if opts.MaxEvents == 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if opts.MaxTime == 0 {
		opts.MaxTime = DefaultMaxTime
	}
	root := NewRand(opts.Seed)
	return &World{
		opts:  opts,
		root:  root,
		sched: root.Fork("sim/scheduler"),
		hash:  14695981039346656037,
	}
}

// Now is the current virtual time since the start of the run.
func (w *World) Now() time.Duration { return w.now }

// Seed is the run's seed.
func (w *World) Seed() uint64 { return w.opts.Seed }

// Options returns the options the world was built with.
func (w *World) Options() Options { return w.opts }

// Rand returns the stream named name, split from the run's seed. Asking twice
// for the same name returns two streams at the same start: components should
// ask once and keep it.
func (w *World) Rand(name string) *Rand { return w.root.Fork(name) }

// Events is the number of events run so far.
func (w *World) Events() uint64 { return w.events }

// Hash is the running trace hash over every event so far.
func (w *World) Hash() uint64 { return w.hash }

// Nodes returns the nodes in creation order.
func (w *World) Nodes() []*Node { return w.nodes }

// Digest folds a digest of content the current event produced (a message
// payload, persisted state, an applied result) into the trace hash, so that
// two runs differing only in a value differ in hash, and CheckDeterminism
// can tell an event that did the same thing with different content from a
// different event. Call it with a cheap digest (HashBytes of an encoding).
func (w *World) Digest(d uint64) {
	w.hash = (w.hash ^ d) * 1099511628211
	// Only Options.OnEvent sees content (onEvent): a run without it, every run but a
	// determinism check's, skips the second multiply and its load and store.
	if w.opts.OnEvent != nil {
		w.content = (w.content ^ d ^ 14695981039346656037) * 1099511628211
	}
}

// HashBytes is FNV-1a over b: a cheap content digest for Digest.
func HashBytes(b []byte) uint64 { return fnvBytes(14695981039346656037, b) }

// fnvBytes continues FNV-1a from h over b. The loop takes eight bytes a
// step, with one bounds check for the eight: byte-wise FNV-1a is one
// multiply per byte, and a loop's own compare and branch per byte cost
// as much again. The result is the byte-at-a-time hash's.
func fnvBytes(h uint64, b []byte) uint64 {
	const prime = 1099511628211
	for len(b) >= 8 {
		c := b[:8]
		h = (h ^ uint64(c[0])) * prime
		h = (h ^ uint64(c[1])) * prime
		h = (h ^ uint64(c[2])) * prime
		h = (h ^ uint64(c[3])) * prime
		h = (h ^ uint64(c[4])) * prime
		h = (h ^ uint64(c[5])) * prime
		h = (h ^ uint64(c[6])) * prime
		h = (h ^ uint64(c[7])) * prime
		b = b[8:]
	}
	for _, c := range b {
		h = (h ^ uint64(c)) * prime
	}
	return h
}

// Schedule runs fn after delay, as a world event that no crash cancels.
func (w *World) Schedule(delay time.Duration, label string, fn func()) {
	w.push(delay, nil, label, fn, nil)
}

// An Action is an event's callback as a method of a record the caller
// keeps (Node.AfterAction, World.ScheduleAction): an event that calls a
// method of a record would otherwise need a method value, one allocation,
// bound per record.
type Action interface{ Run() }

// ScheduleAction is Schedule with an Action in place of the callback.
func (w *World) ScheduleAction(delay time.Duration, label string, a Action) {
	w.push(delay, nil, label, nil, a)
}

// push schedules an event running fn or, when fn is nil, a.Run.
func (w *World) push(delay time.Duration, n *Node, label string, fn func(), a Action) {
	if delay < 0 {
		delay = 0
	}
	// actorAlive, whose call is too large to inline, only when the actor
	// is dead, when it fails the run: its check, written out, is all that
	// runs on every push. push returns straight after the call, so that
	// none of its arguments is kept across it: they were all stored to
	// the stack on entry to every push when they were.
	if a := w.actor; a != nil && (!a.up || a.inc != w.actorInc) {
		w.actorAlive("schedule", label)
		return
	}
	if n != nil && !n.up {
		// World code (the network delivering to a crashed node, a fault
		// plan) scheduling for a down node: the event is dropped, as a
		// message to a dead machine is. Code of the down node itself was
		// stopped by actorAlive above.
		return
	}
	w.seq++
	// The body goes straight into its slot in the queue (built on the
	// stack and copied there, it cost as much again); a free slot is all
	// zeros, so inc is left as it is for world events.
	b, slot := w.queue.body()
	b.fn, b.act, b.node, b.label = fn, a, n, label
	// The tiebreak is keyed by whose history the event belongs to, so that
	// a change elsewhere (one fault fewer in a plan) leaves it as it was:
	// an event for a node draws from that node's stream for its current
	// incarnation, a world event scheduled by a node's code (a message it
	// sends) from the sender's, and only the rest from the world's stream.
	var tie uint64
	switch {
	case n != nil:
		b.inc = n.inc
		tie = n.ties.Uint64()
	case w.actor != nil:
		tie = w.actor.ties.Uint64()
	default:
		tie = w.sched.Uint64()
	}
	k := queueKey{at: atKey(w.now + delay), tie: tie, seq: w.seq, slot: slot}
	if q := &w.queue; q.fitsEarliest(&k) {
		q.near[q.hi] = k
		q.hi++
		return
	}
	w.queue.insert(k)
}

// Timer is a cancellable scheduled callback.
type Timer struct {
	fired, stopped bool
	fn             func()
}

// timerEvent is a Timer as its event's Action (a type of its own, so that
// Timer has no Run method for its holders to call).
type timerEvent Timer

// Run is the timer's event: fn, unless the timer was stopped.
func (e *timerEvent) Run() {
	t := (*Timer)(e)
	if t.stopped {
		return
	}
	t.fired = true
	fn := t.fn
	t.fn = nil // a holder of the timer does not keep what fn refers to
	fn()
}

// Stop prevents the timer from firing. It reports whether it did so.
func (t *Timer) Stop() bool {
	if t.fired || t.stopped {
		return false
	}
	t.stopped = true
	t.fn = nil
	return true
}

// AfterFunc schedules fn after delay as a world event and returns a timer
// that can cancel it.
func (w *World) AfterFunc(delay time.Duration, label string, fn func()) *Timer {
	return w.afterFunc(delay, nil, label, fn)
}

// afterFunc schedules fn as an event of node (nil: of the world) behind a
// cancellable timer.
func (w *World) afterFunc(delay time.Duration, node *Node, label string, fn func()) *Timer {
	t := &Timer{fn: fn}
	w.push(delay, node, label, nil, (*timerEvent)(t))
	return t
}

// Stop ends the run after the current event.
func (w *World) Stop() { w.stopped = true }

// Stopped reports whether the run has been stopped or has failed.
func (w *World) Stopped() bool { return w.stopped }

// Failure is a failed check: what broke, when, and where.
type Failure struct {
	Check string        // the check (or "panic", "budget") that failed
	Node  string        // the node concerned, "" if none
	At    time.Duration // virtual time
	Err   error
	Stack string // for panics
}

func (f *Failure) Error() string {
	where := ""
	if f.Node != "" {
		where = " on " + f.Node
	}
	return fmt.Sprintf("%s failed at %v%s: %v", f.Check, f.At, where, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// Fail records a failed check and stops the run. Only the first failure is
// kept: later ones are usually consequences of it.
func (w *World) Fail(check string, node *Node, err error) {
	if w.failure != nil {
		return
	}
	name := ""
	if node != nil {
		name = node.Name
	}
	w.failure = &Failure{Check: check, Node: name, At: w.now, Err: err}
	if w.Tracing() {
		w.Mark(Mark{Kind: MarkFail, Node: name, Text: fmt.Sprintf("FAIL %s: %v", check, err)})
	}
	w.stopped = true
}

// Failed returns the first failure, or nil.
func (w *World) Failed() *Failure { return w.failure }

// AtEnd registers a check that runs once the run has ended without another
// failure: the place for expensive checks such as linearizability.
func (w *World) AtEnd(name string, check func() error) {
	w.atEnd = append(w.atEnd, namedCheck{name, check})
}

// ErrUnknown marks a check that could not decide within its bound, a bound
// counted in steps or operations (never in wall time, so that the verdict is
// the same on every machine). It is its own outcome, never a pass.
var ErrUnknown = fmt.Errorf("check could not decide")

// Run runs events until the queue is empty, the run is stopped, a check
// fails, simulated code panics, or a budget is exceeded; then it runs the
// end checks. A panic in simulated code becomes a Failure with its stack.
// A queue that drains while processes still wait is a deadlock (check
// "deadlock"): nothing can ever wake them, so the run cannot have done what
// they were waiting to finish.
func (w *World) Run() *Failure {
	w.loop()
	w.actor = nil // a panic may have left the loop mid-event
	if w.failure == nil && !w.stopped {
		w.checkDeadlock()
	}
	if w.failure == nil {
		w.stopped = true
		for _, c := range w.atEnd {
			if err := w.protect(c.check); err != nil {
				w.Fail(c.name, nil, err)
				break
			}
		}
	}
	w.protect(func() error { w.killProcs(); return nil })
	return w.failure
}

// checkDeadlock fails the run if any process is still parked once the queue
// has drained, naming each and what it waits for. A sleeping process always
// has its wake event queued, so it can be parked here only on a paused node,
// whose held events nothing will release.
func (w *World) checkDeadlock() {
	var parked []string
	for _, p := range w.procs {
		if p.done {
			continue
		}
		who := fmt.Sprintf("%q", p.Name)
		if p.node != nil {
			who += " on " + p.node.Name
		}
		what := p.waiting
		if p.node != nil && p.node.paused {
			what += " (node " + p.node.Name + " is paused and nothing resumes it)"
		}
		parked = append(parked, who+" waits for "+what)
	}
	if len(parked) == 0 {
		return
	}
	held := ""
	for _, n := range w.nodes {
		if n.paused && len(n.held) > 0 {
			held += fmt.Sprintf("; node %s is paused, holding %d event(s)", n.Name, len(n.held))
		}
	}
	w.Fail("deadlock", nil, fmt.Errorf("the event queue drained while %d process(es) wait: %s%s",
		len(parked), strings.Join(parked, "; "), held))
}

// killProcs unwinds every process still parked when the run ends, so that
// their coroutines do not outlive the world. An unwinding that panics (a
// deferred call of a process that fails) fails the run if nothing failed it
// before (protect keeps the first failure), and the processes after it are
// unwound all the same, and the idle coroutines ended: stopped at the first
// panic, they waited forever, each on a goroutine of its own. So are
// processes spawned by an unwinding process's deferred calls (which never
// start, and so spawn nothing in turn).
func (w *World) killProcs() {
	defer w.stopIdleCoroutines()
	for len(w.procs) > 0 {
		procs := w.procs
		w.procs = nil
		for _, p := range procs {
			w.protect(func() error { p.kill(); return nil })
		}
	}
}

func (w *World) protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if w.keepFirstFailure(r) {
				return
			}
			stack := debug.Stack()
			if pp, ok := r.(procPanic); ok {
				r, stack = pp.value, pp.stack
			}
			err = fmt.Errorf("panic: %v", r)
			w.failure = &Failure{Check: "panic", At: w.now, Err: err, Stack: string(stack)}
			w.stopped = true
		}
	}()
	return fn()
}

// keepFirstFailure handles a recovered panic that must not replace the
// run's verdict: the unwinding of a process (Fatalf called from an event, a
// process killed while being unwound), or any panic after a check already
// failed, which is most likely a consequence of that failure.
func (w *World) keepFirstFailure(r any) bool {
	_, killed := r.(procKilled)
	if killed || w.failure != nil {
		w.stopped = true
		return true
	}
	return false
}

func (w *World) loop() {
	// The event running: its time and tiebreak, and its body, read where
	// it lies in the queue's slot, which is freed once the event has run.
	// Pushes while it runs may move the queue's bodies to a larger array;
	// body still points into the one it was read from, which holds it
	// unchanged.
	var (
		at   time.Duration
		body *eventBody
	)
	procs := int32(runtime.GOMAXPROCS(0))
	runningLoops.Add(1)
	defer runningLoops.Add(-1)
	defer func() {
		if r := recover(); r != nil {
			if w.keepFirstFailure(r) {
				return
			}
			node, label := "", ""
			if w.inEvent {
				label = body.label
				if body.node != nil {
					node = body.node.Name
				}
			}
			err := fmt.Errorf("panic in event %q: %v", label, r)
			stack := debug.Stack()
			if pp, ok := r.(procPanic); ok {
				err = fmt.Errorf("panic in process %q (event %q): %v", pp.proc, label, pp.value)
				stack = pp.stack
			}
			w.failure = &Failure{Check: "panic", Node: node, At: w.now, Err: err, Stack: string(stack)}
			w.stopped = true
		}
	}()
	for !w.stopped && w.queue.Len() > 0 {
		k := w.queue.popKey()
		at, body = time.Duration(k.at^1<<63), &w.queue.bodies[k.slot]
		if n := body.node; n != nil {
			if n.inc != body.inc || !n.up {
				w.queue.release(k.slot)
				continue // the node crashed since: its timers and deliveries are gone
			}
			if n.paused {
				n.held = append(n.held, event{at: at, tie: k.tie, seq: k.seq, eventBody: *body})
				w.queue.release(k.slot)
				continue
			}
		}
		if at > w.opts.MaxTime {
			w.failure = &Failure{Check: "budget", At: w.now,
				Err: fmt.Errorf("virtual time budget of %v exceeded (livelock or scenario too long)", w.opts.MaxTime)}
			w.stopped = true
			return
		}
		if w.events >= w.opts.MaxEvents {
			w.failure = &Failure{Check: "budget", At: w.now,
				Err: fmt.Errorf("event budget of %d exceeded (livelock or scenario too long)", w.opts.MaxEvents)}
			w.stopped = true
			return
		}
		if at < w.now {
			panic(fmt.Sprintf("sim: event %q at %v scheduled before now %v", body.label, at, w.now))
		}
		w.now = at
		w.events++
		if w.events%yieldEvery == 0 && runningLoops.Load() >= procs {
			runtime.Gosched() // see yieldEvery
		}
		w.inEvent, w.tie = true, k.tie
		w.actor, w.actorInc = body.node, body.inc
		w.fold(at, body)
		w.content = 0
		if body.fn != nil {
			body.fn()
		} else {
			body.act.Run()
		}
		if w.opts.OnEvent != nil {
			w.onEvent(at, body)
		}
		w.queue.release(k.slot)
		w.inEvent = false
		w.actor = nil
	}
}

// actorAlive reports whether the code running now may act: world code
// always may, code of a node only while the instance it belongs to is the
// node's live one. Code of a crashed instance (an event that crashed its own
// node and runs on, or the old code of a node that restarted itself) fails
// the run with the check "down-node", naming what it tried (verb and object,
// joined only then: this is on the path of every push).
func (w *World) actorAlive(verb, object string) bool {
	n := w.actor
	if n == nil || (n.up && n.inc == w.actorInc) {
		return true
	}
	w.failDownNode(n, verb+" "+object)
	return false
}

// failDownNode fails the run because code of a dead instance of n tried to
// do what.
func (w *World) failDownNode(n *Node, what string) {
	if n.up {
		w.Fail("down-node", n, fmt.Errorf("code of incarnation %d of node %s, which has restarted since, tried to %s", w.actorInc, n.Name, what))
		return
	}
	w.Fail("down-node", n, fmt.Errorf("code of crashed node %s tried to %s", n.Name, what))
}

// fold mixes one event into the trace hash: its time, its node and its label
// up to the first tab (see LabelDetail). The tiebreak is not folded
// separately: it decides the order, and the order is what the hash sees.
// What the event produces is folded in by Digest.
func (w *World) fold(at time.Duration, e *eventBody) {
	const (
		prime = 1099511628211
		ones  = 0x0101010101010101
		tabs  = '\t' * ones
		highs = 0x80 * ones
	)
	h := w.hash
	h = (h ^ uint64(at)) * prime
	if e.node != nil {
		h = (h ^ uint64(e.node.ID+1)) * prime
	}
	// The label: from the memo when it is long enough for the memo to pay
	// (labelfold.go), else FNV-1a over it up to its first tab, eight bytes
	// a step while none of the eight is a tab (a loop's compare and branch
	// per byte cost as much as the byte's multiply), then byte by byte to
	// the tab or the end. Written out here rather than called: a call made
	// fold spill its registers, which cost the shortest labels more than
	// the steps saved.
	s := e.label
	if len(s) >= labelFoldMin {
		slot := labelFoldSlot(s)
		lf := w.labelFolds[slot&(labelFoldSlots-1)]
		if !lf.isLabel(s) {
			lf = w.labelFoldMiss(s, slot)
		}
		if lf.add != nil || lf.use() {
			w.hash = h*lf.mul + lf.add[h&0xff]
			if w.opts.Trace != nil {
				w.opts.Trace(w.record(at, e))
			}
			return
		}
	}
	for len(s) >= 8 {
		v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if x := v ^ tabs; (x-ones)&^x&highs != 0 {
			break // a byte of x is zero: a tab among the eight
		}
		h = (h ^ v&0xff) * prime
		h = (h ^ v>>8&0xff) * prime
		h = (h ^ v>>16&0xff) * prime
		h = (h ^ v>>24&0xff) * prime
		h = (h ^ v>>32&0xff) * prime
		h = (h ^ v>>40&0xff) * prime
		h = (h ^ v>>48&0xff) * prime
		h = (h ^ v>>56) * prime
		s = s[8:]
	}
	for i := 0; i < len(s) && s[i] != '\t'; i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	w.hash = h
	if w.opts.Trace != nil {
		w.opts.Trace(w.record(at, e))
	}
}

// onEvent hands the record of the event that just ran, contents included, to
// Options.OnEvent.
func (w *World) onEvent(at time.Duration, e *eventBody) {
	r := w.record(at, e)
	r.Content = w.content
	w.opts.OnEvent(r)
}

func (w *World) record(at time.Duration, e *eventBody) Record {
	r := Record{Event: w.events, At: at, Label: e.label, Hash: w.hash}
	if e.node != nil {
		r.Node = e.node.Name
	}
	return r
}
