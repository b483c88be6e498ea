package netsim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/netsim"
)

// TestRecycledRequestsChangeNothing: a server whose handler is registered
// with HandleRequestRecycled, and holds each Request until it answers it
// later, runs exactly as one registered with HandleRequest: the same outcome
// for every call and the same trace hash, under duplicates, late duplicates,
// lost replies and a crash of the server while it holds Requests; and the
// Requests it held when it crashed, never responded to, are never handed to
// a handler again.
func TestRecycledRequestsChangeNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		calls := rapid.IntRange(1, 40).Draw(t, "calls")
		crashAt := time.Duration(rapid.IntRange(1, 100).Draw(t, "crash at")) * time.Millisecond
		type run struct {
			outs       []*outcome
			hash       uint64
			heldAtDead map[*netsim.Request]bool // held by the instance that crashed
			afterCrash []*netsim.Request        // handed to handlers after the crash
		}
		do := func(recycled bool) run {
			var r run
			held := map[*netsim.Request]bool{}
			crashed := false
			var c *cluster
			c = newCluster(seed, 2, func(i int, ep *netsim.Endpoint) {
				h := func(req *netsim.Request) {
					if crashed {
						r.afterCrash = append(r.afterCrash, req)
					}
					held[req] = true
					m := req.Args.(*msg)
					c.nodes[i].After(time.Duration(m.ID%5)*time.Millisecond, "answer", func() {
						delete(held, req)
						req.Respond(&msg{ID: m.ID})
					})
				}
				if recycled {
					ep.HandleRequestRecycled("Op", h)
				} else {
					ep.HandleRequest("Op", h)
				}
			})
			cond := c.net.Conditions()
			cond.DelayMax = 3 * time.Millisecond
			cond.Duplicate, cond.LateDuplicate, cond.DropReply = 0.3, 0.2, 0.1
			c.net.SetConditions(cond)
			r.outs = make([]*outcome, calls)
			for i := range calls {
				c.nodes[0].After(time.Duration(i)*2*time.Millisecond, "call", func() {
					r.outs[i] = c.call(0, 1, "Op", &msg{ID: i})
				})
			}
			c.w.Schedule(crashAt, "crash", func() {
				r.heldAtDead = held
				held, crashed = map[*netsim.Request]bool{}, true
				c.w.Crash(c.nodes[1])
				c.w.Restart(c.nodes[1])
			})
			require.Nil(t, c.w.Run())
			r.hash = c.w.Hash()
			return r
		}
		kept, recycled := do(false), do(true)
		require.Equal(t, kept.outs, recycled.outs, "the callers' outcomes")
		require.Equal(t, kept.hash, recycled.hash, "the trace hash")
		for _, req := range recycled.afterCrash {
			require.False(t, recycled.heldAtDead[req], "a Request the crashed instance held was handed out again")
		}
	})
}
