package sim

import "time"

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
	at   time.Duration
	tie  uint64
	seq  uint64
	slot uint32
}

func (a *queueKey) before(b *queueKey) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.tie != b.tie {
		return a.tie < b.tie
	}
	return a.seq < b.seq
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
}

func (q *eventQueue) Len() int { return len(q.keys) }

// push and pop move a hole rather than swapping: the key that sifts is held
// aside and written once, where it lands.
func (q *eventQueue) push(e event) {
	var slot uint32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.bodies[slot] = eventBody{fn: e.fn, act: e.act, node: e.node, inc: e.inc, label: e.label}
	} else {
		slot = uint32(len(q.bodies))
		q.bodies = append(q.bodies, eventBody{fn: e.fn, act: e.act, node: e.node, inc: e.inc, label: e.label})
	}
	k := queueKey{at: e.at, tie: e.tie, seq: e.seq, slot: slot}
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

// pop removes the first event and writes it to e (written field by field,
// rather than returned and copied, which would copy the whole event again).
// Its slot is cleared, so that the queue does not keep its callback alive.
func (q *eventQueue) pop(e *event) {
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
			best := first
			end := min(first+4, n)
			for c := first + 1; c < end; c++ {
				if keys[c].before(&keys[best]) {
					best = c
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
	e.at, e.tie, e.seq = top.at, top.tie, top.seq
	e.fn, e.act, e.node, e.inc, e.label = b.fn, b.act, b.node, b.inc, b.label
	*b = eventBody{}
	q.free = append(q.free, top.slot)
}
