package netsim_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

func TestBasicCall(t *testing.T) {
	var got []*netsim.Request
	c := newCluster(1, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
			got = append(got, req)
			echo(req, respond)
		})
	})
	require.Equal(t, 1, c.eps[1].ID())
	require.Same(t, c.nodes[1], c.eps[1].Node())
	require.Same(t, c.eps[1], c.net.Endpoint(1))
	require.Nil(t, c.net.Endpoint(7))
	require.Same(t, c.w, c.net.World())
	o := c.call(0, 1, "Echo", &msg{ID: 42, Data: []byte("hi")})
	require.Nil(t, c.w.Run())
	require.Len(t, got, 1)
	require.Equal(t, 0, got[0].From)
	require.Equal(t, "Echo", got[0].Method())
	require.Equal(t, 1, o.times)
	require.True(t, o.ok)
	require.Equal(t, &msg{ID: 42, Data: []byte("hi")}, o.reply)
	require.Zero(t, o.at, "a reliable network has no delay")
}

func TestCallOverDownLinkFailsWithinFailDelay(t *testing.T) {
	for _, cond := range []netsim.Conditions{netsim.Reliable(), netsim.Unreliable(), netsim.Reliable().WithLongDelays()} {
		handled := 0
		c := newCluster(2, 3, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
				handled++
				echo(req, respond)
			})
		})
		c.net.SetConditions(cond)
		require.Equal(t, cond, c.net.Conditions())
		c.net.SetLink(0, 1, false) // one-way: 0 -> 1 down, 1 -> 0 up
		c.w.Crash(c.nodes[2])
		var cut, dead, back []*outcome
		for i := 0; i < 200; i++ {
			cut = append(cut, c.call(0, 1, "Echo", &msg{ID: i}))
			dead = append(dead, c.call(0, 2, "Echo", &msg{ID: i}))
			back = append(back, c.call(1, 0, "Echo", &msg{ID: i}))
		}
		outside := c.call(0, 9, "Echo", &msg{}) // no such node
		require.Nil(t, c.w.Run())
		var latest time.Duration
		for _, o := range append(append(cut, dead...), outside) {
			require.Equal(t, 1, o.times)
			require.False(t, o.ok)
			require.Nil(t, o.reply)
			require.Less(t, o.at, cond.FailDelay)
			latest = max(latest, o.at)
		}
		require.Greater(t, latest, cond.FailDelay/2, "failures are spread over [0, FailDelay)")
		okBack := 0
		for _, o := range back {
			require.Equal(t, 1, o.times)
			if o.ok {
				okBack++
			}
		}
		require.Positive(t, okBack, "the other direction of a one-way cut still works")
		if cond.DropRequest == 0 {
			require.Equal(t, 200, c.net.Stats().ServerCount(0))
		}
		require.Zero(t, c.net.Stats().ServerCount(1), "a request crossed a cut link")
		require.Zero(t, c.net.Stats().ServerCount(2), "a request reached a crashed server")
	}
}

func TestUnreliableRates(t *testing.T) {
	var sentAt = map[int]time.Duration{}
	var delays []time.Duration
	c := newCluster(3, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
			delays = append(delays, ep.Node().World().Now()-sentAt[req.Args.(*msg).ID])
			echo(req, respond)
		})
	})
	c.net.SetReliable(false)
	require.Equal(t, netsim.Unreliable(), c.net.Conditions())
	const calls = 10000
	var outs []*outcome
	for i := 0; i < calls; i++ {
		at := time.Duration(i) * time.Millisecond
		c.w.Schedule(at, "send", func() {
			sentAt[i] = c.w.Now()
			outs = append(outs, c.call(0, 1, "Echo", &msg{ID: i}))
		})
	}
	require.Nil(t, c.w.Run())
	s := c.net.Stats()
	require.Equal(t, calls, s.Calls)
	reqRate := float64(s.Delivered) / calls
	repRate := float64(s.Replies) / float64(s.Delivered)
	require.InDelta(t, 0.9, reqRate, 0.02, "fraction of requests delivered")
	require.InDelta(t, 0.9, repRate, 0.02, "fraction of replies delivered")
	ok := 0
	for _, o := range outs {
		require.Equal(t, 1, o.times)
		if o.ok {
			ok++
		}
	}
	require.Equal(t, s.Replies, ok)
	require.InDelta(t, 0.81, float64(ok)/calls, 0.03)
	var maxDelay time.Duration
	for _, d := range delays {
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.LessOrEqual(t, d, netsim.UnreliableDelay)
		maxDelay = max(maxDelay, d)
	}
	require.Greater(t, maxDelay, 20*time.Millisecond, "delays cover 0-26 ms")
}

