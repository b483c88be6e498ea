package sim

import (
	"fmt"
	"time"
)

// Proc is sequential simulated code written in blocking style (a test script,
// a client, a worker) running as a coroutine on the event loop. Only one
// piece of code runs at a time: a Proc runs until it blocks, and every block
// (Sleep, Block) returns to the event loop and resumes from an event. The
// switch is iter.Pull's coroutine handoff, so the Go scheduler never chooses
// what runs next.
type Proc struct {
	Name    string
	w       *World
	node    *Node      // nil for a world-level process, which no crash kills
	inc     uint32     // the node's incarnation the process belongs to
	co      *coroutine // what runs fn, from Spawn until fn returns
	fn      func(p *Proc)
	blocked bool
	done    bool
	wakeups uint64 // bumped on every resume, so a stale wake is ignored
	waiting string // what the process waits for while parked
	// Labels of its wake and resume events, and the wake callback, built
	// once: a process that sleeps in a loop allocates nothing per sleep.
	wakeLabel, resumeLabel string
	wake                   func()
}

// procKilled unwinds a process whose node crashed or whose run ended.
type procKilled struct{}

// procPanic carries a panic out of a process's coroutine with the stack of
// the goroutine that panicked.
type procPanic struct {
	proc  string
	value any
	stack []byte
}

// Spawn starts fn as a process on node (nil: a world-level process). It
// begins running at the current virtual time, as an event. A process spawned
// by world code on a node that is down never runs (it is Done at once), as a
// program started on a dead machine; code of a crashed node that tries to
// spawn fails the run (check "down-node").
func (w *World) Spawn(node *Node, name string, fn func(p *Proc)) *Proc {
	p := &Proc{Name: name, w: w, node: node}
	if !w.actorAlive("spawn", name) || (node != nil && !node.up) {
		p.done = true
		return p
	}
	if node != nil {
		p.inc = node.inc
	}
	p.waiting = "its start"
	p.wakeLabel, p.resumeLabel = "wake "+name, "resume "+name
	p.wake = p.wakeUp
	p.fn = fn
	p.co = w.takeCoroutine()
	p.co.p = p
	if node != nil {
		node.procs = append(node.procs, p)
	}
	if len(w.procs) == cap(w.procs) {
		// Before the list grows, drop the processes that have ended, so that
		// a long run spawning a process per request keeps only live ones.
		live := w.procs[:0]
		for _, q := range w.procs {
			if !q.done {
				live = append(live, q)
			}
		}
		clear(w.procs[len(live):])
		w.procs = live
	}
	w.procs = append(w.procs, p)
	p.blocked = true
	p.schedule(0, "spawn "+name)
	return p
}

// World returns the process's world.
func (p *Proc) World() *World { return p.w }

// Node returns the node the process runs on (nil for world-level).
func (p *Proc) Node() *Node { return p.node }

// Now is the current virtual time.
func (p *Proc) Now() time.Duration { return p.w.now }

// Done reports whether the process has returned or was killed.
func (p *Proc) Done() bool { return p.done }

// schedule resumes p after delay, unless p was resumed by then (or ended):
// the event carries the wake-up count it was scheduled at, so a stale one
// (two resumes of one Suspend called before the first ran) does nothing.
func (p *Proc) schedule(delay time.Duration, label string) {
	r := p.w.takeResumer()
	r.p, r.want = p, p.wakeups
	p.w.push(delay, p.node, label, r.fire, nil) // a nil node: a world event
}

// resumer is the event of one scheduled resume. They are reused, rather
// than a closure allocated per resume (a process waiting for a reply
// resumes once per reply): one is free again once its event ran. An event
// that never runs (its node crashed) keeps its resumer, which is then
// garbage like the closure it replaces.
type resumer struct {
	p    *Proc
	want uint64
	fire func() // run, bound once
}

// takeResumer returns a free resumer.
func (w *World) takeResumer() *resumer {
	if r := w.freeResumers.Get(); r != nil {
		return r
	}
	r := &resumer{}
	r.fire = r.run
	return r
}

func (r *resumer) run() {
	p, want := r.p, r.want
	r.p = nil
	p.w.freeResumers.Put(r) // free before p runs and schedules again
	if p.done || !p.blocked || p.wakeups != want {
		return
	}
	p.resume()
}

func (p *Proc) resume() {
	p.blocked = false
	p.wakeups++
	w := p.w
	prev, actor, actorInc := w.running, w.actor, w.actorInc
	w.running, w.actor, w.actorInc = p, p.node, p.inc
	_, ok := p.co.next()
	w.running, w.actor, w.actorInc = prev, actor, actorInc
	if !ok {
		p.done = true
		if p.node != nil {
			p.node.removeProc(p)
		}
	}
}

func (n *Node) removeProc(p *Proc) {
	for i, q := range n.procs {
		if q == p {
			n.procs = append(n.procs[:i], n.procs[i+1:]...)
			return
		}
	}
}

// park returns control to the event loop until something resumes p.
func (p *Proc) park() {
	if p.done {
		panic(procKilled{})
	}
	p.blocked = true
	if !p.co.yield(struct{}{}) {
		panic(procKilled{})
	}
}

