package sim_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

// step is one entry of a randomly drawn workload: at time At, on node Node
// (-1: a world event), do Kind with argument Arg.
type step struct {
	At   time.Duration
	Node int
	Kind stepKind
	Arg  int
}

type stepKind int

const (
	stepPlain   stepKind = iota // an empty event
	stepFanout                  // schedule Arg children at seeded delays
	stepCrash                   // crash Node
	stepRestart                 // restart Node
	stepPause                   // pause Node
	stepResume                  // resume Node
	stepProc                    // spawn a process on Node that sleeps Arg seeded times
	numStepKinds
)

const workloadNodes = 3

// stepGen draws steps on a millisecond grid of a few values, so that many
// events fall due at the same instant and the seeded tiebreak matters.
var stepGen = rapid.Custom(func(t *rapid.T) step {
	return step{
		At:   time.Duration(rapid.IntRange(0, 5).Draw(t, "at")) * time.Millisecond,
		Node: rapid.IntRange(-1, workloadNodes-1).Draw(t, "node"),
		Kind: stepKind(rapid.IntRange(0, int(numStepKinds)-1).Draw(t, "kind")),
		Arg:  rapid.IntRange(0, 4).Draw(t, "arg"),
	}
})

// runResult is what a workload run produced: every event as OnEvent saw it,
// the virtual time every callback observed, and the final state.
type runResult struct {
	records []sim.Record
	nows    []time.Duration
	hash    uint64
	failure *sim.Failure
}

// runWorkload runs steps in a fresh world with seed. Delays of children and
// process sleeps come from a seeded stream, so the seed decides times as well
// as tiebreaks.
func runWorkload(seed uint64, steps []step) runResult {
	var res runResult
	w := sim.NewWorld(sim.Options{Seed: seed, MaxEvents: 100_000, OnEvent: func(r sim.Record) {
		res.records = append(res.records, r)
	}})
	observe := func() { res.nows = append(res.nows, w.Now()) }
	rng := w.Rand("workload")
	nodes := make([]*sim.Node, workloadNodes)
	for i := range nodes {
		nodes[i] = w.AddNode(fmt.Sprintf("n%d", i), func(n *sim.Node) {
			// Each instance keeps a short timer chain of its own.
			r := n.Rand("boot")
			n.After(r.Duration(0, 2*time.Millisecond), "boot-timer", func() {
				observe()
				n.After(r.Duration(0, 2*time.Millisecond), "boot-timer-2", observe)
			})
		})
		w.Start(nodes[i])
	}
	for i, s := range steps {
		label := fmt.Sprintf("step%d-k%d", i, s.Kind)
		var n *sim.Node
		if s.Node >= 0 {
			n = nodes[s.Node]
		}
		w.Schedule(s.At, label, func() {
			observe()
			switch s.Kind {
			case stepFanout:
				for j := 0; j < s.Arg; j++ {
					d := rng.Duration(0, 3*time.Millisecond)
					child := fmt.Sprintf("%s-child%d", label, j)
					if n != nil && n.Up() {
						n.After(d, child, observe)
					} else {
						w.Schedule(d, child, observe)
					}
				}
			case stepCrash:
				if n != nil {
					w.Crash(n)
				}
			case stepRestart:
				if n != nil && !n.Up() {
					w.Restart(n)
				}
			case stepPause:
				if n != nil {
					w.Pause(n)
				}
			case stepResume:
				if n != nil {
					w.Resume(n)
				}
			case stepProc:
				if n == nil || n.Up() {
					sleeps := s.Arg
					w.Spawn(n, label+"-proc", func(p *sim.Proc) {
						for k := 0; k < sleeps; k++ {
							observe()
							p.Sleep(rng.Duration(0, 2*time.Millisecond))
						}
						observe()
					})
				}
			}
		})
	}
	// Leave no node paused forever: resume everything at the end.
	w.Schedule(10*time.Millisecond, "resume-all", func() {
		for _, n := range nodes {
			w.Resume(n)
		}
	})
	res.failure = w.Run()
	res.hash = w.Hash()
	return res
}

