package netsim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestDownNodeCannotSend: code of a crashed node that calls (here a world
// event acting for it, as a stale closure would) fails the run with the check
// "down-node", and the call is not sent.
func TestDownNodeCannotSend(t *testing.T) {
	handled := 0
	c := newCluster(21, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) { handled++; echo(req, respond) })
	})
	c.w.Crash(c.nodes[0])
	var o *outcome
	c.w.Schedule(time.Millisecond, "stale send", func() { o = c.call(0, 1, "Echo", &msg{ID: 1}) })
	f := c.w.Run()
	require.NotNil(t, f, "a crashed node sent and the run passed")
	require.Equal(t, "down-node", f.Check)
	require.Equal(t, "n0", f.Node)
	require.Contains(t, f.Err.Error(), "send Echo to node 1")
	require.Zero(t, handled)
	require.Zero(t, o.times)
	require.Zero(t, c.net.Stats().Calls, "the call was counted as sent")
}

// dmsg is a message that digests its contents.
type dmsg struct{ V string }

func (m *dmsg) Size() int      { return 8 }
func (m *dmsg) Clone() any     { return &dmsg{V: m.V} }
func (m *dmsg) Digest() uint64 { return sim.HashBytes([]byte(m.V)) }

var _ netsim.Digester = (*dmsg)(nil)

// hashOfExchange runs one call carrying args, answered with reply, and
// returns the run's trace hash.
func hashOfExchange(args, reply netsim.Message) uint64 {
	c := newCluster(22, 2, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Put", func(req *netsim.Request, respond func(netsim.Message)) { respond(reply) })
	})
	c.eps[0].Call(1, "Put", args, func(any, bool) {})
	if f := c.w.Run(); f != nil {
		panic(f)
	}
	return c.w.Hash()
}

// TestTraceHashCoversPayloads: two runs that differ only in a value a
// request or a reply carries differ in trace hash; a message that cannot
// digest itself still contributes its size.
func TestTraceHashCoversPayloads(t *testing.T) {
	base := hashOfExchange(&dmsg{V: "x=1"}, &dmsg{V: "ok"})
	require.Equal(t, base, hashOfExchange(&dmsg{V: "x=1"}, &dmsg{V: "ok"}), "same contents, same hash")
	require.NotEqual(t, base, hashOfExchange(&dmsg{V: "x=2"}, &dmsg{V: "ok"}), "request payload not in the hash")
	require.NotEqual(t, base, hashOfExchange(&dmsg{V: "x=1"}, &dmsg{V: "no"}), "reply payload not in the hash")

	plain := hashOfExchange(&msg{Data: []byte("ab")}, &msg{})
	require.Equal(t, plain, hashOfExchange(&msg{Data: []byte("cd")}, &msg{}), "without Digest only the size counts")
	require.NotEqual(t, plain, hashOfExchange(&msg{Data: []byte("abc")}, &msg{}), "request size not in the hash")
	require.NotEqual(t, plain, hashOfExchange(&msg{Data: []byte("ab")}, &msg{Data: []byte("z")}), "reply size not in the hash")
}

// fate is what became of one call: when each copy of its request reached the
// handler, and what the caller was told when.
type fate struct {
	arrivals []time.Duration
	ok       bool
	at       time.Duration
	times    int
}

// stormyConditions turn on every fault a call's stream decides.
var stormyConditions = netsim.Conditions{DelayMin: time.Millisecond, DelayMax: 30 * time.Millisecond,
	DropRequest: 0.2, DropReply: 0.2, Duplicate: 0.3, LongReordering: true,
	LongDelayRequest: 0.2, LateDuplicate: 0.2, FailDelay: netsim.ShortFailDelay}