func TestLongReordering(t *testing.T) {
	c := newCluster(4, 2, func(i int, ep *netsim.Endpoint) { ep.Handle("Echo", echo) })
	c.net.SetLongReordering(true)
	require.True(t, c.net.Conditions().LongReordering)
	require.Equal(t, netsim.ShortFailDelay, c.net.Conditions().FailDelay)
	const calls = 3000
	var outs []*outcome
	for i := 0; i < calls; i++ {
		outs = append(outs, c.call(0, 1, "Echo", &msg{ID: i}))
	}
	require.Nil(t, c.w.Run())
	held, under1200 := 0, 0
	reordered := false // some reply overtook the reply of an earlier call
	var latest time.Duration
	for _, o := range outs {
		reordered = reordered || o.at < latest
		latest = max(latest, o.at)
		require.True(t, o.ok)
		if o.at == 0 {
			continue
		}
		held++
		require.GreaterOrEqual(t, o.at, 200*time.Millisecond)
		require.Less(t, o.at, 2200*time.Millisecond)
		if o.at < 1200*time.Millisecond {
			under1200++
		}
	}
	require.InDelta(t, 2.0/3.0, float64(held)/calls, 0.04, "fraction of replies held")
	// 200 + rand(1 + rand(2000)) ms is skewed short: well over half the held
	// replies come back within the first half of the range.
	require.Greater(t, float64(under1200)/float64(held), 0.6)
	require.True(t, reordered, "long reordering did not reorder")
}

func isSorted(ids []int) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i] < ids[i-1] {
			return false
		}
	}
	return true
}

func TestReorderingByArrivalTime(t *testing.T) {
	var arrival []int
	c := newCluster(5, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
			arrival = append(arrival, req.Args.(*msg).ID)
			echo(req, respond)
		})
	})
	c.net.SetConditions(netsim.Conditions{DelayMin: time.Millisecond, DelayMax: 10 * time.Millisecond, FailDelay: netsim.ShortFailDelay})
	for i := 0; i < 50; i++ {
		c.call(0, 1, "Echo", &msg{ID: i})
	}
	require.Nil(t, c.w.Run())
	require.Len(t, arrival, 50)
	require.False(t, isSorted(arrival), "uniform delays reorder requests")
	require.GreaterOrEqual(t, c.w.Now(), time.Millisecond)
	require.LessOrEqual(t, c.w.Now(), 10*time.Millisecond)
}

func TestNoAliasing(t *testing.T) {
	t.Run("sender mutates args after Call", func(t *testing.T) {
		var seen []string
		c := newCluster(1, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Put", func(req *netsim.Request, respond func(netsim.Message)) {
				seen = append(seen, string(req.Args.(*msg).Data))
				respond(&msg{})
			})
		})
		c.net.SetConditions(netsim.Conditions{DelayMin: 5 * time.Millisecond, DelayMax: 5 * time.Millisecond, FailDelay: netsim.ShortFailDelay})
		args := &msg{Data: []byte("original")}
		c.call(0, 1, "Put", args)
		copy(args.Data, "MUTATED!") // in place, before delivery
		args.Data = append(args.Data, '!')
		require.Nil(t, c.w.Run())
		require.Equal(t, []string{"original"}, seen)
	})
	t.Run("handler mutates its args, a duplicate sees the original", func(t *testing.T) {
		var seen []string
		c := newCluster(1, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Put", func(req *netsim.Request, respond func(netsim.Message)) {
				m := req.Args.(*msg)
				seen = append(seen, string(m.Data))
				copy(m.Data, "XXXX")
				m.ID = -1
				respond(&msg{})
			})
		})
		c.net.SetConditions(netsim.Conditions{Duplicate: 1, FailDelay: netsim.ShortFailDelay})
		o := c.call(0, 1, "Put", &msg{Data: []byte("abcd")})
		require.Nil(t, c.w.Run())
		require.Equal(t, []string{"abcd", "abcd"}, seen)
		require.Equal(t, 1, o.times)
	})
	t.Run("server mutates its reply after respond", func(t *testing.T) {
		c := newCluster(1, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Get", func(req *netsim.Request, respond func(netsim.Message)) {
				reply := &msg{ID: 1, Data: []byte("value")}
				respond(reply)
				reply.ID = 2
				copy(reply.Data, "VALUE")
				ep.Node().After(time.Millisecond, "later", func() { copy(reply.Data, "later") })
			})
		})
		c.net.SetConditions(netsim.Conditions{LongReordering: true, FailDelay: netsim.ShortFailDelay})
		var outs []*outcome
		for i := 0; i < 20; i++ { // some replies are held, so the later mutation comes first
			outs = append(outs, c.call(0, 1, "Get", &msg{}))
		}
		require.Nil(t, c.w.Run())
		for _, o := range outs {
			require.True(t, o.ok)
			require.Equal(t, &msg{ID: 1, Data: []byte("value")}, o.reply)
		}
	})
	t.Run("two callers do not share a reply", func(t *testing.T) {
		shared := &msg{Data: []byte("shared")}
		c := newCluster(1, 3, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Get", func(req *netsim.Request, respond func(netsim.Message)) { respond(shared) })
		})
		a := c.call(0, 2, "Get", &msg{})
		b := c.call(1, 2, "Get", &msg{})
		require.Nil(t, c.w.Run())
		require.NotSame(t, a.reply, b.reply)
		require.NotSame(t, shared, a.reply)
		a.reply.Data[0] = 'S'
		require.Equal(t, "shared", string(b.reply.Data))
		require.Equal(t, "shared", string(shared.Data))
	})
}

