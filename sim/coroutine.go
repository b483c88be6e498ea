package sim

import (
	"iter"
	"runtime/debug"
)

// coroutine runs processes one after the other: when a process returns, its
// coroutine waits, idle, in its world's list for the next process spawned.
// A process's stack grows as its calls go deep (a kv clerk's call through
// the network, well past the 2 KB a goroutine starts with), and the runtime
// copies the whole stack at each growth, the process deep in its calls: in
// kv/SnapshotRecoverManyClients3B, which spawns 121 processes a seed
// (clerks, and one for each of the harness's own calls), about 13,000
// instructions a process. A coroutine used again keeps the stack it grew,
// and its goroutine and iter.Pull's records are not made again.
//
// Only a process that returns hands its coroutine back. One that panicked or
// was killed (its node crashed, the run ended) ends its coroutine, as
// before, even if it returns after recovering from its unwinding: iter.Pull
// carries the panic to the event loop, and a stopped iter.Pull cannot be
// resumed.
type coroutine struct {
	p     *Proc // the process it runs, nil while idle
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool // body's, for the processes it runs to park with
}

// takeCoroutine returns an idle coroutine, or a new one.
func (w *World) takeCoroutine() *coroutine {
	if c := w.idleCoroutines.Get(); c != nil {
		return c
	}
	c := &coroutine{}
	c.next, c.stop = iter.Pull(c.body)
	return c
}

// body runs the processes given to c, until one does not return. A process
// that returns is done, and c idle again, before the process's turn ends,
// so that resume and park are what they were with a coroutine per process.
func (c *coroutine) body(yield func(struct{}) bool) {
	c.yield = yield
	for {
		p := c.p
		if !c.run(p) || p.done {
			// Killed: unwound by its kill, or returned after recovering
			// from it. Killed while parked, its coroutine was stopped,
			// and a stopped iter.Pull returns at once from every later
			// next: the coroutine ends rather than going idle.
			return
		}
		p.done = true
		if p.node != nil {
			p.node.removeProc(p)
		}
		p.co, p.fn = nil, nil
		c.p = nil
		p.w.idleCoroutines.Put(c)
		if !yield(struct{}{}) {
			// Stopped while idle (the run is over), or the process
			// given to it was killed before its first turn.
			return
		}
	}
}

// run runs p and reports whether it returned (rather than being killed).
func (c *coroutine) run(p *Proc) (returned bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, killed := r.(procKilled); !killed {
				// iter.Pull re-raises the panic in the event loop, whose
				// stack no longer shows the line that panicked: take the
				// stack here, while the panicking frames are still below
				// this deferred call.
				panic(procPanic{proc: p.Name, value: r, stack: debug.Stack()})
			}
		}
	}()
	p.fn(p)
	return true
}

// stopIdleCoroutines ends the coroutines waiting for a process, so that
// their goroutines do not outlive the run.
func (w *World) stopIdleCoroutines() {
	for c := w.idleCoroutines.Get(); c != nil; c = w.idleCoroutines.Get() {
		c.stop()
	}
}