// fatesOn sends calls on a 4-node cluster: every 10 ms a call on each link of
// busy (from, to pairs), and returns the fates of the calls on link 0 -> 1,
// by the call's number on that link.
func fatesOn(t *testing.T, busy [][2]int) []*fate {
	var fates []*fate
	c := newCluster(23, 4, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
			if m := req.Args.(*msg); req.From == 0 && ep.ID() == 1 {
				fates[m.ID].arrivals = append(fates[m.ID].arrivals, ep.Node().World().Now())
			}
			echo(req, respond)
		})
	})
	c.net.SetConditions(stormyConditions)
	for k := 0; k < 200; k++ {
		c.w.Schedule(time.Duration(k)*10*time.Millisecond, "send", func() {
			for _, l := range busy {
				if l != [2]int{0, 1} {
					c.call(l[0], l[1], "Echo", &msg{ID: k})
					continue
				}
				f := &fate{}
				fates = append(fates, f)
				c.eps[0].Call(1, "Echo", &msg{ID: len(fates) - 1}, func(reply any, ok bool) {
					f.ok, f.at = ok, c.w.Now()
					f.times++
				})
			}
		})
	}
	require.Nil(t, c.w.Run())
	for _, f := range fates {
		slices.Sort(f.arrivals)
	}
	return fates
}

// TestFatesAreKeyedByLink: the loss, delay, duplication and long holds of
// the calls on one link are the same whatever traffic other links carry.
func TestFatesAreKeyedByLink(t *testing.T) {
	alone := fatesOn(t, [][2]int{{0, 1}})
	crowded := fatesOn(t, [][2]int{{2, 3}, {1, 0}, {0, 2}, {0, 1}, {3, 1}})
	require.Len(t, alone, 200)
	var dropped, dup, late int
	for i := range alone {
		require.Equal(t, alone[i], crowded[i], "call %d on 0->1 changed its fate with traffic on other links", i)
		if len(alone[i].arrivals) == 0 {
			dropped++
		}
		if len(alone[i].arrivals) > 1 {
			dup++
			if alone[i].arrivals[1]-alone[i].arrivals[0] >= 200*time.Millisecond {
				late++
			}
		}
	}
	// The comparison means something only if the fates vary.
	require.Positive(t, dropped)
	require.Positive(t, dup)
	require.Positive(t, late)
}

// TestRequestFaults: LongDelayRequest holds requests (of any method,
// InstallSnapshot included) for 200-2199 ms; LateDuplicate delivers a request
// again long after its first copy, the handler runs twice, and the caller
// hears one reply, the first.
func TestRequestFaults(t *testing.T) {
	for _, method := range []string{"AppendEntries", "InstallSnapshot"} {
		t.Run(method, func(t *testing.T) {
			var arrivals [][]time.Duration
			handled := 0
			c := newCluster(24, 2, func(i int, ep *netsim.Endpoint) {
				ep.Handle(method, func(req *netsim.Request, respond func(netsim.Message)) {
					handled++
					id := req.Args.(*msg).ID
					arrivals[id] = append(arrivals[id], ep.Node().World().Now())
					respond(&msg{ID: handled}) // each run of the handler answers differently
				})
			})
			c.net.SetConditions(netsim.Conditions{LongDelayRequest: 1, LateDuplicate: 1, FailDelay: netsim.ShortFailDelay})
			const calls = 300
			var outs []*outcome
			for i := 0; i < calls; i++ {
				arrivals = append(arrivals, nil)
				outs = append(outs, c.call(0, 1, method, &msg{ID: i}))
			}
			require.Nil(t, c.w.Run())
			require.Equal(t, 2*calls, handled, "every request runs twice")
			s := c.net.Stats()
			require.Equal(t, calls, s.Replies, "a second reply reached a caller")
			var spread []time.Duration
			for i, a := range arrivals {
				require.Len(t, a, 2)
				first, second := min(a[0], a[1]), max(a[0], a[1])
				require.GreaterOrEqual(t, first, 200*time.Millisecond, "call %d not held", i)
				require.Less(t, first, 2200*time.Millisecond)
				require.GreaterOrEqual(t, second-first, 0*time.Millisecond)
				require.Equal(t, 1, outs[i].times)
				require.True(t, outs[i].ok)
				require.Equal(t, first, outs[i].at, "the caller heard the first copy's reply")
				spread = append(spread, first)
			}
			slices.Sort(spread)
			require.Greater(t, spread[len(spread)-1]-spread[0], time.Second, "long delays are spread over their range")
		})
	}
}

