package sim

import "time"

// event is one scheduled callback. Events are ordered by (at, tie, seq): tie
// is a seeded draw, so events due at the same instant run in an order the
// seed chooses, as real concurrency would; seq only breaks the (astronomically
// rare) equal draws, keeping the order total.
type event struct {
	at    time.Duration
	tie   uint64
	seq   uint64
	fn    func()
	node  *Node  // nil for world events; else dropped if node crashed since scheduling
	inc   uint32 // node incarnation at scheduling time
	label string
}

func (a *event) before(b *event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.tie != b.tie {
		return a.tie < b.tie
	}
	return a.seq < b.seq
}

// eventQueue is a 4-ary min-heap of events stored by value: shallower than a
// binary heap, and no allocation per event.
type eventQueue struct {
	items []event
}

func (q *eventQueue) Len() int { return len(q.items) }

func (q *eventQueue) push(e event) {
	q.items = append(q.items, e)
	i := len(q.items) - 1
	for i > 0 {
		parent := (i - 1) / 4
		if !q.items[i].before(&q.items[parent]) {
			break
		}
		q.items[i], q.items[parent] = q.items[parent], q.items[i]
		i = parent
	}
}

func (q *eventQueue) pop() event {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items[last] = event{}
	q.items = q.items[:last]
	i, n := 0, last
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		best := first
		end := min(first+4, n)
		for c := first + 1; c < end; c++ {
			if q.items[c].before(&q.items[best]) {
				best = c
			}
		}
		if !q.items[best].before(&q.items[i]) {
			break
		}
		q.items[i], q.items[best] = q.items[best], q.items[i]
		i = best
	}
	return top
}
