package netsim_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// timing is when one call's request reached the handler and its reply the
// caller, measured from the send.
type timing struct{ there, back time.Duration }

// roundTrips sends calls from node 0 to nodes 1 and 2 on a network made with
// opts, one every 10 ms, and returns their timings per target.
func roundTrips(t *testing.T, seed uint64, calls int, opts ...netsim.Option) map[int][]timing {
	t.Helper()
	w := sim.NewWorld(sim.Options{Seed: seed})
	net := netsim.New(w, opts...)
	var eps []*netsim.Endpoint
	for i := 0; i < 3; i++ {
		n := w.AddNode(fmt.Sprint("n", i), func(*sim.Node) {})
		eps = append(eps, net.Attach(n))
		w.Start(n)
	}
	arrived := map[int]time.Duration{}
	for i := 1; i < 3; i++ {
		eps[i].Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
			arrived[req.Args.(*msg).ID] = w.Now()
			echo(req, respond)
		})
	}
	out := map[int][]timing{}
	for k := 0; k < calls; k++ {
		sent := time.Duration(k) * 10 * time.Millisecond
		w.Schedule(sent, "send", func() {
			for to := 1; to < 3; to++ {
				id := k*10 + to
				eps[0].Call(to, "Echo", &msg{ID: id}, func(_ any, ok bool) {
					require.True(t, ok, "a call failed on a network without faults")
					out[to] = append(out[to], timing{arrived[id] - sent, w.Now() - arrived[id]})
				})
			}
		})
	}
	require.Nil(t, w.Run())
	return out
}

// The default network delays every message, request and reply, by its
// link's base plus jitter: within Datacenter's bounds, never zero, with a
// base of its own per directed link.
func TestDefaultNetworkDelaysMessages(t *testing.T) {
	lat := netsim.Datacenter()
	ceiling := lat.BaseMax + time.Duration(40*float64(lat.Jitter)) + lat.TailMax
	got := roundTrips(t, 1, 400)
	for to := 1; to < 3; to++ {
		require.Len(t, got[to], 400)
		minThere, minBack := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
		var slow int
		for _, tm := range got[to] {
			for _, d := range []time.Duration{tm.there, tm.back} {
				require.GreaterOrEqual(t, d, lat.BaseMin, "to node %d: a message faster than the fastest link", to)
				require.LessOrEqual(t, d, ceiling, "to node %d", to)
				if d >= lat.TailMin+lat.BaseMin {
					slow++
				}
			}
			minThere, minBack = min(minThere, tm.there), min(minBack, tm.back)
		}
		// Each link's fastest message is near its base: 400 exponential
		// jitters of mean 50 µs all above 5 µs happen with odds e^-40.
		require.LessOrEqual(t, minThere, lat.BaseMax+5*time.Microsecond)
		require.LessOrEqual(t, minBack, lat.BaseMax+5*time.Microsecond)
		// 800 messages at 1%: some slow ones, not most.
		require.Greater(t, slow, 0, "no message in the tail")
		require.Less(t, slow, 40)
		got[to] = append(got[to], timing{minThere, minBack})
	}
	// Bases differ per directed link (0->1, 1->0, 0->2, 2->0): four draws
	// from a 300 µs range do not agree to the microsecond.
	bases := map[time.Duration]bool{}
	for to := 1; to < 3; to++ {
		last := got[to][len(got[to])-1]
		bases[last.there.Truncate(time.Microsecond)] = true
		bases[last.back.Truncate(time.Microsecond)] = true
	}
	require.Len(t, bases, 4, "links share a base delay")
}

// labrpc's network, which the ported 6.824 scenarios ask for, takes no time.
func TestZeroDelayNetworkTakesNoTime(t *testing.T) {
	for _, opt := range []netsim.Option{netsim.ZeroDelay(), netsim.WithLatency(netsim.Latency{})} {
		got := roundTrips(t, 1, 50, opt)
		for to := 1; to < 3; to++ {
			require.Len(t, got[to], 50)
			for _, tm := range got[to] {
				require.Equal(t, timing{}, tm)
			}
		}
	}
}

