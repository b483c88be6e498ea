package netsim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestRecycledRequestsChangeNothing: a server whose handler is registered
// with HandleRequestRecycled, or with HandleRequestRecycledArgs (its requests
// Recopiers), and holds each Request until it answers it later, runs exactly
// as one registered with HandleRequest: the same outcome for every call and
// the same trace hash, under duplicates, late duplicates, lost replies and a
// crash of the server while it holds Requests; the Requests it held when it
// crashed, never responded to, are never handed to a handler again; and no
// Args it holds, before or after the crash, are handed to another dispatch.
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
		const (
			kept = iota
			recycled
			recycledArgs // HandleRequestRecycledArgs, with requests that are Recopiers
		)
		do := func(mode int) run {
			var r run
			held := map[*netsim.Request]bool{}
			heldArgs := map[any]bool{} // the Args of the Requests in held
			crashed := false
			var c *cluster
			c = newCluster(seed, 2, func(i int, ep *netsim.Endpoint) {
				h := func(req *netsim.Request) {
					if crashed {
						r.afterCrash = append(r.afterCrash, req)
					}
					require.False(t, heldArgs[req.Args], "Args still held were handed out again")
					held[req], heldArgs[req.Args] = true, true
					id := idOf(req.Args)
					c.nodes[i].After(time.Duration(id%5)*time.Millisecond, "answer", func() {
						delete(held, req)
						delete(heldArgs, req.Args)
						req.Respond(&msg{ID: id})
					})
				}
				switch mode {
				case kept:
					ep.HandleRequest("Op", h)
				case recycled:
					ep.HandleRequestRecycled("Op", h)
				case recycledArgs:
					ep.HandleRequestRecycledArgs("Op", h)
				}
			})
			cond := c.net.Conditions()
			cond.DelayMax = 3 * time.Millisecond
			cond.Duplicate, cond.LateDuplicate, cond.DropReply = 0.3, 0.2, 0.1
			c.net.SetConditions(cond)
			r.outs = make([]*outcome, calls)
			for i := range calls {
				c.nodes[0].After(time.Duration(i)*2*time.Millisecond, "call", func() {
					var args netsim.Message = &msg{ID: i}
					if mode == recycledArgs {
						args = &rmsg{msg{ID: i}}
					}
					r.outs[i] = c.call(0, 1, "Op", args)
				})
			}
			c.w.Schedule(crashAt, "crash", func() {
				r.heldAtDead = held
				held, crashed = map[*netsim.Request]bool{}, true
				// The dead instance never responds: its Args must stay out of
				// every later dispatch too, which the handler checks.
				c.w.Crash(c.nodes[1])
				c.w.Restart(c.nodes[1])
			})
			require.Nil(t, c.w.Run())
			r.hash = c.w.Hash()
			return r
		}
		runs := []run{do(kept), do(recycled), do(recycledArgs)}
		for _, r := range runs[1:] {
			require.Equal(t, runs[kept].outs, r.outs, "the callers' outcomes")
			require.Equal(t, runs[kept].hash, r.hash, "the trace hash")
			for _, req := range r.afterCrash {
				require.False(t, r.heldAtDead[req], "a Request the crashed instance held was handed out again")
			}
		}
	})
}

// rmsg is a msg the network can copy into an earlier copy (netsim.Recopier).
type rmsg struct{ msg }

func (m *rmsg) Clone() any { return &rmsg{*m.msg.Clone().(*msg)} }

func (m *rmsg) CloneInto(dst any) any {
	if c, ok := dst.(*rmsg); ok {
		c.ID, c.Data = m.ID, append(c.Data[:0], m.Data...)
		return c
	}
	return m.Clone()
}

// idOf is the ID of a *msg or *rmsg.
func idOf(m any) int {
	if r, ok := m.(*rmsg); ok {
		return r.ID
	}
	return m.(*msg).ID
}

