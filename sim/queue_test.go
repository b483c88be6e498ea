package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestEventQueuePopsInOrder: interleaved pushes and pops, with few distinct
// times and tiebreaks so that ties are common, pop every event exactly once
// and always the least by (at, tie, seq) of those queued (compared field by
// field here, not with the queue's own comparison), with its own body.
func TestEventQueuePopsInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q eventQueue
		var pending []event
		var seq, ran uint64
		nodes := []*Node{nil, {Name: "a"}, {Name: "b"}}
		labels := []string{"x", "y", "z"}
		// Few distinct values, so that ties are common, at the edges of
		// their ranges, where a comparison with borrow can go wrong.
		times := []time.Duration{0, 1, 2, 1 << 32, 1<<62 + 1, math.MaxInt64}
		ties := []uint64{0, 1, 1 << 32, 1 << 63, 1<<63 + 1, math.MaxUint64}
		steps := rapid.IntRange(1, 600).Draw(t, "steps")
		// Runs of mostly pushes then of mostly pops, so that the heap also
		// grows a few levels deep and drains again.
		run := rapid.IntRange(1, 128).Draw(t, "run")
		for i := 0; i < steps; i++ {
			popping := i/run%2 == 1
			if rapid.IntRange(0, 9).Draw(t, "against the run") == 0 {
				popping = !popping
			}
			if len(pending) > 0 && popping {
				slices.SortFunc(pending, func(a, b event) int {
					return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.tie, b.tie), cmp.Compare(a.seq, b.seq))
				})
				var got event
				popEvent(&q, &got)
				want := pending[0]
				pending = pending[1:]
				require.Equal(t, want.seq, got.seq)
				require.Equal(t, want.at, got.at)
				require.Equal(t, want.tie, got.tie)
				require.Same(t, want.node, got.node)
				require.Equal(t, want.inc, got.inc)
				require.Equal(t, want.label, got.label)
				got.fn()
				require.Equal(t, want.seq, ran, "ran another event's callback")
				require.Equal(t, len(pending), q.Len())
				continue
			}
			seq++
			s := seq
			e := event{
				at:  rapid.SampledFrom(times).Draw(t, "at"),
				tie: rapid.SampledFrom(ties).Draw(t, "tie"),
				seq: s,
				eventBody: eventBody{
					node:  nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "node")],
					inc:   uint32(rapid.IntRange(0, 2).Draw(t, "inc")),
					label: labels[rapid.IntRange(0, len(labels)-1).Draw(t, "label")],
				},
			}
			e.fn = func() { ran = s }
			q.push(&e)
			pending = append(pending, e)
		}
		// Every slot was cleared by release (popEvent's, as the loop's
		// once an event has run): a queue drained of n events holds no
		// body of them.
		for len(pending) > 0 {
			var got event
			popEvent(&q, &got)
			pending = pending[1:]
		}
		for i := range q.bodies {
			require.Equal(t, eventBody{}, q.bodies[i])
		}
		require.Zero(t, q.Len())
		require.Len(t, q.free, len(q.bodies), "a slot was not freed")
	})
}

// popEvent removes q's first event and writes it to e, freeing its slot, as
// the event loop does once the event has run.
func popEvent(q *eventQueue, e *event) {
	k := q.popKey()
	*e = event{at: time.Duration(k.at ^ 1<<63), tie: k.tie, seq: k.seq, eventBody: q.bodies[k.slot]}
	q.release(k.slot)
}

// checkQueueShape fails unless q's layout is what popKey and fitsEarliest
// rely on: near's run within the array, starting no later than
// nearCap-nearMax, no longer than nearMax, strictly latest first; the heap
// in heap order with every key after every key of near; and every queued
// key's slot distinct and not free.
func checkQueueShape(t require.TestingT, q *eventQueue) {
	require.True(t, 0 <= q.lo && q.lo <= q.hi && q.hi <= nearCap, "near's run [%d, %d) outside the array", q.lo, q.hi)
	require.LessOrEqual(t, q.hi-q.lo, nearMax)
	require.LessOrEqual(t, q.lo, nearCap-nearMax, "a run that is not full may reach the array's end (fitsEarliest)")
	near := q.near[q.lo:q.hi]
	for i := 1; i < len(near); i++ {
		require.True(t, near[i].before(&near[i-1]), "near is not latest first at %d", i)
	}
	for i := 1; i < len(q.keys); i++ {
		require.False(t, q.keys[i].before(&q.keys[(i-1)/4]), "heap order broken at %d", i)
	}
	if len(near) > 0 && len(q.keys) > 0 {
		require.True(t, near[0].before(&q.keys[0]), "a heap key is before near's latest")
	}
	used := make(map[uint32]bool)
	for _, k := range append(append([]queueKey(nil), near...), q.keys...) {
		require.False(t, used[k.slot], "slot %d queued twice", k.slot)
		used[k.slot] = true
	}
	for _, s := range q.free {
		require.False(t, used[s], "slot %d queued and free", s)
		used[s] = true
	}
	require.Len(t, used, len(q.bodies), "a slot is neither queued nor free")
}

