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

// push and pop move a hole rather than swapping: the element that sifts is
// held aside and written once, where it lands, so each level costs one copy
// of an event instead of two (an event holds pointers, so every copy is a
// write-barriered one while the collector marks). The array they leave is
// the one swapping would, so the order of events is the same.
func (q *eventQueue) push(e event) {
	q.items = append(q.items, event{})
	items := q.items
	i := len(items) - 1
	for i > 0 {
		parent := (i - 1) / 4
		if !e.before(&items[parent]) {
			break
		}
		items[i] = items[parent]
		i = parent
	}
	items[i] = e
}

func (q *eventQueue) pop() event {
	items := q.items
	top := items[0]
	last := len(items) - 1
	e := items[last]
	items[last] = event{}
	items = items[:last]
	q.items = items
	if last == 0 {
		return top
	}
	i, n := 0, last
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		best := first
		end := min(first+4, n)
		for c := first + 1; c < end; c++ {
			if items[c].before(&items[best]) {
				best = c
			}
		}
		if !items[best].before(&e) {
			break
		}
		items[i] = items[best]
		i = best
	}
	items[i] = e
	return top
}
