package kv

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/netsim"
)

// TestWaitersAgainstAMap: the queue behaves as the map by index it replaced, under adds
// at increasing indexes (a leader's proposals) and now and then at an index already
// taken or below the last (a server whose core changed term before it heard), takes of
// each next applied index, and removals by a predicate, which return the removed waiters
// in index order.
func TestWaitersAgainstAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q waiters
		ref := map[int]int64{}            // index -> seq
		reqs := map[int]*netsim.Request{} // index -> the request of the waiter there
		applied, next := 0, 1
		for step := range rapid.IntRange(1, 200).Draw(t, "steps") {
			switch rapid.IntRange(0, 9).Draw(t, "action") {
			case 0, 1, 2, 3: // a request at the leader's next index, or an earlier one
				index := next
				if rapid.IntRange(0, 9).Draw(t, "stale") == 0 {
					index = rapid.IntRange(applied+1, next).Draw(t, "index")
				}
				next = max(next, index+1)
				req := &netsim.Request{From: step}
				old := q.add(&waiter{index: index, seq: int64(step), req: req})
				require.Same(t, reqs[index], old, "the request replaced at %d", index) // nil if none
				ref[index], reqs[index] = int64(step), req
			case 4, 5, 6, 7: // the next index applies
				applied++
				next = max(next, applied+1)
				w := q.first(applied)
				seq, had := ref[applied]
				require.Equal(t, had, w != nil, "index %d", applied)
				if had {
					require.Equal(t, seq, w.seq)
					q.pop()
					delete(ref, applied)
					delete(reqs, applied)
				}
			case 8: // a sweep or a restore: remove some
				odd := rapid.Bool().Draw(t, "odd")
				out := q.remove(func(w *waiter) bool { return (w.seq%2 == 1) == odd }, nil)
				var want []int
				for i, seq := range ref {
					if (seq%2 == 1) == odd {
						want = append(want, i)
						delete(ref, i)
						delete(reqs, i)
					}
				}
				slices.Sort(want)
				var got []int
				for _, w := range out {
					got = append(got, w.index)
				}
				require.Equal(t, want, got)
			case 9: // a restore covering everything applied and some more
				applied = rapid.IntRange(applied, next).Draw(t, "restored")
				next = max(next, applied+1)
				q.remove(func(w *waiter) bool { return w.index <= applied }, nil)
				for i := range ref {
					if i <= applied {
						delete(ref, i)
						delete(reqs, i)
					}
				}
			}
			require.Equal(t, len(ref), q.len())
			var indexes []int
			q.all(func(w *waiter) { indexes = append(indexes, w.index) })
			require.True(t, slices.IsSorted(indexes), "%v", indexes)
			for _, w := range q.ws[:q.head] {
				require.Equal(t, waiter{}, w, "a taken waiter is cleared")
			}
		}
	})
}

// TestWaitersFirstBelowPanics: a waiter at an index below the one being applied breaks
// the invariant (it would never be answered but by the sweep): first says so.
func TestWaitersFirstBelowPanics(t *testing.T) {
	var q waiters
	q.add(&waiter{index: 3})
	require.Panics(t, func() { q.first(4) })
}
