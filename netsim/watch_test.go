package netsim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// watchCluster is newCluster whose world counts its events by label.
func watchCluster(seed uint64, boot func(i int, ep *netsim.Endpoint)) (*cluster, map[string]int) {
	labels := map[string]int{}
	c := &cluster{w: sim.NewWorld(sim.Options{Seed: seed, MaxTime: time.Hour,
		OnEvent: func(r sim.Record) { labels[strings.SplitN(r.Label, " ", 2)[0]]++ }})}
	c.net = netsim.New(c.w, netsim.ZeroDelay())
	for i := 0; i < 2; i++ {
		node := c.w.AddNode(fmt.Sprint("n", i), func(*sim.Node) { boot(i, c.eps[i]) })
		c.nodes = append(c.nodes, node)
		c.eps = append(c.eps, c.net.Attach(node))
	}
	for _, node := range c.nodes {
		c.w.Start(node)
	}
	return c, labels
}

// TestAnsweredCallSchedulesNoPoll: a handler that answers later (as a Raft
// follower answers once its append is synced) costs no event beyond the
// request, its own answer and the reply, however long it takes, as long as
// its server stays up and reachable. The network used to poll each such call
// every 100 ms, which was 18% of kv/Concurrent3A's events.
func TestAnsweredCallSchedulesNoPoll(t *testing.T) {
	for _, wait := range []time.Duration{time.Millisecond, 100 * time.Millisecond, 350 * time.Millisecond} {
		c, labels := watchCluster(20, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Later", func(req *netsim.Request, respond func(netsim.Message)) {
				ep.Node().After(wait, "answer", func() { respond(req.Args.(*msg)) })
			})
		})
		var outs []*outcome
		for k := 0; k < 5; k++ {
			outs = append(outs, c.call(0, 1, "Later", &msg{ID: k}))
		}
		require.Nil(t, c.w.Run())
		for k, o := range outs {
			require.True(t, o.ok)
			require.Equal(t, k, o.reply.ID)
			require.Equal(t, wait, o.at)
		}
		require.Equal(t, map[string]int{"req": 5, "answer": 5, "rep": 5}, labels, "wait %v", wait)
	}
}

// TestCutAndHealBetweenPollsKeepsTheCall: like labrpc's poll, the check a
// cut schedules looks at the link when the poll would have: a link that went
// down and came back up in between does not fail the call.
func TestCutAndHealBetweenPollsKeepsTheCall(t *testing.T) {
	c, labels := watchCluster(21, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Later", func(req *netsim.Request, respond func(netsim.Message)) {
			ep.Node().After(time.Second, "answer", func() { respond(req.Args.(*msg)) })
		})
	})
	o := c.call(0, 1, "Later", &msg{ID: 3})
	c.w.Schedule(210*time.Millisecond, "cut", func() { c.net.SetLink(0, 1, false) })
	c.w.Schedule(220*time.Millisecond, "cut again", func() { c.net.Disconnect(1) })
	c.w.Schedule(290*time.Millisecond, "heal", func() { c.net.Heal() })
	require.Nil(t, c.w.Run())
	require.True(t, o.ok)
	require.Equal(t, time.Second, o.at)
	require.Equal(t, 1, labels["poll"], "one check at 300 ms for the two cuts")
}

// TestCrashFailsEveryWaitingCallAtItsNextPoll: each call waiting on a server
// that crashes fails at its own next multiple of ServerDeadPoll since its
// handler began, calls that were answered are untouched, and calls whose
// caller gave up are not reported again.
func TestCrashFailsEveryWaitingCallAtItsNextPoll(t *testing.T) {
	c, _ := watchCluster(22, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Block", func(*netsim.Request, func(netsim.Message)) {})
		ep.Handle("Echo", echo)
	})
	starts := []time.Duration{0, 30 * time.Millisecond, 160 * time.Millisecond}
	var blocked []*outcome
	for _, at := range starts {
		o := &outcome{}
		blocked = append(blocked, o)
		c.w.Schedule(at, "call", func() {
			c.eps[0].Call(1, "Block", &msg{}, func(_ any, ok bool) { o.times++; o.ok, o.at = ok, c.w.Now() })
		})
	}
	gaveUp := 0
	c.w.Schedule(0, "call", func() {
		c.eps[0].CallTimeout(1, "Block", &msg{}, 50*time.Millisecond, func(_ any, ok bool) {
			require.False(t, ok)
			gaveUp++
		})
	})
	answered := c.call(0, 1, "Echo", &msg{ID: 9})
	c.w.Schedule(250*time.Millisecond, "crash", func() { c.w.Crash(c.nodes[1]) })
	require.Nil(t, c.w.Run())
	for k, want := range []time.Duration{300 * time.Millisecond, 330 * time.Millisecond, 260 * time.Millisecond} {
		require.Equal(t, 1, blocked[k].times)
		require.False(t, blocked[k].ok)
		require.Equal(t, want, blocked[k].at, "call started at %v", starts[k])
	}
	require.Equal(t, 1, gaveUp)
	require.Equal(t, 1, answered.times)
	require.True(t, answered.ok)
}
