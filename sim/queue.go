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
	at  time.Duration
	tie uint64
	seq uint64
	eventBody
}

// queueKey is what the queue orders: an event's sort key and the slot that
// holds the rest of it. It holds no pointer, so moving keys costs no write
// barriers while the collector marks, and the collector never scans the
// keys; an event's pointers (callback, node, label) are written once into
// its slot by push and cleared once by release.
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
	fn    func() // the callback, or nil when act is set
	act   Action
	node  *Node  // nil for world events; else dropped if node crashed since scheduling
	inc   uint32 // node incarnation at scheduling time
	label string
}

// eventQueue holds the queued events' keys in two parts: near, a short
// sorted run of the earliest ones, and a 4-ary min-heap of the rest, every
// key of which is after every key of near. The events' bodies sit in slots
// that stay put while the keys move; release frees a slot and the next push
// reuses it.
//
// Most events are due soon after the event that schedules them, before
// nearly everything else queued (a reply, a disk write's completion, a
// process's wake): in kv/SnapshotRecoverManyClients3B a third of the pushes
// are due before every queued event and the mean number of queued events due
// before a new one is five and a half, while about 26 events are queued.
// Sifting such keys into a heap and straight back out cost about 500
// instructions an event (pushHeap, popHeap and fillHole, when a heap took
// every event not due before all others); inserting one into near moves
// only the keys due before it, and popKey takes near's last key. The heap takes over when more than nearMax events
// are queued (a queue of thousands of timers), so that no push ever shifts
// more than nearMax keys.
type eventQueue struct {
	// near[lo:hi] holds up to nearMax keys, latest first: near[hi-1] pops
	// next. The run slides within the array: a key due before the others
	// goes in at hi, one due after them at lo-1, and when the side it
	// needs is full the run is moved back to the middle (recentre).
	near   [nearCap]queueKey
	lo, hi int
	keys   []queueKey // the heap
	bodies []eventBody
	free   []uint32
}

// nearMax is the most keys near holds: more than the 40-odd events the
// heaviest kv and raft scenarios keep queued, few enough that inserting
// into it costs less than a heap's sift. nearCap leaves room for the run to
// slide by nearMax either way between two recentrings.
const (
	nearMax = 64
	nearCap = 3 * nearMax
)

func (q *eventQueue) Len() int { return q.hi - q.lo + len(q.keys) }

// push queues e.
func (q *eventQueue) push(e *event) {
	b, slot := q.body()
	*b = e.eventBody
	k := queueKey{at: atKey(e.at), tie: e.tie, seq: e.seq, slot: slot}
	if q.fitsEarliest(&k) {
		q.near[q.hi] = k
		q.hi++
		return
	}
	q.insert(k)
}

// body returns a free slot for an event's body, all zeros (release clears the
// slots it frees), for the caller to fill in before it queues the event's
// key with insert.
func (q *eventQueue) body() (*eventBody, uint32) {
	if n := len(q.free); n > 0 {
		slot := q.free[n-1]
		q.free = q.free[:n-1]
		return &q.bodies[slot], slot
	}
	q.bodies = append(q.bodies, eventBody{})
	slot := len(q.bodies) - 1
	return &q.bodies[slot], uint32(slot)
}

// fitsEarliest reports whether k goes in at near's earliest end, near[hi]:
// whether near is neither empty nor full and k is before every key of near,
// and so of the heap. The array has room there: lo is never past
// nearCap-nearMax (it moves towards the end only as a full near's latest
// key goes to the heap, and insert recentres the run before it would pass
// the array's end), so a run that is not full ends before nearCap. It is a
// third of the pushes of kv/SnapshotRecoverManyClients3B, which World.push
// and push store themselves: fitsEarliest inlines, and insert, which does
// not, cost about thirty instructions more for them. insert places any key.
func (q *eventQueue) fitsEarliest(k *queueKey) bool {
	hi := q.hi
	return uint(hi-q.lo-1) < nearMax-1 && k.before(&q.near[hi-1])
}

// insert queues k, whose body is in place: in near when it is before every
// key of the heap, else in the heap.
func (q *eventQueue) insert(k queueKey) {
	if len(q.keys) > 0 && !k.before(&q.keys[0]) {
		q.pushHeap(k)
		return
	}
	lo, hi := q.lo, q.hi
	if hi == lo {
		// Empty: start again from the middle, with room either way.
		q.near[nearCap/2] = k
		q.lo, q.hi = nearCap/2, nearCap/2+1
		return
	}
	if q.near[lo].before(&k) {
		// After every key of near: at the latest end, or, near being
		// full, the heap's new least key.
		if hi-lo == nearMax {
			q.pushHeap(k)
			return
		}
		if lo == 0 {
			lo, hi = q.recentre()
		}
		q.near[lo-1] = k
		q.lo = lo - 1
		return
	}
	if hi-lo == nearMax {
		// Full: near's latest key makes room by moving into the heap,
		// where it is the least; k takes its place if it is after all
		// the others.
		q.pushHeap(q.near[lo])
		if q.near[lo+1].before(&k) {
			q.near[lo] = k
			return
		}
		lo++
		q.lo = lo
	}
	if hi == nearCap {
		lo, hi = q.recentre()
	}
	// The keys due before k move one place towards hi. Most differ from k
	// in time, so the scan compares times alone while they are earlier,
	// then whole keys while the times are equal. Both loops stop at
	// near[lo] at the latest, which is after k.
	near, at := q.near[:hi], k.at
	i := hi - 1
	// Four keys a step while the fourth is still earlier than k (near[lo]
	// is not, so the step never passes lo): in
	// kv/SnapshotRecoverManyClients3B a new key lands behind about nine
	// earlier ones, and the one-key loop was a compare, a branch and a
	// bounds check per key.
	for i-3 > lo && near[i-3].at < at {
		i -= 4
	}
	for near[i].at < at {
		i--
	}
	for near[i].at == at && near[i].before(&k) {
		i--
	}
	i++ // k's place
	if i < hi {
		copy(q.near[i+1:hi+1], q.near[i:hi])
	}
	q.near[i] = k
	q.hi = hi + 1
}

// recentre moves near's run to the middle of the array and returns its new
// bounds.
func (q *eventQueue) recentre() (lo, hi int) {
	n := q.hi - q.lo
	lo = (nearCap - n) / 2
	copy(q.near[lo:lo+n], q.near[q.lo:q.hi])
	q.lo, q.hi = lo, lo+n
	return lo, lo + n
}

// popKey removes the first event's key and returns it. The event's body
// stays in its slot, for the loop to run it from there (copied out, it was
// as many loads and stores again as reading it), until release frees the
// slot.
func (q *eventQueue) popKey() queueKey {
	if q.hi > q.lo {
		q.hi--
		return q.near[q.hi]
	}
	return q.popHeap()
}

// release clears the body in slot, so that the queue does not keep its
// callback alive, and frees the slot for a later push.
func (q *eventQueue) release(slot uint32) {
	q.bodies[slot] = eventBody{}
	q.free = append(q.free, slot)
}

// pushHeap and popHeap move a hole rather than swapping: the key that sifts
// is held aside and written once, where it lands.
func (q *eventQueue) pushHeap(k queueKey) {
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

// popHeap removes the heap's first key and returns it.
func (q *eventQueue) popHeap() queueKey {
	keys := q.keys
	top := keys[0]
	last := len(keys) - 1
	if last > 0 {
		fillHole(keys[:last], keys[last])
	}
	q.keys = keys[:last]
	return top
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
