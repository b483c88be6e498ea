package sim

import (
	"math/bits"
	"time"
)

// event is one scheduled callback. Events are ordered by (at, tie, seq): tie
// is a seeded draw, so events due at the same instant run in an order the
// seed chooses, as real concurrency would; seq only breaks the (astronomically
// rare) equal draws, keeping the order total. Every push takes a fresh seq,
// so no two queued events compare equal, and the order in which they pop
// does not depend on how the queue is laid out.
type event struct {
	at    time.Duration
	tie   uint64
	seq   uint64
	fn    func() // the callback, or nil when act is set
	act   Action
	node  *Node  // nil for world events; else dropped if node crashed since scheduling
	inc   uint32 // node incarnation at scheduling time
	label string
}

// queueKey is what the heap orders: an event's sort key and the slot that
// holds the rest of it. It holds no pointer, so moving keys up and down the
// heap costs no write barriers while the collector marks, and the collector
// never scans the heap's array; an event's pointers (callback, node, label)
// are written once into its slot by push and cleared once by pop.
type queueKey struct {
	at   uint64 // atKey(event.at): unsigned order is the times' order
	tie  uint64
	seq  uint64
	slot uint32
}

// atKey maps a time to a uint64 of the same order (the sign bit flipped):
// a virtual time is never negative, but an overflowed one sorts as before.
func atKey(at time.Duration) uint64 { return uint64(at) ^ 1<<63 }

// before compares (at, tie, seq) lexicographically as one 192-bit number: a
// subtraction with borrow across the three words, without a branch. The
// heap's comparisons go either way at random (the ties are random draws,
// and so are most delays), so a branch per field is a misprediction in
// about every other comparison; the borrow also lets pop pick the least of
// four children with conditional moves.
func (a *queueKey) before(b *queueKey) bool { return a.less(b) != 0 }

// less is before as 1 or 0, for index arithmetic.
func (a *queueKey) less(b *queueKey) uint64 {
	_, borrow := bits.Sub64(a.seq, b.seq, 0)
	_, borrow = bits.Sub64(a.tie, b.tie, borrow)
	_, borrow = bits.Sub64(a.at, b.at, borrow)
	return borrow
}

// eventBody is the part of a queued event that the order does not read.
type eventBody struct {
	fn    func()
	act   Action
	node  *Node
	inc   uint32
	label string
}

// eventQueue is a 4-ary min-heap of keys (shallower than a binary heap, and
// no allocation per event), with the events' bodies in slots that stay put
// while the keys move; pop frees a slot and the next push reuses it.
type eventQueue struct {
	keys   []queueKey
	bodies []eventBody
	free   []uint32
	// front is the event pushed last, while it is before every event of the
	// heap (hasFront): the next pop returns it, and if nothing else is
	// pushed meanwhile it never enters the heap. That is the common case of
	// an event due now or soon, such as a reply that takes no time, whose
	// push and pop would otherwise sift through the heap for an event that
	// goes straight back out. Any other push first moves it into the heap,
	// so the order is exactly the heap's.
	front    event
	hasFront bool
}

func (q *eventQueue) Len() int {
	if q.hasFront {
		return len(q.keys) + 1
	}
	return len(q.keys)
}

// push queues e: as the front event when the heap is empty or e is before
// its least event, else in the heap. A front event already there goes into
// the heap first.
func (q *eventQueue) push(e *event) {
	if q.hasFront {
		q.hasFront = false
		f := &q.front
		q.pushHeap(f, queueKey{at: atKey(f.at), tie: f.tie, seq: f.seq})
		*f = event{}
	}
	k := queueKey{at: atKey(e.at), tie: e.tie, seq: e.seq}
	if len(q.keys) == 0 || k.before(&q.keys[0]) {
		q.front, q.hasFront = *e, true
		return
	}
	q.pushHeap(e, k)
}

// pop removes the first event and writes it to e.
func (q *eventQueue) pop(e *event) {
	if q.hasFront {
		*e = q.front
		q.front, q.hasFront = event{}, false // the queue does not keep its callback alive
		return
	}
	q.popHeap(e)
}

// pushHeap and popHeap move a hole rather than swapping: the key that sifts
// is held aside and written once, where it lands.
func (q *eventQueue) pushHeap(e *event, k queueKey) {
	var slot uint32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.bodies[slot] = eventBody{fn: e.fn, act: e.act, node: e.node, inc: e.inc, label: e.label}
	} else {
		slot = uint32(len(q.bodies))
		q.bodies = append(q.bodies, eventBody{fn: e.fn, act: e.act, node: e.node, inc: e.inc, label: e.label})
	}
	k.slot = slot
	q.keys = append(q.keys, queueKey{})
	keys := q.keys
	i := len(keys) - 1
	for i > 0 {
		parent := (i - 1) / 4
		if !k.before(&keys[parent]) {
			break
		}
		keys[i] = keys[parent]
		i = parent
	}
	keys[i] = k
}

// popHeap removes the heap's first event and writes it to e (written field
// by field, rather than returned and copied, which would copy the whole
// event again). Its slot is cleared, so that the queue does not keep its
// callback alive.
func (q *eventQueue) popHeap(e *event) {
	keys := q.keys
	top := keys[0]
	last := len(keys) - 1
	k := keys[last]
	keys = keys[:last]
	q.keys = keys
	if last > 0 {
		i, n := 0, last
		for {
			first := 4*i + 1
			if first >= n {
				break
			}
			var best int
			if first+4 <= n {
				// A full node: the least of two pairs, then of their
				// winners, chosen by arithmetic on the borrows rather
				// than by branches.
				c := (*[4]queueKey)(keys[first : first+4])
				b01 := c[1].less(&c[0])
				b23 := 2 + c[3].less(&c[2])
				b01 += (b23 - b01) * c[b23&3].less(&c[b01&3])
				best = first + int(b01)
			} else {
				best = first
				for c := first + 1; c < n; c++ {
					if keys[c].before(&keys[best]) {
						best = c
					}
				}
			}
			if !keys[best].before(&k) {
				break
			}
			keys[i] = keys[best]
			i = best
		}
		keys[i] = k
	}
	b := &q.bodies[top.slot]
	e.at, e.tie, e.seq = time.Duration(top.at^1<<63), top.tie, top.seq
	e.fn, e.act, e.node, e.inc, e.label = b.fn, b.act, b.node, b.inc, b.label
	*b = eventBody{}
	q.free = append(q.free, top.slot)
}
