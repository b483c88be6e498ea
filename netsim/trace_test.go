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

// traffic is a run that takes every path of the network: four nodes calling
// each other (and an address with no node) at random on an unreliable
// network with duplicates, late duplicates, long holds and long reordering,
// some handlers answering late, some calls with a timeout, through a
// partition, a one-way cut, a disconnect, a crash, a pause and a clock
// change. It returns the world after the run.
func traffic(t *testing.T, seed uint64, trace func(sim.Record)) *sim.World {
	t.Helper()
	w := sim.NewWorld(sim.Options{Seed: seed, Trace: trace})
	net := netsim.New(w)
	const n = 4
	eps := make([]*netsim.Endpoint, n)
	nodes := make([]*sim.Node, n)
	for i := 0; i < n; i++ {
		nodes[i] = w.AddNode(fmt.Sprint("n", i), func(node *sim.Node) {
			r := node.Rand("traffic")
			ep := eps[node.ID]
			ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
				if r.Chance(0.3) {
					node.After(50*time.Millisecond, "late answer", func() { respond(req.Args.(*msg)) })
					return
				}
				respond(req.Args.(*msg))
			})
			var next func()
			k := 0
			next = func() {
				if w.Now() > 2*time.Second {
					return
				}
				to := r.IntN(n + 1)
				if to == n {
					to = 9 // no node there
				}
				k++
				timeout := time.Duration(0)
				if r.Chance(0.2) {
					timeout = 30 * time.Millisecond
				}
				ep.CallTimeout(to, "Echo", &msg{ID: node.ID*1000 + k, Data: []byte("abc")}, timeout, func(any, bool) {})
				node.After(r.Duration(5*time.Millisecond, 25*time.Millisecond), "next call", next)
			}
			node.After(0, "next call", next)
		})
		eps[i] = net.Attach(nodes[i])
	}
	for _, node := range nodes {
		w.Start(node)
	}
	c := netsim.Unreliable()
	c.Duplicate, c.LateDuplicate, c.LongDelayRequest, c.LongReordering = 0.2, 0.1, 0.1, true
	net.SetConditions(c)
	at := func(d time.Duration, label string, f func()) { w.Schedule(d, label, f) }
	at(300*time.Millisecond, "partition", func() { net.Partition([]int{0, 1}, []int{2, 3}) })
	at(500*time.Millisecond, "heal", net.Heal)
	at(600*time.Millisecond, "cut", func() { net.SetLink(0, 1, false) })
	at(700*time.Millisecond, "uncut", func() { net.SetLink(0, 1, true) })
	at(800*time.Millisecond, "disconnect", func() { net.Disconnect(2) })
	at(900*time.Millisecond, "connect", func() { net.Connect(2, nil) })
	at(time.Second, "crash", func() { w.Crash(nodes[3]) })
	at(1100*time.Millisecond, "restart", func() { w.Restart(nodes[3]) })
	at(1200*time.Millisecond, "pause", func() { w.Pause(nodes[1]) })
	at(1400*time.Millisecond, "resume", func() { w.Resume(nodes[1]) })
	at(1500*time.Millisecond, "clock", func() { nodes[0].SetClock(time.Second, 0.01) })
	require.Nil(t, w.Run())
	return w
}

// Tracing builds marks and notes only: a traced run is the run it traces,
// event for event and hash for hash.
func TestTracingChangesNoHash(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		lines := 0
		traced := traffic(t, seed, func(sim.Record) { lines++ })
		plain := traffic(t, seed, nil)
		require.Equal(t, plain.Hash(), traced.Hash(), "seed %d", seed)
		require.Equal(t, plain.Events(), traced.Events(), "seed %d", seed)
		require.Greater(t, uint64(lines), traced.Events(), "seed %d: the trace has notes", seed)
	}
}