func TestDuplicateRunsHandlerTwiceCallerGetsOneReply(t *testing.T) {
	handled := 0
	c := newCluster(6, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Inc", func(req *netsim.Request, respond func(netsim.Message)) {
			handled++
			respond(&msg{ID: handled})
		})
	})
	c.net.SetConditions(netsim.Conditions{Duplicate: 1, DelayMax: 5 * time.Millisecond, FailDelay: netsim.ShortFailDelay})
	var outs []*outcome
	for i := 0; i < 10; i++ {
		outs = append(outs, c.call(0, 1, "Inc", &msg{}))
	}
	require.Nil(t, c.w.Run())
	require.Equal(t, 20, handled)
	s := c.net.Stats()
	require.Equal(t, 20, s.Delivered)
	require.Equal(t, 20, s.ServerCount(1))
	require.Equal(t, 10, s.Replies)
	for _, o := range outs {
		require.Equal(t, 1, o.times)
		require.True(t, o.ok)
	}
}

func TestCallTimeoutGivesUp(t *testing.T) {
	var pending []func(netsim.Message)
	c := newCluster(7, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Slow", func(req *netsim.Request, respond func(netsim.Message)) {
			pending = append(pending, respond) // answers much later
		})
		ep.Handle("Echo", echo)
	})
	var slow, fast struct {
		ok    bool
		at    time.Duration
		times int
	}
	c.eps[0].CallTimeout(1, "Slow", &msg{}, 300*time.Millisecond, func(reply any, ok bool) {
		slow.times++
		slow.ok, slow.at = ok, c.w.Now()
	})
	c.eps[0].CallTimeout(1, "Echo", &msg{}, 300*time.Millisecond, func(reply any, ok bool) {
		fast.times++
		fast.ok, fast.at = ok, c.w.Now()
	})
	c.w.Schedule(time.Second, "late answer", func() { pending[0](&msg{}) })
	// Run ends: nothing polls the handler that never answers (its server
	// is checked only when it crashes or is cut off), and the timeout is
	// the caller's only event after the request.
	require.Nil(t, c.w.Run())
	require.Equal(t, 1, slow.times)
	require.False(t, slow.ok)
	require.Equal(t, 300*time.Millisecond, slow.at)
	require.Equal(t, 1, fast.times, "a timeout after the reply does not call done again")
	require.True(t, fast.ok)
	require.Zero(t, fast.at)
}

// TestNoPositiveReplyFromACrashedServer is labrpc's rule: a server that died
// while handling gives no positive reply, even if the (stale) handler
// answers afterwards.
func TestNoPositiveReplyFromACrashedServer(t *testing.T) {
	for _, restart := range []bool{false, true} {
		var pending []func(netsim.Message)
		c := newCluster(8, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Append", func(req *netsim.Request, respond func(netsim.Message)) {
				pending = append(pending, respond)
			})
		})
		o := c.call(0, 1, "Append", &msg{})
		c.w.Schedule(150*time.Millisecond, "crash", func() {
			c.w.Crash(c.nodes[1])
			if restart {
				c.w.Restart(c.nodes[1]) // a new instance: the old one's answer is still void
			}
			pending[0](&msg{ID: 1}) // the dead instance "acknowledges"
		})
		require.Nil(t, c.w.Run())
		require.Equal(t, 1, o.times)
		require.False(t, o.ok, "restart=%v: a crashed server replied ok", restart)
		require.Equal(t, 0, c.net.Stats().Replies)
	}
}

