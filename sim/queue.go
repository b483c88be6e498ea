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
	// front holds up to frontMax events that are each before every event
	// of the heap, latest first, with their keys: pop takes the last one
	// without touching the heap. Most events are scheduled by the event
	// just before them and are due before everything else queued (a reply
	// that takes no time, a process's wake, the request drawn the shortest
	// delay), and would otherwise be sifted into the heap and straight back
	// out. An event after every front event but before the heap, when the
	// front is full, goes to the heap; otherwise the front's latest event
	// makes room by moving into the heap, where it is the least. So the
	// events pop in exactly the heap's (at, tie, seq) order.
	front  [frontMax]event
	fkeys  [frontMax]queueKey
	nfront int
}

// frontMax is the front's capacity: enough for the few events one event
// typically schedules before everything else, small enough to insert into
// by shifting.
const frontMax = 4

func (q *eventQueue) Len() int { return len(q.keys) + q.nfront }

// push queues e: in the front when it is before every event of the heap,
// else in the heap.
func (q *eventQueue) push(e *event) {
	k := queueKey{at: atKey(e.at), tie: e.tie, seq: e.seq}
	if len(q.keys) > 0 && !k.before(&q.keys[0]) {
		q.pushHeap(e, k)
		return
	}
	if q.nfront == frontMax {
		if q.fkeys[0].before(&k) {
			q.pushHeap(e, k) // after the whole front: the heap's new least
			return
		}
		q.pushHeap(&q.front[0], q.fkeys[0])
		copy(q.front[:], q.front[1:])
		copy(q.fkeys[:], q.fkeys[1:])
		q.nfront-- // the insertion below rewrites the last place
	}
	i := q.nfront
	for i > 0 && q.fkeys[i-1].before(&k) {
		q.front[i] = q.front[i-1]
		q.fkeys[i] = q.fkeys[i-1]
		i--
	}
	q.front[i] = *e
	q.fkeys[i] = k
	q.nfront++
}

// pop removes the first event and writes it to e.
func (q *eventQueue) pop(e *event) {
	if n := q.nfront - 1; n >= 0 {
		q.nfront = n
		f := &q.front[n]
		*e = *f
		*f = event{} // the queue does not keep its callback alive
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
	siftUp(q.keys, len(q.keys)-1, k)
}

// siftUp writes k into keys at i, or at the ancestor of i where the heap
// order puts it, moving the keys it passes down one level.
func siftUp(keys []queueKey, i int, k queueKey) {
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
	if last > 0 {
		fillHole(keys[:last], keys[last])
	}
	q.keys = keys[:last]
	b := &q.bodies[top.slot]
	e.at, e.tie, e.seq = time.Duration(top.at^1<<63), top.tie, top.seq
	e.fn, e.act, e.node, e.inc, e.label = b.fn, b.act, b.node, b.inc, b.label
	*b = eventBody{}
	q.free = append(q.free, top.slot)
}

// fillHole restores the heap order of keys, whose first place is a hole,
// with k (the key that was last) in some place. A function of its own, so
// that the loops keep their few values in registers: inside popHeap, with
// the popped key and the event kept across them, the compiler spilled and
// reloaded a dozen values on every level.
//
// The hole goes down by the least child all the way to a leaf, and only
// then does k sift up from there (Floyd's bottom-up order): k was a leaf,
// late in the order, and belongs near the bottom, so comparing it with the
// least child at every level on the way down, as the textbook sift does, is
// a comparison per level that almost always says "go on".
func fillHole(keys []queueKey, k queueKey) {
	i, n := 0, len(keys)
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		var best int
		if first+4 <= n {
			// A full node: the least of two pairs, then of their winners,
			// chosen by arithmetic on the borrows rather than by branches.
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
		keys[i] = keys[best]
		i = best
	}
	siftUp(keys, i, k)
}
