package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestNothingOfACrashedNodeRuns is a property over random crash and restart
// schedules: every callback of a node instance (timers from After and
// AfterFunc, timer chains, processes) runs only while that very instance is
// up, and every instance that stays up long enough does run.
func TestNothingOfACrashedNodeRuns(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		type fault struct {
			at    time.Duration
			node  int
			crash bool
		}
		faults := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) fault {
			return fault{
				at:    time.Duration(rapid.IntRange(0, 40).Draw(t, "at")) * time.Millisecond,
				node:  rapid.IntRange(0, 1).Draw(t, "node"),
				crash: rapid.Bool().Draw(t, "crash"),
			}
		}), 0, 12).Draw(t, "faults")

		w := sim.NewWorld(sim.Options{Seed: seed})
		var violations []string
		ran := map[string]int{} // "node/incarnation" -> callbacks run
		check := func(n *sim.Node, inc uint32, what string) {
			if !n.Up() || n.Incarnation() != inc {
				violations = append(violations, fmt.Sprintf("%v: %s of %s incarnation %d ran while node up=%v incarnation=%d",
					w.Now(), what, n.Name, inc, n.Up(), n.Incarnation()))
			}
			ran[fmt.Sprintf("%s/%d", n.Name, inc)]++
		}
		boot := func(n *sim.Node) {
			inc := n.Incarnation()
			r := n.Rand("timers")
			n.Instance = inc
			var chain func()
			chain = func() {
				check(n, inc, "timer chain")
				n.After(r.Duration(0, 3*time.Millisecond), "chain", chain)
			}
			n.After(0, "chain", chain)
			n.AfterFunc(r.Duration(0, 20*time.Millisecond), "afterfunc", func() { check(n, inc, "AfterFunc") })
			n.World().Spawn(n, "proc", func(p *sim.Proc) {
				for {
					check(n, inc, "process")
					p.Sleep(r.Duration(0, 4*time.Millisecond))
				}
			})
		}
		nodes := []*sim.Node{w.AddNode("a", boot), w.AddNode("b", boot)}
		for _, n := range nodes {
			w.Start(n)
		}
		for _, f := range faults {
			w.Schedule(f.at, "fault", func() {
				n := nodes[f.node]
				if f.crash {
					w.Crash(n)
					require.Nil(t, n.Instance, "crash keeps the volatile instance")
				} else if !n.Up() {
					w.Restart(n)
				}
			})
		}
		w.Schedule(50*time.Millisecond, "end", w.Stop)
		require.Nil(t, w.Run())
		require.Empty(t, violations)
		for _, n := range nodes {
			if n.Up() {
				require.Positive(t, ran[fmt.Sprintf("%s/%d", n.Name, n.Incarnation())],
					"the live instance of %s never ran", n.Name)
			}
		}
	})
}

func TestCrashAndRestart(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 3})
	var log []string
	var crashed, started []string
	w.OnCrash(func(n *sim.Node) { crashed = append(crashed, fmt.Sprintf("%s/%d", n.Name, n.Incarnation())) })
	w.OnStart(func(n *sim.Node) { started = append(started, fmt.Sprintf("%s/%d", n.Name, n.Incarnation())) })
	var draws []uint64
	n := w.AddNode("n", func(n *sim.Node) {
		inc := n.Incarnation()
		n.Instance = fmt.Sprint("instance ", inc)
		draws = append(draws, n.Rand("x").Uint64())
		say := func(s string) func() {
			return func() { log = append(log, fmt.Sprintf("%v %d %s", n.World().Now(), inc, s)) }
		}
		n.After(10*time.Millisecond, "after", say("after"))
		n.AfterFunc(10*time.Millisecond, "afterfunc", say("afterfunc"))
		n.World().Spawn(n, "proc", func(p *sim.Proc) {
			say("proc start")()
			p.Sleep(10 * time.Millisecond)
			say("proc woke")()
		})
	})
	require.False(t, n.Up(), "a node starts down")
	require.Equal(t, []*sim.Node{n}, w.Nodes())
	require.Same(t, w, n.World())
	w.Start(n)
	require.True(t, n.Up())
	require.Equal(t, "instance 0", n.Instance)
	w.Schedule(5*time.Millisecond, "crash", func() {
		w.Crash(n)
		require.False(t, n.Up())
		require.Nil(t, n.Instance)
		require.Equal(t, uint32(1), n.Incarnation())
		w.Crash(n) // crashing a crashed node does nothing
		require.Equal(t, uint32(1), n.Incarnation())
	})
	w.Schedule(20*time.Millisecond, "restart", func() { w.Restart(n) })
	w.Schedule(25*time.Millisecond, "restart running", func() { w.Restart(n) })
	require.Nil(t, w.Run())
	require.Equal(t, []string{
		"0s 0 proc start",
		// incarnation 0's timers and process (due at 10 ms) never run
		"20ms 1 proc start",
		// incarnation 1 is crashed by the restart at 25 ms
		"25ms 2 proc start",
		"35ms 2 after", "35ms 2 afterfunc", "35ms 2 proc woke",
	}, sortSameTime(log))
	require.Equal(t, []string{"n/0", "n/1", "n/2"}, started)
	require.Equal(t, []string{"n/1", "n/2"}, crashed)
	require.Len(t, draws, 3)
	require.NotEqual(t, draws[0], draws[1], "a restarted instance gets a fresh random stream")
	require.NotEqual(t, draws[1], draws[2])
}