// Every message has one send mark and then exactly one deliver or drop mark
// with its ID, naming the right nodes; every cut has its heal.
func TestMessageAndPartitionMarks(t *testing.T) {
	var marks []sim.Mark
	traffic(t, 1, func(r sim.Record) {
		if r.Mark != nil {
			marks = append(marks, *r.Mark)
		}
	})
	names := map[string]bool{"n0": true, "n1": true, "n2": true, "n3": true, "node 9": true}
	sends := map[uint64]sim.Mark{}
	ended := map[uint64]sim.MarkKind{}
	cuts := map[uint64][]string{}   // by ID: "node|text" of each partition mark
	healed := map[uint64][]string{} // by ID: the nodes its heal marks are on
	count := map[string]int{}
	for _, m := range marks {
		switch m.Kind {
		case sim.MarkSend:
			require.NotZero(t, m.ID)
			require.NotContains(t, sends, m.ID, "two sends with one ID")
			require.True(t, names[m.Node] && names[m.Peer], "send %q", m.Text)
			require.True(t, strings.HasPrefix(m.Text, fmt.Sprintf("send #%d %s → %s Echo", m.ID, m.Node, m.Peer)), m.Text)
			sends[m.ID] = m
			for _, what := range []string{"duplicate of", "late duplicate of", "held long", " reply "} {
				if strings.Contains(m.Text, what) {
					count[what]++
				}
			}
		case sim.MarkDeliver, sim.MarkDrop:
			s, ok := sends[m.ID]
			require.True(t, ok, "%s of a message never sent: %q", m.Kind, m.Text)
			require.NotContains(t, ended, m.ID, "message #%d delivered or dropped twice", m.ID)
			ended[m.ID] = m.Kind
			if m.Kind == sim.MarkDeliver {
				require.Equal(t, []string{s.Peer, s.Node}, []string{m.Node, m.Peer}, "deliver %q", m.Text)
			} else {
				require.Equal(t, []string{s.Node, s.Peer}, []string{m.Node, m.Peer}, "drop %q", m.Text)
				count[m.Text[strings.LastIndex(m.Text, ": ")+2:]]++
			}
		case sim.MarkPartition:
			require.NotContains(t, healed, m.ID, "a cut reopened")
			cuts[m.ID] = append(cuts[m.ID], m.Node+"|"+m.Text)
		case sim.MarkHeal:
			require.Contains(t, cuts, m.ID, "heal of no cut: %q", m.Text)
			require.True(t, strings.HasPrefix(m.Text, "net heal: "), m.Text)
			healed[m.ID] = append(healed[m.ID], m.Node)
		}
	}
	require.Greater(t, len(sends), 500)
	for id := range cuts {
		require.NotContains(t, sends, id, "a cut and a message share an ID")
	}
	for id, s := range sends {
		require.Contains(t, ended, id, "message never delivered nor dropped: %q", s.Text)
	}
	var texts []string
	for id, c := range cuts {
		var nodes []string
		for _, s := range c {
			nodes = append(nodes, s[:strings.Index(s, "|")])
		}
		require.Equal(t, nodes, healed[id], "cut %v healed on other nodes", c)
		texts = append(texts, c...)
	}
	for _, what := range []string{"duplicate of", "late duplicate of", "held long", " reply ",
		"lost in the network", "link down", "receiver crashed", "receiver is down", "no node at that address",
		"a duplicate's reply (the caller hears only the first)"} {
		require.Greater(t, count[what], 0, "no message marked %q", what)
	}
	// A partition is marked on every node it cuts off; SetLink marks
	// nothing (fault plans mark their actions whole).
	require.ElementsMatch(t, []string{
		"n0|net partition {n0 n1} {n2 n3}", "n1|net partition {n0 n1} {n2 n3}",
		"n2|net partition {n0 n1} {n2 n3}", "n3|net partition {n0 n1} {n2 n3}",
		"n2|net disconnect n2",
	}, texts)
	var clock, link []string
	for _, m := range marks {
		switch m.Kind {
		case sim.MarkClock:
			clock = append(clock, m.Node+": "+m.Text)
		case sim.MarkLink:
			link = append(link, m.Text)
		}
	}
	require.Equal(t, []string{"n0: clock offset 1s drift +1%"}, clock)
	require.Equal(t, []string{
		"net conditions delay 0s-26ms, fail after <100ms, request loss 10%, reply loss 10%, duplicates 20%, " +
			"long reordering of replies, long-held requests 10%, late duplicates 10%",
	}, link)
}

// stringer is a message with a String method: the trace shows it.
type stringer struct{ Term int }

func (s *stringer) Size() int      { return 8 }
func (s *stringer) Clone() any     { c := *s; return &c }
func (s *stringer) String() string { return fmt.Sprintf("vote t%d", s.Term) }

// The payload summary is the message's String if it has one, else its
// fields, cut short.
func TestTraceShowsPayloads(t *testing.T) {
	var notes []string
	w := sim.NewWorld(sim.Options{Seed: 1, Trace: func(r sim.Record) {
		if r.Note != "" {
			notes = append(notes, r.Node+": "+r.Note)
		}
	}})
	net := netsim.New(w, netsim.ZeroDelay())
	a, b := w.AddNode("alice", func(*sim.Node) {}), w.AddNode("bob", func(*sim.Node) {})
	epa, epb := net.Attach(a), net.Attach(b)
	w.Start(a)
	w.Start(b)
	epb.Handle("Vote", func(req *netsim.Request, respond func(netsim.Message)) { respond(&stringer{Term: 4}) })
	epb.Handle("Echo", echo)
	epa.Call(b.ID, "Vote", &stringer{Term: 3}, func(any, bool) {})
	epa.Call(b.ID, "Echo", &msg{ID: 5, Data: []byte(strings.Repeat("x", 200))}, func(any, bool) {})
	require.Nil(t, w.Run())
	var msgs []string
	for _, n := range notes {
		if strings.Contains(n, "#") {
			msgs = append(msgs, n)
		}
	}
	long := ("{ID:5 Data:[" + strings.Repeat("120 ", 199) + "120]}")[:120] + "…"
	// At one instant the seed orders the events: compare as sets.
	require.ElementsMatch(t, []string{
		"alice: send #1 alice → bob Vote vote t3 (arrives in 0s)",
		"alice: send #2 alice → bob Echo " + long + " (arrives in 0s)",
		"bob: deliver #1 alice → bob Vote vote t3",
		"bob: send #3 bob → alice Vote reply vote t4 (arrives in 0s)",
		"bob: deliver #2 alice → bob Echo " + long,
		"bob: send #4 bob → alice Echo reply " + long + " (arrives in 0s)",
		"alice: deliver #3 bob → alice Vote reply vote t4",
		"alice: deliver #4 bob → alice Echo reply " + long,
	}, msgs)
}