func (p *Proc) kill() {
	if p.done {
		return
	}
	p.done = true
	if p.w.running == p {
		// A process crashing its own node cannot stop its own coroutine;
		// Crash unwinds it by panicking once the crash is complete.
		return
	}
	// Its deferred functions run now, as code of the process: if its node
	// crashed, they are code of a down node and may not act.
	w := p.w
	prev, actor, actorInc := w.running, w.actor, w.actorInc
	w.running, w.actor, w.actorInc = p, p.node, p.inc
	p.co.stop()
	w.running, w.actor, w.actorInc = prev, actor, actorInc
}

// Sleep blocks for d of virtual time.
func (p *Proc) Sleep(d time.Duration) {
	p.waiting = "the end of a sleep"
	p.w.push(d, p.node, p.wakeLabel, p.wake, nil)
	p.park()
}

// wakeUp ends a Sleep. Unlike a resume, it needs no generation check and so no
// closure per sleep: while a process sleeps, its wake event is the only thing
// that can resume it (a late resume of an earlier Suspend is stale by its own
// check), so the wake always finds the process in the sleep it ends, unless
// the process was killed meanwhile.
func (p *Proc) wakeUp() {
	if !p.done && p.blocked {
		p.resume()
	}
}

// Yield ends the process's turn without advancing virtual time: it resumes
// in a new event due now, which the seed orders among the other events due
// now like any tie, so some of them may run before it and others after. It
// is a scheduling point, not a barrier: code that must wait for another
// event waits for it (Suspend), not for a Yield.
func (p *Proc) Yield() { p.Sleep(0) }

// Suspend parks the process until the resume function handed to register is
// called; reason says what it waits for (a deadlock report names it).
// register typically starts an asynchronous operation (an RPC) whose
// callback calls resume. A resume called after the wait is over (a late
// callback of an operation that already gave up) is ignored, so it can never
// wake the process out of a later, unrelated wait.
func (p *Proc) Suspend(reason string, register func(resume func())) {
	w := p.BeginWait(reason)
	resume := func() { p.Wake(w) }
	register(resume)
	p.Park()
}

// Wait names one wait of a process, for Wake. It is the process's wake-up
// count when the wait began: the count grows on every resume, so a Wait
// names one wait only.
type Wait uint64

// BeginWait, Wake and Park are Suspend for callers that keep the process
// and the Wait in a record of their own (netsim's CallProc keeps them in a
// reused waiter) rather than in a resume closure allocated per wait:
//
//	w := p.BeginWait(reason)
//	start(...) // an operation whose callback calls p.Wake(w)
//	p.Park()
//
// The process is blocked from BeginWait on, so that a Wake called before
// Park (an operation that fails at once) is not lost. Suspend is exactly
// this, with a closure calling Wake as its resume.
func (p *Proc) BeginWait(reason string) Wait {
	p.waiting = reason
	p.blocked = true
	return Wait(p.wakeups)
}

// Wake resumes the process, in an event due now, if it is still in wait w;
// otherwise (the wait is over, the process ended) it does nothing.
func (p *Proc) Wake(w Wait) {
	if p.done || !p.blocked || p.wakeups != uint64(w) {
		return
	}
	p.schedule(0, p.resumeLabel)
}

// WakeHere is Wake for the event that ends the wait, such as the arrival of
// the reply the process waits for: it resumes the process inside the
// current event, which saves the resume event Wake schedules. The process
// sees what it would have seen in that event: the same virtual time, the
// same node instance acting, and whatever the event did before WakeHere.
// Only the order differs: events due at the same instant that the seed
// would have run between the two now run after the process's turn, a
// schedule the seed could equally have drawn. It falls back to Wake (an
// event of its own) wherever resuming here would let the process run where
// its own event could not: outside an event, in another process's turn, in
// an event of another node or instance (or a world event for a process on
// a node), on a paused node, or after the run was stopped.
func (p *Proc) WakeHere(w Wait) {
	if p.done || !p.blocked || p.wakeups != uint64(w) {
		return
	}
	wd := p.w
	if !wd.inEvent || wd.running != nil || wd.stopped || wd.actor != p.node ||
		(p.node != nil && (wd.actorInc != p.inc || !p.node.up || p.node.paused)) {
		p.schedule(0, p.resumeLabel)
		return
	}
	p.resume()
}

// Park returns control to the event loop until the process is woken; call
// it after BeginWait, from the process itself.
func (p *Proc) Park() { p.park() }

// WaitUntil polls cond every interval until it holds or timeout passes, and
// reports whether it held. A non-positive timeout waits forever.
func (p *Proc) WaitUntil(cond func() bool, interval, timeout time.Duration) bool {
	deadline := p.w.now + timeout
	for !cond() {
		if timeout > 0 && p.w.now >= deadline {
			return false
		}
		p.Sleep(interval)
	}
	return true
}

// Fatalf fails the run from inside a process, naming the check, and ends the
// process.
func (p *Proc) Fatalf(check string, format string, args ...any) {
	p.w.Fail(check, p.node, fmt.Errorf(format, args...))
	panic(procKilled{})
}
