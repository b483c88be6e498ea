package netsim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
)

// TestCounts is labrpc's TestCounts: 17 RPCs to one server, GetCount == 17.
func TestCounts(t *testing.T) {
	c := newCluster(1, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("JunkServer.Handler2", func(req *netsim.Request, respond func(netsim.Message)) {
			respond(&msg{ID: req.Args.(*msg).ID, Data: []byte("handler2")})
		})
	})
	var outs []*outcome
	for i := 0; i < 17; i++ {
		outs = append(outs, c.call(0, 1, "JunkServer.Handler2", &msg{ID: i}))
	}
	require.Nil(t, c.w.Run())
	for i, o := range outs {
		require.True(t, o.ok)
		require.Equal(t, i, o.reply.ID)
	}
	s := c.net.Stats()
	require.Equal(t, 17, s.ServerCount(1))
	require.Equal(t, 0, s.ServerCount(0))
	require.Equal(t, 0, s.ServerCount(99))
	require.Equal(t, 17, s.Calls)
	require.Equal(t, 17, s.Delivered)
	require.Equal(t, 17, s.Replies)
	require.Equal(t, 17, s.Method("JunkServer.Handler2"))
	require.Equal(t, []string{"JunkServer.Handler2"}, s.Methods())
	calls, bytes := s.SentBy(0)
	require.Equal(t, 17, calls)
	require.Equal(t, 17*8, bytes)
	calls, bytes = s.SentBy(5)
	require.Zero(t, calls)
	require.Zero(t, bytes)
}

// TestBytes follows labrpc's TestBytes: request bytes count at send, reply
// bytes when the reply is delivered. Sizes here are exact (Size()), so the
// totals are too, and fall in labrpc's bounds.
func TestBytes(t *testing.T) {
	c := newCluster(1, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Handler6", func(req *netsim.Request, respond func(netsim.Message)) {
			respond(&msg{ID: len(req.Args.(*msg).Data)}) // 8 bytes
		})
		ep.Handle("Handler7", func(req *netsim.Request, respond func(netsim.Message)) {
			respond(&msg{Data: []byte(strings.Repeat("y", req.Args.(*msg).ID))}) // 8+107 bytes
		})
	})
	var n1, n2 int
	var outs []*outcome
	for i := 0; i < 17; i++ {
		outs = append(outs, c.call(0, 1, "Handler6", &msg{Data: []byte(strings.Repeat("x", 276))})) // 284 bytes
	}
	c.w.Schedule(time.Second, "phase 2", func() {
		n1 = c.net.Stats().Bytes
		for i := 0; i < 19; i++ {
			outs = append(outs, c.call(0, 1, "Handler7", &msg{ID: 107})) // 8 bytes
		}
	})
	require.Nil(t, c.w.Run())
	n2 = c.net.Stats().Bytes - n1
	for i, o := range outs {
		require.True(t, o.ok)
		if i < 17 {
			require.Equal(t, 276, o.reply.ID)
		} else {
			require.Len(t, o.reply.Data, 107)
		}
	}
	require.Equal(t, 17*284+17*8, n1)
	require.True(t, n1 >= 4828 && n1 <= 6000, "labrpc's bounds")
	require.Equal(t, 19*8+19*115, n2)
	require.True(t, n2 >= 1800 && n2 <= 2500, "labrpc's bounds")
}

func TestCountersAtSendDispatchAndDelivery(t *testing.T) {
	var held []func(netsim.Message)
	c := newCluster(2, 3, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", echo)
		ep.Handle("Hold", func(req *netsim.Request, respond func(netsim.Message)) { held = append(held, respond) })
	})
	big := &msg{Data: make([]byte, 92)} // 100 bytes
	type snap struct {
		calls, bytes, server1, server2, replies int
	}
	var snaps []snap
	take := func() {
		s := c.net.Stats()
		snaps = append(snaps, snap{s.Calls, s.Bytes, s.ServerCount(1), s.ServerCount(2), s.Replies})
	}
	c.net.SetLink(0, 2, false)
	// At 0: one call over the cut link: counted and its bytes too, never
	// dispatched.
	cut := c.call(0, 2, "Echo", big)
	c.w.Schedule(time.Second, "snap", take)
	// At 1 s: a call whose reply is dropped: dispatched, reply bytes never
	// counted.
	c.w.Schedule(time.Second+1, "dropped reply", func() {
		c.net.SetConditions(netsim.Conditions{DropReply: 1, FailDelay: netsim.ShortFailDelay})
		c.call(0, 1, "Echo", big)
	})
	c.w.Schedule(2*time.Second, "snap", take)
	// At 2 s: a call whose handler answers only at 3 s: its reply bytes
	// count once the reply is delivered, not at dispatch.
	c.w.Schedule(2*time.Second+1, "held", func() {
		c.net.SetConditions(netsim.Reliable())
		c.call(0, 1, "Hold", big)
	})
	c.w.Schedule(2*time.Second+2, "snap", take)
	c.w.Schedule(3*time.Second, "answer", func() { held[0](&msg{Data: make([]byte, 42)}) }) // 50 bytes
	c.w.Schedule(4*time.Second, "snap", take)
	require.Nil(t, c.w.Run())
	require.False(t, cut.ok)
	require.Equal(t, []snap{
		{calls: 1, bytes: 100},
		{calls: 2, bytes: 200, server1: 1},
		{calls: 3, bytes: 300, server1: 2},
		{calls: 3, bytes: 350, server1: 2, replies: 1},
	}, snaps)
}

func TestStatsSnapshotIsACopy(t *testing.T) {
	c := newCluster(1, 2, func(i int, ep *netsim.Endpoint) { ep.Handle("Echo", echo) })
	c.call(0, 1, "Echo", &msg{})
	c.w.Schedule(time.Second, "second", func() { c.call(0, 1, "Echo", &msg{}) })
	var first netsim.Stats
	c.w.Schedule(time.Millisecond, "snap", func() { first = c.net.Stats() })
	require.Nil(t, c.w.Run())
	require.Equal(t, 1, first.ServerCount(1))
	require.Equal(t, 1, first.Method("Echo"))
	calls, _ := first.SentBy(0)
	require.Equal(t, 1, calls)
	require.Equal(t, 2, c.net.Stats().ServerCount(1))
}
