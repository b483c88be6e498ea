package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestEventQueuePopsInOrder: interleaved pushes and pops, with few distinct
// times and tiebreaks so that ties are common, pop every event exactly once
// and always the least by (at, tie, seq) of those queued, with its own body.
func TestEventQueuePopsInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q eventQueue
		var pending []event
		var seq, ran uint64
		nodes := []*Node{nil, {Name: "a"}, {Name: "b"}}
		labels := []string{"x", "y", "z"}
		steps := rapid.IntRange(1, 300).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			if len(pending) > 0 && rapid.Bool().Draw(t, "pop") {
				slices.SortFunc(pending, func(a, b event) int {
					ka := queueKey{at: a.at, tie: a.tie, seq: a.seq}
					kb := queueKey{at: b.at, tie: b.tie, seq: b.seq}
					switch {
					case ka.before(&kb):
						return -1
					case kb.before(&ka):
						return 1
					}
					return 0
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
				at:    time.Duration(rapid.IntRange(0, 5).Draw(t, "at")),
				tie:   uint64(rapid.IntRange(0, 3).Draw(t, "tie")),
				seq:   s,
				node:  nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "node")],
				inc:   uint32(rapid.IntRange(0, 2).Draw(t, "inc")),
				label: labels[rapid.IntRange(0, len(labels)-1).Draw(t, "label")],
			}
			e.fn = func() { ran = s }
			q.push(e)
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
	})
}