func TestSameSeedSameTrace(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		steps := rapid.SliceOfN(stepGen, 0, 25).Draw(t, "steps")
		a := runWorkload(seed, steps)
		b := runWorkload(seed, steps)
		require.Nil(t, a.failure)
		require.Equal(t, a.hash, b.hash, "same seed, same workload: trace hashes differ")
		require.Equal(t, a.records, b.records, "same seed, same workload: event sequences differ")
		require.Equal(t, a.nows, b.nows)
	})
}

func TestEventsNeverRunBackwards(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		steps := rapid.SliceOfN(stepGen, 0, 25).Draw(t, "steps")
		res := runWorkload(seed, steps)
		require.Nil(t, res.failure)
		for i := 1; i < len(res.records); i++ {
			require.LessOrEqual(t, res.records[i-1].At, res.records[i].At,
				"event %d (%s) runs before event %d (%s)", res.records[i].Event, res.records[i].Label,
				res.records[i-1].Event, res.records[i-1].Label)
			require.Equal(t, res.records[i-1].Event+1, res.records[i].Event, "event numbers are consecutive")
		}
		for i := 1; i < len(res.nows); i++ {
			require.LessOrEqual(t, res.nows[i-1], res.nows[i], "World.Now went backwards at callback %d", i)
		}
	})
}

// sameTimeWorkload has many events due at the same instant, so the seed
// decides most of its order.
func sameTimeWorkload() []step {
	var steps []step
	for i := 0; i < 12; i++ {
		steps = append(steps, step{At: time.Duration(i%3) * time.Millisecond, Node: i%4 - 1, Kind: stepKind(i % 2), Arg: 3})
	}
	return steps
}

func TestDifferentSeedsUsuallyDiffer(t *testing.T) {
	steps := sameTimeWorkload()
	hashes := map[uint64]bool{}
	const seeds = 30
	for seed := uint64(1); seed <= seeds; seed++ {
		hashes[runWorkload(seed, steps).hash] = true
	}
	require.GreaterOrEqual(t, len(hashes), seeds*9/10, "only %d distinct trace hashes over %d seeds", len(hashes), seeds)
}

// sameTimeOrder returns the labels of n events all scheduled for the same instant,
// in the order the world ran them.
func sameTimeOrder(t *testing.T, seed uint64, n int) []string {
	var order []string
	w := sim.NewWorld(sim.Options{Seed: seed})
	for i := 0; i < n; i++ {
		label := fmt.Sprint(i)
		w.Schedule(time.Millisecond, label, func() { order = append(order, label) })
	}
	require.Nil(t, w.Run())
	return order
}

func TestTiesAreOrderedBySeed(t *testing.T) {
	const n = 8
	insertion := sameTimeOrder(t, 0, n)
	require.Len(t, insertion, n)
	for i := range insertion {
		insertion[i] = fmt.Sprint(i)
	}

	orders := map[string]bool{}
	notInsertion := 0
	for seed := uint64(1); seed <= 20; seed++ {
		o := sameTimeOrder(t, seed, n)
		require.ElementsMatch(t, insertion, o)
		require.Equal(t, o, sameTimeOrder(t, seed, n), "seed %d: same-time order is not reproducible", seed)
		orders[fmt.Sprint(o)] = true
		if fmt.Sprint(o) != fmt.Sprint(insertion) {
			notInsertion++
		}
	}
	require.Greater(t, len(orders), 1, "every seed ran same-time events in the same order")
	require.GreaterOrEqual(t, notInsertion, 19, "ties follow insertion order instead of the seed")

	// Two specific seeds, two different orders of the same events.
	require.NotEqual(t, sameTimeOrder(t, 1, n), sameTimeOrder(t, 2, n))
}