// TestDeferredHandlerOnCrashedNodeFailsByPoll is labrpc's TestKilled: a
// handler that never answers, on a server that then dies: the call fails
// within the 100 ms poll of the crash.
func TestDeferredHandlerOnCrashedNodeFailsByPoll(t *testing.T) {
	for _, crashAt := range []time.Duration{50 * time.Millisecond, time.Second, 1234 * time.Millisecond} {
		c := newCluster(9, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Block", func(*netsim.Request, func(netsim.Message)) {})
		})
		o := c.call(0, 1, "Block", &msg{})
		c.w.Schedule(crashAt, "crash", func() {
			require.Zero(t, o.times, "the call ended while its server was alive and linked")
			c.w.Crash(c.nodes[1])
		})
		require.Nil(t, c.w.Run())
		require.Equal(t, 1, o.times)
		require.False(t, o.ok)
		require.Greater(t, o.at, crashAt)
		require.LessOrEqual(t, o.at, crashAt+netsim.ServerDeadPoll)
	}
}

func TestDeferredHandlerCutOffFailsByPoll(t *testing.T) {
	c := newCluster(10, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Block", func(*netsim.Request, func(netsim.Message)) {})
	})
	o := c.call(0, 1, "Block", &msg{})
	c.w.Schedule(510*time.Millisecond, "cut", func() { c.net.Disconnect(1) })
	require.Nil(t, c.w.Run())
	require.False(t, o.ok)
	require.Equal(t, 600*time.Millisecond, o.at)
}

// TestCrashedCallerNeverHearsBack: the callback of a call belongs to the
// instance that made it. If the caller crashes (and even restarts) while the
// call is in flight, the old instance's callback must never run: it would
// act on volatile state the crash discarded, in the new instance's time.
func TestCrashedCallerNeverHearsBack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cond    netsim.Conditions
		cutLink bool
	}{
		{"reply", netsim.Conditions{DelayMin: 10 * time.Millisecond, DelayMax: 10 * time.Millisecond, FailDelay: netsim.ShortFailDelay}, false},
		{"failure", netsim.Conditions{DelayMin: 10 * time.Millisecond, DelayMax: 10 * time.Millisecond, FailDelay: netsim.ShortFailDelay}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(11, 2, func(i int, ep *netsim.Endpoint) { ep.Handle("Echo", echo) })
			c.net.SetConditions(tc.cond)
			o := c.call(0, 1, "Echo", &msg{})
			c.w.Schedule(time.Millisecond, "crash caller", func() { c.w.Crash(c.nodes[0]) })
			c.w.Schedule(2*time.Millisecond, "restart caller", func() { c.w.Restart(c.nodes[0]) })
			if tc.cutLink {
				c.w.Schedule(3*time.Millisecond, "cut", func() { c.net.SetLink(0, 1, false) })
			}
			require.Nil(t, c.w.Run())
			require.Zero(t, o.times, "the crashed instance's callback ran in its successor (at %v, ok=%v)", o.at, o.ok)
		})
	}
}

func TestCallerCrashCancelsCallback(t *testing.T) {
	c := newCluster(12, 2, func(i int, ep *netsim.Endpoint) { ep.Handle("Echo", echo) })
	c.net.SetConditions(netsim.Conditions{DelayMin: 10 * time.Millisecond, DelayMax: 10 * time.Millisecond, FailDelay: netsim.ShortFailDelay})
	o := c.call(0, 1, "Echo", &msg{})
	c.w.Schedule(time.Millisecond, "crash caller", func() { c.w.Crash(c.nodes[0]) })
	require.Nil(t, c.w.Run())
	require.Zero(t, o.times)
}

func TestCallToPausedServer(t *testing.T) {
	t.Run("delivered after resume", func(t *testing.T) {
		var handledAt []time.Duration
		c := newCluster(13, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
				handledAt = append(handledAt, ep.Node().World().Now())
				echo(req, respond)
			})
		})
		c.w.Pause(c.nodes[1])
		o := c.call(0, 1, "Echo", &msg{})
		c.w.Schedule(time.Second, "resume", func() { c.w.Resume(c.nodes[1]) })
		require.Nil(t, c.w.Run())
		require.Equal(t, []time.Duration{time.Second}, handledAt)
		require.True(t, o.ok)
		require.Equal(t, time.Second, o.at)
	})
	t.Run("crash while paused fails the call", func(t *testing.T) {
		handled := 0
		c := newCluster(14, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) { handled++; echo(req, respond) })
		})
		c.w.Pause(c.nodes[1])
		o := c.call(0, 1, "Echo", &msg{})
		c.w.Schedule(250*time.Millisecond, "crash", func() { c.w.Crash(c.nodes[1]) })
		c.w.Schedule(260*time.Millisecond, "restart", func() { c.w.Restart(c.nodes[1]) })
		require.Nil(t, c.w.Run())
		require.Zero(t, handled)
		require.Equal(t, 1, o.times)
		require.False(t, o.ok)
		require.Equal(t, 300*time.Millisecond, o.at)
	})
}

