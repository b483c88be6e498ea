package kv

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
)

// waiter is a request waiting for the command it proposed at index to apply.
type waiter struct {
	index       int
	client, seq int64
	since       time.Duration   // the server's clock (Since) when the request arrived
	req         *netsim.Request // answered with req.Respond
}

// waiters holds a server's waiting requests in index order. A leader proposes at its next
// index, so a new waiter nearly always goes at the end, and applies come in index order,
// so the waiter an apply looks for is the first: a queue, where a map by index cost the
// leader a lookup and a delete for every command it applied and an insert for every
// request (about 400 instructions a request, most of them the map's delete).
//
// Invariant: ws[head:] is in increasing order of index, every index above the server's
// last applied one (a waiter's index is the leader's last index + 1 when it arrives, and
// an apply or a restore takes or fails every waiter at or below the index it reaches).
type waiters struct {
	ws   []waiter // ws[:head] are taken, zero
	head int
}

// len is the number of waiters.
func (q *waiters) len() int { return len(q.ws) - q.head }

// add adds w, in index order. A waiter already at w.index (a request proposed at an index
// that an earlier one of this server took: see Server.handleOp) is replaced, and add
// returns its request (nil if none was replaced). It takes w by pointer and returns only
// the request: a waiter in and a waiter out by value cost the leader 26 instructions more
// a request (0.47 M of kv/SnapshotRecoverManyClients3B's 407 M, seeds 1-3).
func (q *waiters) add(w *waiter) (replaced *netsim.Request) {
	if n := len(q.ws); n == q.head || q.ws[n-1].index < w.index {
		if n == cap(q.ws) && q.head > 0 { // room at the front: move there rather than grow
			n = copy(q.ws, q.ws[q.head:])
			clear(q.ws[n:])
			q.ws, q.head = q.ws[:n], 0
		}
		q.ws = append(q.ws, *w)
		return nil
	}
	i := q.head
	for i < len(q.ws) && q.ws[i].index < w.index {
		i++
	}
	if i < len(q.ws) && q.ws[i].index == w.index {
		replaced, q.ws[i] = q.ws[i].req, *w
		return replaced
	}
	q.ws = append(q.ws, waiter{})
	copy(q.ws[i+1:], q.ws[i:])
	q.ws[i] = *w
	return nil
}

// first returns the waiter at index, the next index to apply, if there is one (nil if
// not), in place: the caller reads it and then removes it (pop). A take that returned a
// copy cost the leader 55 instructions for every command it applied, first 20. It is the
// first waiter, if any is at index: none is at an index below it (see waiters).
func (q *waiters) first(index int) *waiter {
	if q.head == len(q.ws) {
		return nil
	}
	w := &q.ws[q.head]
	if w.index != index {
		if w.index < index {
			panic(fmt.Sprintf("kv: a request waits at index %d, below the index %d being applied", w.index, index))
		}
		return nil
	}
	return w
}

// pop removes the first waiter.
func (q *waiters) pop() {
	q.ws[q.head] = waiter{} // the request is answered: not kept from the collector
	if q.head++; q.head == len(q.ws) {
		q.ws, q.head = q.ws[:0], 0
	}
}

// remove removes the waiters match selects and appends them to out, in index order.
func (q *waiters) remove(match func(*waiter) bool, out []waiter) []waiter {
	kept := q.ws[:q.head]
	for i := range q.ws[q.head:] {
		w := &q.ws[q.head+i]
		if match(w) {
			out = append(out, *w)
		} else {
			kept = append(kept, *w)
		}
	}
	clear(q.ws[len(kept):])
	q.ws = kept
	if q.head == len(q.ws) {
		q.ws, q.head = q.ws[:0], 0
	}
	return out
}

// all calls f with every waiter, in index order.
func (q *waiters) all(f func(*waiter)) {
	for i := range q.ws[q.head:] {
		f(&q.ws[q.head+i])
	}
}
