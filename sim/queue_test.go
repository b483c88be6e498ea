package sim

import (
	"cmp"
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
				q.pop(&got)
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
				at:    rapid.SampledFrom(times).Draw(t, "at"),
				tie:   rapid.SampledFrom(ties).Draw(t, "tie"),
				seq:   s,
				node:  nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "node")],
				inc:   uint32(rapid.IntRange(0, 2).Draw(t, "inc")),
				label: labels[rapid.IntRange(0, len(labels)-1).Draw(t, "label")],
			}
			e.fn = func() { ran = s }
			q.push(&e)
			pending = append(pending, e)
		}
		// Every slot was cleared on pop: a queue drained of n events holds
		// no body of them.
		for len(pending) > 0 {
			var got event
			q.pop(&got)
			pending = pending[1:]
		}
		for i := range q.bodies {
			require.Equal(t, eventBody{}, q.bodies[i])
		}
		require.Zero(t, q.nfront)
		require.Equal(t, [frontMax]event{}, q.front, "a front event was not cleared")
	})
}