func TestCallProc(t *testing.T) {
	c := newCluster(15, 3, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", echo)
		ep.Handle("Block", func(*netsim.Request, func(netsim.Message)) {})
	})
	c.net.SetConditions(netsim.Conditions{DelayMin: 3 * time.Millisecond, DelayMax: 3 * time.Millisecond, FailDelay: netsim.ShortFailDelay})
	c.net.Disconnect(2)
	type result struct {
		reply any
		ok    bool
		at    time.Duration
	}
	var results []result
	c.w.Spawn(c.nodes[0], "client", func(p *sim.Proc) {
		record := func(reply any, ok bool) { results = append(results, result{reply, ok, p.Now()}) }
		record(c.eps[0].CallProc(p, 1, "Echo", &msg{ID: 5}, 0))
		record(c.eps[0].CallProc(p, 1, "Block", &msg{}, 50*time.Millisecond))
		record(c.eps[0].CallProc(p, 2, "Echo", &msg{}, 0))
		record(c.eps[0].CallProc(p, 1, "Echo", &msg{ID: 6}, time.Second))
	})
	require.Nil(t, c.w.Run())
	require.Len(t, results, 4)
	// The delay is one-way, on the request, as in labrpc: replies are instant.
	require.Equal(t, result{&msg{ID: 5}, true, 3 * time.Millisecond}, results[0])
	require.Equal(t, result{nil, false, 53 * time.Millisecond}, results[1], "timeout")
	require.False(t, results[2].ok, "disconnected")
	require.Less(t, results[2].at-results[1].at, netsim.ShortFailDelay)
	require.Equal(t, &msg{ID: 6}, results[3].reply)
	require.True(t, results[3].ok, "a late answer of the timed-out call does not leak into the next one")
	require.Equal(t, results[2].at+3*time.Millisecond, results[3].at)
}

// TestCallProcsOfOneNodeOverlap: processes of one node whose calls overlap, the later
// answered first, each get their own reply, round after round, as the endpoint reuses
// the waiters of finished calls (one kept apart, the others in a list).
func TestCallProcsOfOneNodeOverlap(t *testing.T) {
	var c *cluster
	c = newCluster(18, 2, func(i int, ep *netsim.Endpoint) {
		// Answers after as many milliseconds as the request's ID.
		ep.Handle("Later", func(req *netsim.Request, respond func(netsim.Message)) {
			m := req.Args.(*msg)
			c.nodes[i].After(time.Duration(m.ID)*time.Millisecond, "answer", func() { respond(m) })
		})
	})
	const procs, rounds = 3, 4
	got := make([][]int, procs)
	for k := range procs {
		c.w.Spawn(c.nodes[0], "client "+strconv.Itoa(k), func(p *sim.Proc) {
			for r := range rounds {
				id := 10*(procs-k) + r // the first process waits longest
				reply, ok := c.eps[0].CallProc(p, 1, "Later", &msg{ID: id}, 0)
				require.True(t, ok)
				got[k] = append(got[k], reply.(*msg).ID)
				p.Sleep(time.Duration(k) * time.Millisecond) // the next round's calls overlap differently
			}
		})
	}
	require.Nil(t, c.w.Run())
	for k := range procs {
		want := make([]int, rounds)
		for r := range want {
			want[r] = 10*(procs-k) + r
		}
		require.Equal(t, want, got[k], "process %d", k)
	}
}