// TestRecycledArgsAndReplies: a handler registered with
// HandleRequestRecycledArgs is handed, call after call, the Args it gave
// back with its last response, holding each call's own request, and a caller
// that gives its replies back (RecycleReply) receives each reply in the copy
// it gave back last; a HandleRequestRecycled handler's Args, and the copies
// of a message that is no Recopier, are new for every call.
func TestRecycledArgsAndReplies(t *testing.T) {
	args := map[string][]any{}
	c := newCluster(23, 2, func(i int, ep *netsim.Endpoint) {
		for _, method := range []string{"RecycledArgs", "Recycled", "NoRecopier"} {
			h := func(req *netsim.Request) {
				args[method] = append(args[method], req.Args)
				req.Respond(&rmsg{msg{ID: 10 * idOf(req.Args)}})
			}
			if method == "Recycled" {
				ep.HandleRequestRecycled(method, h)
			} else {
				ep.HandleRequestRecycledArgs(method, h)
			}
		}
	})
	var ids []int
	var replies []any
	c.w.Spawn(c.nodes[0], "client", func(p *sim.Proc) {
		for _, method := range []string{"RecycledArgs", "Recycled", "NoRecopier"} {
			for id := range 3 {
				var a netsim.Message = &rmsg{msg{ID: id}}
				if method == "NoRecopier" {
					a = &msg{ID: id}
				}
				reply, ok := c.eps[0].CallProc(p, 1, method, a, 0)
				require.True(t, ok)
				ids = append(ids, idOf(reply))
				if method == "RecycledArgs" {
					replies = append(replies, reply)
					c.eps[0].RecycleReply(reply)
				}
			}
		}
	})
	require.Nil(t, c.w.Run())
	require.Equal(t, []int{0, 10, 20, 0, 10, 20, 0, 10, 20}, ids)
	for _, seen := range [][]any{args["RecycledArgs"], replies} {
		require.Len(t, seen, 3)
		require.Same(t, seen[0], seen[1])
		require.Same(t, seen[0], seen[2])
	}
	for _, method := range []string{"Recycled", "NoRecopier"} {
		seen := args[method]
		require.Len(t, seen, 3)
		require.True(t, seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2], "%s: Args handed out again", method)
	}
}

// TestRecycledCopiesAreNeverShared: under every fault the network has (lost
// requests and replies, duplicates, late duplicates, long reordering,
// callers that time out, the server paused, the server and a caller crashed
// and restarted), a copy given back is handed out again only once nothing
// holds it: a HandleRequestRecycledArgs handler that holds its Args a while
// before it responds never gets Args another live dispatch holds, nor finds
// them changed when it responds, and a caller that holds its replies a while
// before it gives them back (RecycleReply) never gets a reply it holds, nor
// finds one changed; what a crashed instance held never comes back at all.
func TestRecycledCopiesAreNeverShared(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		calls := rapid.IntRange(1, 80).Draw(t, "calls")
		heldArgs := map[any]bool{}    // by the server's instances, live or crashed
		heldReplies := map[any]bool{} // by the callers' instances, live or crashed
		const server = 2              // nodes 0 and 1 call it
		var c *cluster
		c = newCluster(seed, 3, func(i int, ep *netsim.Endpoint) {
			if i != server {
				return
			}
			ep.HandleRequestRecycledArgs("Op", func(req *netsim.Request) {
				require.False(t, heldArgs[req.Args], "Args still held were handed out again")
				heldArgs[req.Args] = true
				id := idOf(req.Args)
				c.nodes[server].After(time.Duration(id%7)*time.Millisecond, "answer", func() {
					require.Equal(t, id, idOf(req.Args), "Args changed while held")
					delete(heldArgs, req.Args)
					req.Respond(&rmsg{msg{ID: 1000 + id}})
				})
			})
		})
		cond := c.net.Conditions()
		cond.DelayMax = 3 * time.Millisecond
		cond.Duplicate, cond.LateDuplicate, cond.DropRequest, cond.DropReply = 0.3, 0.2, 0.1, 0.1
		cond.LongReordering = true
		c.net.SetConditions(cond)
		for i := range calls {
			from := i % 2
			timeout := time.Duration(0)
			if i%3 == 0 {
				timeout = 5 * time.Millisecond
			}
			c.nodes[from].After(time.Duration(i)*time.Millisecond, "call", func() {
				c.eps[from].CallTimeout(server, "Op", &rmsg{msg{ID: i}}, timeout, func(reply any, ok bool) {
					if !ok {
						return
					}
					require.False(t, heldReplies[reply], "a reply still held was handed out again")
					require.Equal(t, 1000+i, idOf(reply))
					heldReplies[reply] = true
					c.nodes[from].After(time.Duration(i%5)*time.Millisecond, "give back", func() {
						require.Equal(t, 1000+i, idOf(reply), "reply changed while held")
						delete(heldReplies, reply)
						c.eps[from].RecycleReply(reply)
					})
				})
			})
		}
		for _, at := range rapid.SliceOfN(rapid.IntRange(1, 90), 0, 6).Draw(t, "faults") {
			c.w.Schedule(time.Duration(at)*time.Millisecond, "fault", func() {
				switch at % 3 {
				case 0:
					c.w.Crash(c.nodes[server])
					c.w.Restart(c.nodes[server])
				case 1:
					c.w.Crash(c.nodes[0])
					c.w.Restart(c.nodes[0])
				case 2:
					c.w.Pause(c.nodes[server])
					c.w.Schedule(3*time.Millisecond, "resume", func() { c.w.Resume(c.nodes[server]) })
				}
			})
		}
		require.Nil(t, c.w.Run())
	})
}