// TestEventQueueShapedLikeARun drives the queue as the event loop does, with
// time moving forward to each popped event and new events due a little or a
// long time after it (mostly a little, as replies and disk completions are,
// sometimes far, as timers are), in bursts that grow the queue past nearMax
// and drain it again, so that every path of pushNear runs: at either end of
// near, inside it, evicting into the heap, and recentring. After every
// operation the layout must be sound, and every pop must be the least event
// queued, by (at, tie, seq).
func TestEventQueueShapedLikeARun(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q eventQueue
		var pending []event
		var now time.Duration
		var seq uint64
		rounds := rapid.IntRange(1, 12).Draw(t, "rounds")
		for r := 0; r < rounds; r++ {
			pushes := rapid.IntRange(0, 3*nearMax).Draw(t, "pushes")
			pops := rapid.IntRange(0, 3*nearMax).Draw(t, "pops")
			for i := 0; i < pushes+pops; i++ {
				if i%2 == 1 && pops > 0 || pushes == 0 {
					pops--
					if len(pending) == 0 {
						continue
					}
					slices.SortFunc(pending, func(a, b event) int {
						return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.tie, b.tie), cmp.Compare(a.seq, b.seq))
					})
					var got event
					popEvent(&q, &got)
					require.Equal(t, pending[0].seq, got.seq)
					require.Equal(t, pending[0].label, got.label)
					now = got.at
					pending = pending[1:]
				} else {
					pushes--
					var delay time.Duration
					switch rapid.IntRange(0, 9).Draw(t, "kind") {
					case 0:
						delay = time.Duration(rapid.IntRange(0, 1e6).Draw(t, "far"))
					case 1, 2:
						delay = 0
					default:
						delay = time.Duration(rapid.IntRange(0, 50).Draw(t, "soon"))
					}
					seq++
					e := event{at: now + delay, tie: rapid.Uint64Range(0, 3).Draw(t, "tie"), seq: seq, eventBody: eventBody{label: fmt.Sprint(seq)}}
					q.push(&e)
					pending = append(pending, e)
				}
				checkQueueShape(t, &q)
				require.Equal(t, len(pending), q.Len())
			}
		}
	})
}

// TestEventQueueRecentres pushes events each after every queued one (near's
// run grows towards the start of its array while pops shrink its end) and
// events each before every queued one (near fills up, then each push moves
// its latest key into the heap: the run grows towards the end of the array),
// so that the run reaches each end of the array and must move back to the
// middle; the events still pop in order.
func TestEventQueueRecentres(t *testing.T) {
	for _, latest := range []bool{true, false} {
		var q eventQueue
		var seq uint64
		var popped []time.Duration
		for i := 0; i < 4*nearCap; i++ {
			seq++
			at := time.Duration(seq)
			if !latest {
				at = time.Duration(1e6 - seq)
			}
			q.push(&event{at: at, seq: seq})
			checkQueueShape(t, &q)
			if latest && i%2 == 1 {
				var e event
				popEvent(&q, &e)
				popped = append(popped, e.at)
			}
		}
		if !latest {
			require.Len(t, q.keys, 4*nearCap-nearMax, "near holds the earliest nearMax, the heap the rest")
		}
		for q.Len() > 0 {
			var e event
			popEvent(&q, &e)
			popped = append(popped, e.at)
			checkQueueShape(t, &q)
		}
		require.Len(t, popped, 4*nearCap)
		require.True(t, slices.IsSorted(popped), "popped out of order")
	}
}