// TestRecycledRequests: a handler registered with HandleRequestRecycled is
// handed, call after call, the Request it responded to last, and each call
// still gets its own reply (a second Respond, once the Request is given
// back, is ignored); a HandleRequest handler's Requests are all its own,
// never handed out again.
func TestRecycledRequests(t *testing.T) {
	seen := map[string][]*netsim.Request{}
	c := newCluster(19, 2, func(i int, ep *netsim.Endpoint) {
		ep.HandleRequestRecycled("Recycled", func(req *netsim.Request) {
			seen["Recycled"] = append(seen["Recycled"], req)
			req.Respond(req.Args.(*msg))
			req.Respond(&msg{ID: -1})
		})
		ep.HandleRequest("Kept", func(req *netsim.Request) {
			seen["Kept"] = append(seen["Kept"], req)
			req.Respond(req.Args.(*msg))
		})
	})
	var replies []int
	c.w.Spawn(c.nodes[0], "client", func(p *sim.Proc) {
		for _, method := range []string{"Recycled", "Kept"} {
			for id := range 3 {
				reply, ok := c.eps[0].CallProc(p, 1, method, &msg{ID: id}, 0)
				require.True(t, ok)
				replies = append(replies, reply.(*msg).ID)
			}
		}
	})
	require.Nil(t, c.w.Run())
	require.Equal(t, []int{0, 1, 2, 0, 1, 2}, replies)
	require.Len(t, seen["Recycled"], 3)
	require.Same(t, seen["Recycled"][0], seen["Recycled"][1])
	require.Same(t, seen["Recycled"][0], seen["Recycled"][2])
	kept := seen["Kept"]
	require.Len(t, kept, 3)
	require.True(t, kept[0] != kept[1] && kept[1] != kept[2] && kept[0] != kept[2], "a kept Request handed out again")
}

func TestMissingHandlerIsAFailure(t *testing.T) {
	c := newCluster(16, 2, nil)
	c.call(0, 1, "Nope", &msg{})
	f := c.w.Run()
	require.NotNil(t, f)
	require.Equal(t, "panic", f.Check)
	require.Contains(t, f.Error(), `no handler for "Nope"`)
}

func TestHandlersArePerInstance(t *testing.T) {
	c := newCluster(17, 2, nil)
	c.eps[1].Handle("Echo", echo) // registered by hand, not by boot
	first := c.call(0, 1, "Echo", &msg{})
	c.w.Schedule(time.Second, "crash and restart", func() {
		require.True(t, first.ok)
		c.w.Crash(c.nodes[1])
		c.w.Restart(c.nodes[1]) // boot registers nothing: the old handler is gone
		c.call(0, 1, "Echo", &msg{})
	})
	f := c.w.Run()
	require.NotNil(t, f)
	require.Contains(t, f.Error(), "no handler")
}

func TestAttachTwicePanics(t *testing.T) {
	c := newCluster(1, 1, nil)
	require.Panics(t, func() { c.net.Attach(c.nodes[0]) })
}

func TestSetReliableKeepsFailDelayAndReordering(t *testing.T) {
	c := newCluster(1, 1, nil)
	c.net.SetConditions(netsim.Reliable().WithLongDelays())
	c.net.SetLongReordering(true)
	cond := c.net.Conditions()
	cond.LongDelayRequest, cond.LateDuplicate = 0.25, 0.5
	c.net.SetConditions(cond)
	c.net.SetReliable(false)
	got := c.net.Conditions()
	require.Equal(t, netsim.LongFailDelay, got.FailDelay)
	require.True(t, got.LongReordering)
	require.Equal(t, 0.25, got.LongDelayRequest)
	require.Equal(t, 0.5, got.LateDuplicate)
	require.Equal(t, netsim.UnreliableDrop, got.DropRequest)
	c.net.SetReliable(true)
	got = c.net.Conditions()
	require.Zero(t, got.DropRequest)
	require.Zero(t, got.DropReply)
	require.Equal(t, netsim.LongFailDelay, got.FailDelay)
}

// TestKeptRequestsAreTheHandlersOwn holds every request and responds only
// after the network has delivered all copies: each delivery, duplicates
// included, hands the handler a Request of its own that later deliveries do
// not overwrite, and each respond works once.
func TestKeptRequestsAreTheHandlersOwn(t *testing.T) {
	type held struct {
		req     *netsim.Request
		respond func(netsim.Message)
	}
	var kept []held
	c := newCluster(9, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Keep", func(req *netsim.Request, respond func(netsim.Message)) {
			kept = append(kept, held{req, respond})
		})
	})
	c.net.SetConditions(netsim.Conditions{Duplicate: 1, DelayMax: 5 * time.Millisecond, FailDelay: netsim.ShortFailDelay})
	var outs []*outcome
	for i := 0; i < 5; i++ {
		outs = append(outs, c.call(0, 1, "Keep", &msg{ID: i}))
	}
	c.w.Schedule(time.Second, "answer", func() {
		for _, h := range kept {
			h.respond(&msg{ID: 100 + h.req.Args.(*msg).ID})
			h.respond(&msg{ID: -1}) // ignored
		}
	})
	require.Nil(t, c.w.Run())
	require.Len(t, kept, 10)
	seen := map[int]int{}
	for i, h := range kept {
		require.Equal(t, 0, h.req.From)
		require.Equal(t, "Keep", h.req.Method())
		seen[h.req.Args.(*msg).ID]++
		for _, o := range kept[:i] {
			require.NotSame(t, o.req, h.req)
			require.NotSame(t, o.req.Args, h.req.Args)
		}
	}
	require.Equal(t, map[int]int{0: 2, 1: 2, 2: 2, 3: 2, 4: 2}, seen)
	for i, o := range outs {
		require.Equal(t, 1, o.times)
		require.True(t, o.ok)
		require.Equal(t, 100+i, o.reply.ID)
	}
	require.Equal(t, 5, c.net.Stats().Replies)
}