// sortSameTime sorts log lines that share a time prefix, so that assertions
// do not depend on the seeded order of same-time events.
func sortSameTime(log []string) []string {
	out := append([]string(nil), log...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && prefix(out[j]) == prefix(out[j-1]) && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func prefix(s string) string {
	for i := range s {
		if s[i] == ' ' {
			return s[:i]
		}
	}
	return s
}

func TestDuplicateNodeNamePanics(t *testing.T) {
	w := sim.NewWorld(sim.Options{})
	w.AddNode("x", func(*sim.Node) {})
	require.Panics(t, func() { w.AddNode("x", func(*sim.Node) {}) })
}

func TestPauseHoldsEventsAndResumeReleasesThemInOrder(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		w := sim.NewWorld(sim.Options{Seed: seed})
		n := w.AddNode("n", func(*sim.Node) {})
		w.Start(n)
		type ran struct {
			label string
			at    time.Duration
		}
		var got []ran
		for i := 1; i <= 6; i++ {
			label := fmt.Sprint(i)
			n.After(time.Duration(i)*time.Millisecond, label, func() { got = append(got, ran{label, w.Now()}) })
		}
		worldRan := false
		w.Schedule(0, "pause", func() { w.Pause(n); require.True(t, n.Paused()) })
		w.Schedule(3*time.Millisecond, "world event", func() { worldRan = true; require.Empty(t, got) })
		w.Schedule(10*time.Millisecond, "resume", func() {
			require.Empty(t, got, "a paused node ran events")
			w.Resume(n)
			require.False(t, n.Paused())
		})
		require.Nil(t, w.Run())
		require.True(t, worldRan, "world events run while a node is paused")
		require.Len(t, got, 6)
		var order []string
		for _, r := range got {
			order = append(order, r.label)
			require.Equal(t, 10*time.Millisecond, r.at, "held event %s runs at resume", r.label)
		}
		require.Equal(t, []string{"1", "2", "3", "4", "5", "6"}, order,
			"seed %d: Resume must release held events in their original order", seed)
	}
}

func TestCrashDuringPauseDropsHeldEvents(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	var got []string
	n := w.AddNode("n", func(n *sim.Node) {
		inc := n.Incarnation()
		n.After(5*time.Millisecond, "t", func() { got = append(got, fmt.Sprint(inc, "@", n.World().Now())) })
	})
	w.Start(n)
	w.Schedule(time.Millisecond, "pause", func() { w.Pause(n) })
	w.Schedule(10*time.Millisecond, "crash", func() {
		w.Crash(n)
		require.False(t, n.Paused(), "a crash ends a pause")
	})
	w.Schedule(20*time.Millisecond, "restart", func() { w.Restart(n) })
	w.Schedule(21*time.Millisecond, "resume", func() { w.Resume(n) }) // nothing held any more
	require.Nil(t, w.Run())
	require.Equal(t, []string{"1@25ms"}, got, "only the restarted instance's timer runs")
}

func TestPauseOfCrashedNodeIsIgnored(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Pause(n)
	require.False(t, n.Paused())
	w.Resume(n) // no-op
	require.Nil(t, w.Run())
}

func TestNodeClockSkew(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	off, drift := n.ClockSkew()
	require.Zero(t, off)
	require.Zero(t, drift)
	n.SetClock(time.Second, 0.01)
	off, drift = n.ClockSkew()
	require.Equal(t, time.Second, off)
	require.Equal(t, 0.01, drift)
}

// timeAction records when it runs, as a record whose method is an event.
type timeAction struct {
	w    *sim.World
	runs *[]time.Duration
}

func (a timeAction) Run() { *a.runs = append(*a.runs, a.w.Now()) }

func TestActionsRunAsEvents(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	var world, node, lost []time.Duration
	w.ScheduleAction(3*time.Millisecond, "world action", timeAction{w, &world})
	n.AfterAction(5*time.Millisecond, "node action", timeAction{w, &node})
	n.AfterAction(20*time.Millisecond, "node action", timeAction{w, &lost})
	w.Schedule(10*time.Millisecond, "crash", func() { w.Crash(n) })
	var records []string
	var traced []time.Duration
	w2 := sim.NewWorld(sim.Options{Seed: 1, Trace: func(r sim.Record) { records = append(records, r.Label) }})
	w2.ScheduleAction(time.Millisecond, "traced", timeAction{w2, &traced})
	require.Nil(t, w2.Run())
	require.Equal(t, []time.Duration{time.Millisecond}, traced)
	require.Nil(t, w.Run())
	require.Equal(t, []time.Duration{3 * time.Millisecond}, world)
	require.Equal(t, []time.Duration{5 * time.Millisecond}, node)
	require.Empty(t, lost, "an action of a crashed instance ran")
	require.Equal(t, []string{"traced"}, records)
}