func TestTimeJumpsToNextEvent(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1, MaxTime: 2 * time.Hour})
	var at []time.Duration
	w.Schedule(time.Hour, "late", func() { at = append(at, w.Now()) })
	w.Schedule(time.Second, "early", func() {
		at = append(at, w.Now())
		w.Schedule(-time.Second, "negative delay runs now", func() { at = append(at, w.Now()) })
	})
	require.Nil(t, w.Run())
	require.Equal(t, []time.Duration{time.Second, time.Second, time.Hour}, at)
	require.Equal(t, time.Hour, w.Now())
	require.Equal(t, uint64(3), w.Events())
}

func TestWorldTimerStop(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	ran := map[string]bool{}
	stopped := w.AfterFunc(time.Second, "stopped", func() { ran["stopped"] = true })
	fired := w.AfterFunc(time.Second, "fired", func() { ran["fired"] = true })
	w.Schedule(time.Millisecond, "stop", func() { require.True(t, stopped.Stop()) })
	require.Nil(t, w.Run())
	require.Equal(t, map[string]bool{"fired": true}, ran)
	require.False(t, stopped.Stop(), "second Stop reports it did nothing")
	require.False(t, fired.Stop(), "Stop after firing reports it did nothing")
}

func TestStopEndsRunAfterCurrentEvent(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	ran := 0
	w.Schedule(time.Millisecond, "stop", func() { ran++; w.Stop() })
	w.Schedule(time.Second, "after stop", func() { ran++ })
	require.Nil(t, w.Run())
	require.Equal(t, 1, ran)
	require.True(t, w.Stopped())
}

func TestPanicInEventIsAFailure(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 42})
	n := w.AddNode("victim", func(*sim.Node) {})
	w.Start(n)
	ranAfter := false
	n.After(3*time.Millisecond, "boom", func() { panic("kaboom") })
	w.Schedule(time.Second, "after", func() { ranAfter = true })
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "panic", f.Check)
	require.Equal(t, "victim", f.Node)
	require.Equal(t, 3*time.Millisecond, f.At)
	require.Contains(t, f.Error(), "kaboom")
	require.Contains(t, f.Error(), `"boom"`, "the failure names the event")
	require.NotEmpty(t, f.Stack)
	require.False(t, ranAfter, "the run stops at the panic")
	require.Same(t, f, w.Failed())
}

func TestBudgets(t *testing.T) {
	livelock := func(w *sim.World, delay time.Duration) {
		var again func()
		again = func() { w.Schedule(delay, "again", again) }
		w.Schedule(0, "again", again)
	}
	t.Run("events", func(t *testing.T) {
		w := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: 1000})
		livelock(w, 0) // virtual time never moves: only the event budget ends it
		f := w.Run()
		require.NotNil(t, f)
		require.Equal(t, "budget", f.Check)
		require.Equal(t, uint64(1000), w.Events())
		require.Contains(t, f.Error(), "event budget")
	})
	t.Run("time", func(t *testing.T) {
		w := sim.NewWorld(sim.Options{Seed: 1, MaxTime: time.Second})
		livelock(w, time.Millisecond)
		f := w.Run()
		require.NotNil(t, f)
		require.Equal(t, "budget", f.Check)
		require.Equal(t, time.Second, w.Now(), "no event runs past the time budget")
		require.Contains(t, f.Error(), "time budget")
	})
	t.Run("exactly at the budget passes", func(t *testing.T) {
		w := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: 3, MaxTime: time.Second})
		for i := 0; i < 3; i++ {
			w.Schedule(time.Second, "e", func() {})
		}
		require.Nil(t, w.Run())
	})
	t.Run("defaults", func(t *testing.T) {
		o := sim.NewWorld(sim.Options{}).Options()
		require.Equal(t, uint64(sim.DefaultMaxEvents), o.MaxEvents)
		require.Equal(t, sim.DefaultMaxTime, o.MaxTime)
	})
}