// A latency model adds to Conditions' delays without changing the fates the
// calls draw: the same calls are lost with and without latency.
func TestLatencyKeepsFates(t *testing.T) {
	lost := func(opts ...netsim.Option) []int {
		w := sim.NewWorld(sim.Options{Seed: 7})
		net := netsim.New(w, opts...)
		a, b := w.AddNode("a", func(*sim.Node) {}), w.AddNode("b", func(*sim.Node) {})
		epa, epb := net.Attach(a), net.Attach(b)
		w.Start(a)
		w.Start(b)
		epb.Handle("Echo", echo)
		net.SetConditions(netsim.Unreliable())
		var out []int
		for i := 0; i < 300; i++ {
			epa.Call(b.ID, "Echo", &msg{ID: i}, func(_ any, ok bool) {
				if !ok {
					out = append(out, i)
				}
			})
		}
		require.Nil(t, w.Run())
		return out
	}
	without := lost(netsim.ZeroDelay())
	require.NotEmpty(t, without)
	require.ElementsMatch(t, without, lost())
}

func TestLatencyValidate(t *testing.T) {
	require.NoError(t, netsim.Datacenter().Validate())
	require.NoError(t, netsim.Latency{}.Validate())
	require.True(t, netsim.Latency{}.Zero())
	require.False(t, netsim.Datacenter().Zero())
	for _, tc := range []struct {
		l    netsim.Latency
		want string
	}{
		{netsim.Latency{BaseMin: 2, BaseMax: 1}, "latency BaseMax 1ns is below BaseMin 2ns"},
		{netsim.Latency{Jitter: -1}, "latency Jitter -1ns is not in [0, 1h0m0s]"},
		{netsim.Latency{TailMin: 2, TailMax: 1}, "latency TailMax 1ns is below TailMin 2ns"},
		{netsim.Latency{TailChance: math.NaN()}, "latency TailChance NaN is not a probability in [0, 1]"},
		{netsim.Latency{BaseMax: 2 * time.Hour}, "latency BaseMax 2h0m0s is not in [0, 1h0m0s]"},
	} {
		require.EqualError(t, tc.l.Validate(), tc.want)
		w := sim.NewWorld(sim.Options{Seed: 1})
		require.PanicsWithValue(t, "netsim: "+tc.want, func() { netsim.New(w, netsim.WithLatency(tc.l)) })
	}
}

func TestSetLatency(t *testing.T) {
	c := newCluster(3, 2, func(i int, ep *netsim.Endpoint) { ep.Handle("Echo", echo) })
	require.Equal(t, netsim.Latency{}, c.net.Latency())
	l := netsim.Latency{BaseMin: time.Millisecond, BaseMax: time.Millisecond}
	c.net.SetLatency(l)
	require.Equal(t, l, c.net.Latency())
	o := c.call(0, 1, "Echo", &msg{})
	require.Nil(t, c.w.Run())
	require.True(t, o.ok)
	require.Equal(t, 2*time.Millisecond, o.at, "one millisecond each way")
}

// On labrpc's network a request, its handling and its reply happen at one
// instant, so a crash never finds a message in flight to the node it
// crashes; with latency it does. Counted from the trace's drop marks.
func TestOnlyLatencyLeavesMessagesInFlightAtACrash(t *testing.T) {
	inFlight := func(opts ...netsim.Option) int {
		dropped := 0
		w := sim.NewWorld(sim.Options{Seed: 5, Trace: func(r sim.Record) {
			if m := r.Mark; m != nil && m.Kind == sim.MarkDrop && strings.HasSuffix(m.Text, ": receiver crashed") {
				dropped++
			}
		}})
		net := netsim.New(w, opts...)
		var nodes []*sim.Node
		for i := 0; i < 3; i++ {
			var ep *netsim.Endpoint
			node := w.AddNode(fmt.Sprint("n", i), func(node *sim.Node) {
				ep.Handle("Echo", echo)
				r := node.Rand("calls")
				var next func()
				next = func() {
					if w.Now() < 2*time.Second {
						ep.Call((node.ID+1+r.IntN(2))%3, "Echo", &msg{}, func(any, bool) {})
						node.After(r.Duration(time.Millisecond, 3*time.Millisecond), "next call", next)
					}
				}
				next()
			})
			ep = net.Attach(node)
			nodes = append(nodes, node)
		}
		for _, n := range nodes {
			w.Start(n)
		}
		r := sim.NewRand(9)
		for k := 0; k < 40; k++ {
			n := nodes[r.IntN(3)]
			at := r.Duration(0, 2*time.Second)
			w.Schedule(at, "crash", func() { w.Crash(n) })
			w.Schedule(at+5*time.Millisecond, "restart", func() { w.Restart(n) })
		}
		require.Nil(t, w.Run())
		return dropped
	}
	require.Zero(t, inFlight(netsim.ZeroDelay()))
	require.Greater(t, inFlight(), 0)
}