// TestLateDuplicateAfterCallerMovedOn: the late copy's reply reaches no one
// when the caller timed out or crashed and restarted in the meantime.
func TestLateDuplicateAfterCallerMovedOn(t *testing.T) {
	handled := 0
	c := newCluster(25, 3, func(i int, ep *netsim.Endpoint) {
		ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) { handled++; echo(req, respond) })
	})
	c.net.SetConditions(netsim.Conditions{DelayMin: 50 * time.Millisecond, DelayMax: 50 * time.Millisecond,
		LateDuplicate: 1, FailDelay: netsim.ShortFailDelay})
	var timedOut []bool
	c.eps[0].CallTimeout(1, "Echo", &msg{ID: 1}, 10*time.Millisecond, func(reply any, ok bool) { timedOut = append(timedOut, ok) })
	crashed := c.call(2, 1, "Echo", &msg{ID: 2})
	c.w.Schedule(time.Millisecond, "crash caller", func() { c.w.Crash(c.nodes[2]) })
	c.w.Schedule(2*time.Millisecond, "restart caller", func() { c.w.Restart(c.nodes[2]) })
	require.Nil(t, c.w.Run())
	require.Equal(t, 4, handled, "both copies of both calls ran")
	require.Equal(t, []bool{false}, timedOut, "the timed-out call heard only its timeout")
	require.Zero(t, crashed.times, "a reply reached the restarted caller")
	require.Zero(t, c.net.Stats().Replies)
}

// TestDefaultConditionsHaveNoRequestFaults: the labrpc conditions the ported
// 6.824 scenarios run on hold and duplicate no requests.
func TestDefaultConditionsHaveNoRequestFaults(t *testing.T) {
	for _, c := range []netsim.Conditions{netsim.Reliable(), netsim.Unreliable(), netsim.Reliable().WithLongDelays()} {
		require.Zero(t, c.LongDelayRequest, "%+v", c)
		require.Zero(t, c.LateDuplicate, "%+v", c)
		require.Zero(t, c.Duplicate, "%+v", c)
	}
}

// TestConditionsValidate names the field that is out of bounds.
func TestConditionsValidate(t *testing.T) {
	require.NoError(t, netsim.Reliable().Validate())
	require.NoError(t, netsim.Unreliable().WithLongDelays().Validate())
	require.NoError(t, stormyConditions.Validate())
	nan := 0.0
	nan /= nan
	bad := []struct {
		field string
		set   func(c *netsim.Conditions)
	}{
		{"DelayMin", func(c *netsim.Conditions) { c.DelayMin = -time.Millisecond }},
		{"DelayMax", func(c *netsim.Conditions) { c.DelayMax = -time.Millisecond }},
		{"DelayMax", func(c *netsim.Conditions) { c.DelayMin, c.DelayMax = 5*time.Millisecond, time.Millisecond }},
		{"DelayMax", func(c *netsim.Conditions) { c.DelayMax = netsim.MaxDelay + 1 }},
		{"FailDelay", func(c *netsim.Conditions) { c.FailDelay = -1 }},
		{"FailDelay", func(c *netsim.Conditions) { c.FailDelay = 100 * time.Hour }},
		{"DropRequest", func(c *netsim.Conditions) { c.DropRequest = 7 }},
		{"DropRequest", func(c *netsim.Conditions) { c.DropRequest = -3 }},
		{"DropReply", func(c *netsim.Conditions) { c.DropReply = nan }},
		{"Duplicate", func(c *netsim.Conditions) { c.Duplicate = 1.5 }},
		{"LongDelayRequest", func(c *netsim.Conditions) { c.LongDelayRequest = -0.1 }},
		{"LateDuplicate", func(c *netsim.Conditions) { c.LateDuplicate = 2 }},
	}
	for _, b := range bad {
		c := netsim.Unreliable()
		b.set(&c)
		err := c.Validate()
		require.Error(t, err, b.field)
		require.Contains(t, err.Error(), b.field)
		require.NotContains(t, err.Error(), "\n")
	}
}