// TestStaleRespondAfterReuse: the network reuses the records of finished
// calls, so a handler that keeps a Request and its respond function after
// responding must still see its own request, and a late second respond must
// not reach the call that now uses the record.
func TestStaleRespondAfterReuse(t *testing.T) {
	type held struct {
		req     *netsim.Request
		respond func(netsim.Message)
	}
	var kept []held
	c := newCluster(10, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Keep", func(req *netsim.Request, respond func(netsim.Message)) {
			kept = append(kept, held{req, respond})
			if req.Args.(*msg).ID%2 == 0 {
				respond(&msg{ID: 100 + req.Args.(*msg).ID}) // odd calls wait
			}
			// A stale respond of every earlier call, whose record the
			// current call may be reusing.
			for _, h := range kept[:len(kept)-1] {
				h.respond(&msg{ID: -1})
			}
		})
	})
	outs := callKeepInTurn(t, c)
	for i := range outs {
		require.Equal(t, i, kept[i].req.Args.(*msg).ID)
	}
	requireEvenAnsweredOddTimedOut(t, outs)
}

// callKeepInTurn calls "Keep" on endpoint 1 six times, each call once the
// previous one returned (so each may reuse the previous call's record), and
// returns what each caller was told.
func callKeepInTurn(t *testing.T, c *cluster) []*outcome {
	var outs []*outcome
	var next func(i int)
	next = func(i int) {
		if i == 6 {
			return
		}
		o := &outcome{}
		outs = append(outs, o)
		c.eps[0].CallTimeout(1, "Keep", &msg{ID: i}, time.Second, func(reply any, ok bool) {
			o.times++
			o.ok = ok
			if reply != nil {
				o.reply = reply.(*msg)
			}
			next(i + 1)
		})
	}
	next(0)
	require.Nil(t, c.w.Run())
	require.Len(t, outs, 6)
	return outs
}

// requireEvenAnsweredOddTimedOut: each call was told once; an even call got
// its own answer, and an odd one, whose handler never responded and which no
// stale respond of an earlier call reached, timed out.
func requireEvenAnsweredOddTimedOut(t *testing.T, outs []*outcome) {
	for i, o := range outs {
		require.Equal(t, 1, o.times)
		if i%2 == 1 {
			require.False(t, o.ok)
			require.Nil(t, o.reply)
			continue
		}
		require.True(t, o.ok)
		require.Equal(t, 100+i, o.reply.ID)
	}
}

// TestStaleRequestRespondAfterReuse is TestStaleRespondAfterReuse for a
// RequestHandler: a kept Request's Respond reaches its own call only.
func TestStaleRequestRespondAfterReuse(t *testing.T) {
	var kept []*netsim.Request
	c := newCluster(10, 2, func(i int, ep *netsim.Endpoint) {
		ep.HandleRequest("Keep", func(req *netsim.Request) {
			kept = append(kept, req)
			if req.Args.(*msg).ID%2 == 0 {
				req.Respond(&msg{ID: 100 + req.Args.(*msg).ID}) // odd calls wait
			}
			for _, r := range kept[:len(kept)-1] {
				r.Respond(&msg{ID: -1})
			}
		})
	})
	outs := callKeepInTurn(t, c)
	for i := range outs {
		require.Equal(t, i, kept[i].Args.(*msg).ID)
	}
	requireEvenAnsweredOddTimedOut(t, outs)
}