func TestAtEndChecks(t *testing.T) {
	t.Run("run only when no failure", func(t *testing.T) {
		w := sim.NewWorld(sim.Options{Seed: 1})
		ran := false
		w.AtEnd("end", func() error { ran = true; return nil })
		w.Schedule(time.Millisecond, "fail", func() { w.Fail("invariant", nil, errors.New("broken")) })
		f := w.Run()
		require.NotNil(t, f)
		require.Equal(t, "invariant", f.Check)
		require.False(t, ran, "an end check ran after a failure")
	})
	t.Run("run after a clean end, first failure kept", func(t *testing.T) {
		w := sim.NewWorld(sim.Options{Seed: 1})
		var ran []string
		w.AtEnd("a", func() error { ran = append(ran, "a"); return nil })
		w.AtEnd("b", func() error { ran = append(ran, "b"); return errors.New("b broke") })
		w.AtEnd("c", func() error { ran = append(ran, "c"); return nil })
		w.Schedule(time.Second, "e", func() {})
		f := w.Run()
		require.NotNil(t, f)
		require.Equal(t, "b", f.Check)
		require.Equal(t, time.Second, f.At)
		require.EqualError(t, f.Unwrap(), "b broke")
		require.Equal(t, []string{"a", "b"}, ran)
	})
	t.Run("panic in an end check", func(t *testing.T) {
		w := sim.NewWorld(sim.Options{Seed: 1})
		w.AtEnd("p", func() error { panic("in check") })
		f := w.Run()
		require.NotNil(t, f)
		require.Equal(t, "panic", f.Check)
		require.Contains(t, f.Error(), "in check")
	})
	t.Run("only the first failure is kept", func(t *testing.T) {
		w := sim.NewWorld(sim.Options{Seed: 1})
		w.Schedule(time.Millisecond, "two failures", func() {
			w.Fail("first", nil, errors.New("1"))
			w.Fail("second", nil, errors.New("2"))
		})
		f := w.Run()
		require.Equal(t, "first", f.Check)
	})
}

func TestTraceNotesDoNotChangeHash(t *testing.T) {
	steps := sameTimeWorkload()
	run := func(trace bool) (uint64, []sim.Record) {
		var recs []sim.Record
		opts := sim.Options{Seed: 7}
		if trace {
			opts.Trace = func(r sim.Record) { recs = append(recs, r) }
		}
		w := sim.NewWorld(opts)
		n := w.AddNode("n", func(n *sim.Node) { n.World().Logf(n, "booted %d", n.Incarnation()) })
		w.Start(n)
		for i, s := range steps {
			w.Schedule(s.At, fmt.Sprint(i), func() { w.Logf(nil, "note %d", i) })
		}
		require.Nil(t, w.Run())
		return w.Hash(), recs
	}
	h1, recs := run(true)
	h2, none := run(false)
	require.Equal(t, h1, h2, "tracing changed the trace hash")
	require.Empty(t, none)
	notes := 0
	for _, r := range recs {
		if strings.HasPrefix(r.Note, "note ") || strings.HasPrefix(r.Note, "booted ") {
			notes++
		}
		if r.Note != "" {
			require.NotContains(t, r.String(), "#")
		} else {
			require.Contains(t, r.String(), "#")
		}
	}
	require.Equal(t, len(steps)+1, notes)
}

// Fatalf from an event (not from its own process) fails the run with its
// check, and a panic after a failure does not replace the first failure.
func TestFirstFailureIsKept(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	var p *sim.Proc
	p = w.Spawn(nil, "script", func(q *sim.Proc) { q.Sleep(time.Hour) })
	w.Schedule(time.Millisecond, "ev", func() { p.Fatalf("mycheck", "boom %d", 1) })
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "mycheck", f.Check)

	w = sim.NewWorld(sim.Options{Seed: 1})
	w.Schedule(time.Millisecond, "ev", func() {
		w.Fail("first", nil, errors.New("first"))
		panic("consequence")
	})
	f = w.Run()
	require.NotNil(t, f)
	require.Equal(t, "first", f.Check)
}