// TestKeptRequestsAcrossManyReuses: requests come from chunks and call
// records are reused many times over; every Request a handler kept, in
// whichever chunk, still holds its own call's arguments at the end, and
// calling every kept respond function again reaches no one.
func TestKeptRequestsAcrossManyReuses(t *testing.T) {
	type held struct {
		req     *netsim.Request
		respond func(netsim.Message)
	}
	var kept []held
	c := newCluster(23, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Keep", func(req *netsim.Request, respond func(netsim.Message)) {
			kept = append(kept, held{req, respond})
			respond(&msg{ID: 1000 + req.Args.(*msg).ID})
		})
	})
	c.net.SetConditions(netsim.Conditions{Duplicate: 0.5, DelayMax: time.Millisecond, FailDelay: netsim.ShortFailDelay})
	const calls = 300
	replies := map[int]int{}
	var next func(i int)
	next = func(i int) {
		if i == calls {
			return
		}
		c.eps[0].Call(1, "Keep", &msg{ID: i}, func(reply any, ok bool) {
			require.True(t, ok)
			replies[reply.(*msg).ID]++
			next(i + 1)
		})
	}
	next(0)
	c.w.Schedule(time.Hour-time.Second, "stale responds", func() {
		for _, h := range kept {
			h.respond(&msg{ID: -1})
		}
		next = func(int) {} // a stale reply reaching a caller would start no new call
	})
	require.Nil(t, c.w.Run())
	require.Greater(t, len(kept), calls, "no duplicates were delivered")
	count := map[int]int{}
	for _, h := range kept {
		count[h.req.Args.(*msg).ID]++
	}
	for i := 0; i < calls; i++ {
		require.Contains(t, []int{1, 2}, count[i], "call %d", i)
		require.Equal(t, 1, replies[1000+i], "call %d", i)
	}
	require.Len(t, replies, calls, "a stale respond reached a caller")
	require.Equal(t, calls, c.net.Stats().Replies)
}

// A process blocked in CallProc resumes inside the event that tells it the
// outcome (the reply's arrival, the failure, the timeout), not in a resume
// event of its own, and sees exactly what a process woken by a resume event
// sees: the same replies and verdicts at the same virtual times. Both runs
// make the same calls, on a lossy network, to a server that answers one
// method late (some calls time out first) and that crashes and restarts.
func TestCallProcResumesInTheOutcomesEvent(t *testing.T) {
	type seen struct {
		id    int
		ok    bool
		at    time.Duration
		event string // the label of the event the process resumed in
	}
	run := func(viaCallProc bool) ([]seen, uint64) {
		var current string
		trace := func(r sim.Record) {
			if r.Note == "" {
				current = r.Label
			}
		}
		c := newClusterWith(sim.Options{Seed: 21, MaxTime: time.Hour, Trace: trace}, 2, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Echo", echo)
			ep.Handle("Slow", func(req *netsim.Request, respond func(netsim.Message)) {
				ep.Node().After(40*time.Millisecond, "answer", func() { respond(req.Args.(*msg)) })
			})
		})
		c.net.SetConditions(netsim.Unreliable())
		c.w.Schedule(400*time.Millisecond, "crash", func() { c.w.Crash(c.nodes[1]) })
		c.w.Schedule(700*time.Millisecond, "restart", func() { c.w.Restart(c.nodes[1]) })
		var got []seen
		ep := c.eps[0]
		c.w.Spawn(c.nodes[0], "client", func(p *sim.Proc) {
			for i := 1; i <= 80; i++ {
				method, timeout := "Echo", time.Duration(0)
				if i%3 == 0 {
					method, timeout = "Slow", time.Duration(20+i%2*40)*time.Millisecond
				}
				var reply any
				var ok bool
				if viaCallProc {
					reply, ok = ep.CallProc(p, 1, method, &msg{ID: i}, timeout)
				} else {
					p.Suspend("reply", func(resume func()) {
						ep.CallTimeout(1, method, &msg{ID: i}, timeout, func(r any, k bool) { reply, ok = r, k; resume() })
					})
				}
				s := seen{ok: ok, at: p.Now(), event: current}
				if ok {
					s.id = reply.(*msg).ID
					if s.id != i {
						s.id = -s.id // checked below: every reply is to its own call
					}
				}
				got = append(got, s)
			}
		})
		require.Nil(t, c.w.Run())
		return got, c.w.Events()
	}
	direct, directEvents := run(true)
	resumed, resumedEvents := run(false)
	require.Len(t, direct, 80)
	require.Len(t, resumed, 80)
	var oks, fails, timeouts int
	for i := range direct {
		d, r := direct[i], resumed[i]
		require.Equal(t, "resume client", r.event)
		require.Contains(t, []string{"rep Echo", "rep Slow", "fail Echo", "fail Slow", "timeout Slow"}, d.event, "call %d", i+1)
		require.Equal(t, seen{r.id, r.ok, r.at, d.event}, d, "call %d", i+1)
		if d.ok {
			require.Equal(t, i+1, d.id)
			oks++
		} else if d.event == "timeout Slow" {
			timeouts++
		} else {
			fails++
		}
	}
	require.Positive(t, oks)
	require.Positive(t, fails)
	require.Positive(t, timeouts)
	require.Equal(t, resumedEvents-80, directEvents, "one event fewer per call")
}
