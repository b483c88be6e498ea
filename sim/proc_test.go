package sim_test

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

func TestSleepAdvancesVirtualTimeExactly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sleeps := rapid.SliceOfN(rapid.Int64Range(0, int64(time.Hour)), 1, 10).Draw(t, "sleeps")
		w := sim.NewWorld(sim.Options{Seed: rapid.Uint64().Draw(t, "seed"), MaxTime: 24 * time.Hour})
		var woke []time.Duration
		var done bool
		p := w.Spawn(nil, "sleeper", func(p *sim.Proc) {
			for _, d := range sleeps {
				start := p.Now()
				p.Sleep(time.Duration(d))
				woke = append(woke, p.Now()-start)
			}
			done = true
		})
		require.Nil(t, w.Run())
		require.True(t, done)
		require.True(t, p.Done())
		want := make([]time.Duration, len(sleeps))
		var total time.Duration
		for i, d := range sleeps {
			want[i] = time.Duration(d)
			total += time.Duration(d)
		}
		require.Equal(t, want, woke)
		require.Equal(t, total, w.Now())
	})
}

func TestProcsInterleaveOnlyAtBlocks(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 4})
	var log []string
	for _, name := range []string{"a", "b"} {
		w.Spawn(nil, name, func(p *sim.Proc) {
			for i := 0; i < 3; i++ {
				log = append(log, name+"<")
				log = append(log, name+">") // nothing can run between these two
				p.Yield()
			}
		})
	}
	require.Nil(t, w.Run())
	require.Len(t, log, 12)
	for i := 0; i < len(log); i += 2 {
		require.Equal(t, log[i][:1], log[i+1][:1], "a process was interrupted between two statements")
	}
}

func TestSuspendAndResume(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	var woke time.Duration
	var world *sim.World
	var node *sim.Node
	p := w.Spawn(nil, "waiter", func(p *sim.Proc) {
		// No require inside a process: it runs on a coroutine, where FailNow
		// would exit the wrong goroutine. Record, then assert outside.
		world, node = p.World(), p.Node()
		p.Suspend("test", func(resume func()) {
			w.Schedule(5*time.Millisecond, "callback", resume)
		})
		woke = p.Now()
	})
	require.Nil(t, w.Run())
	require.Equal(t, 5*time.Millisecond, woke)
	require.True(t, p.Done())
	require.Same(t, w, world)
	require.Nil(t, node)
}

func TestSuspendWithSynchronousResume(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	woke := false
	w.Spawn(nil, "waiter", func(p *sim.Proc) {
		p.Suspend("test", func(resume func()) { resume() }) // the operation failed at once
		woke = true
	})
	require.Nil(t, w.Run())
	require.True(t, woke, "a resume called inside register was lost")
}

func TestStaleResumeIsIgnored(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	var first, second func()
	var wakes []time.Duration
	w.Spawn(nil, "waiter", func(p *sim.Proc) {
		p.Suspend("test", func(resume func()) { first = resume })
		wakes = append(wakes, p.Now())
		p.Suspend("test", func(resume func()) { second = resume })
		wakes = append(wakes, p.Now())
		p.Sleep(10 * time.Millisecond) // a stale resume must not cut a sleep short either
		wakes = append(wakes, p.Now())
	})
	w.Schedule(1*time.Millisecond, "first", func() { first() })
	w.Schedule(2*time.Millisecond, "first again", func() { first() }) // late duplicate
	w.Schedule(3*time.Millisecond, "first, third time", func() { first() })
	w.Schedule(5*time.Millisecond, "second", func() { second() })
	w.Schedule(6*time.Millisecond, "second again", func() { second(); second() })
	w.Schedule(7*time.Millisecond, "first, during sleep", func() { first() })
	require.Nil(t, w.Run())
	require.Equal(t, []time.Duration{1 * time.Millisecond, 5 * time.Millisecond, 15 * time.Millisecond}, wakes)
}

func TestBeginWaitWakePark(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	var p *sim.Proc
	var first, second sim.Wait
	var wakes []time.Duration
	p = w.Spawn(nil, "waiter", func(p *sim.Proc) {
		first = p.BeginWait("first")
		p.Wake(first) // before Park, as an operation failing at once: not lost
		p.Park()
		wakes = append(wakes, p.Now())
		first = p.BeginWait("first again")
		p.Park()
		wakes = append(wakes, p.Now())
		second = p.BeginWait("second")
		p.Park()
		wakes = append(wakes, p.Now())
	})
	w.Schedule(1*time.Millisecond, "first", func() { p.Wake(first) })
	w.Schedule(2*time.Millisecond, "first, stale", func() { p.Wake(first) })
	w.Schedule(2*time.Millisecond, "second", func() { p.Wake(second); p.Wake(second) })
	w.Schedule(3*time.Millisecond, "second, stale", func() { p.Wake(second) })
	require.Nil(t, w.Run())
	require.Equal(t, []time.Duration{0, 1 * time.Millisecond, 2 * time.Millisecond}, wakes)
	require.True(t, p.Done())
}

func TestParkedWaitIsADeadlock(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	w.Spawn(nil, "waiter", func(p *sim.Proc) {
		p.BeginWait("a reply that never comes")
		p.Park()
	})
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "deadlock", f.Check)
	require.Contains(t, f.Err.Error(), "a reply that never comes")
}

func TestWaitUntil(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	flag := false
	w.Schedule(35*time.Millisecond, "set", func() { flag = true })
	var held, timedOut bool
	var heldAt, gaveUpAt time.Duration
	w.Spawn(nil, "waiter", func(p *sim.Proc) {
		held = p.WaitUntil(func() bool { return flag }, 10*time.Millisecond, time.Second)
		heldAt = p.Now()
	})
	w.Spawn(nil, "impatient", func(p *sim.Proc) {
		timedOut = !p.WaitUntil(func() bool { return false }, 10*time.Millisecond, 25*time.Millisecond)
		gaveUpAt = p.Now()
	})
	require.Nil(t, w.Run())
	require.True(t, held)
	require.Equal(t, 40*time.Millisecond, heldAt)
	require.True(t, timedOut)
	require.Equal(t, 30*time.Millisecond, gaveUpAt)
}

func TestProcOnCrashedNodeIsKilled(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	var after []time.Duration
	deferred := false
	var p *sim.Proc
	var procNode *sim.Node
	n := w.AddNode("n", func(n *sim.Node) {
		if n.Incarnation() > 0 {
			return
		}
		p = n.World().Spawn(n, "loop", func(p *sim.Proc) {
			defer func() { deferred = true }()
			procNode = p.Node()
			for {
				after = append(after, p.Now())
				p.Sleep(time.Millisecond)
			}
		})
	})
	w.Start(n)
	w.Schedule(2500*time.Microsecond, "crash", func() { w.Crash(n) })
	w.Schedule(10*time.Millisecond, "restart", func() { w.Restart(n) })
	require.Nil(t, w.Run())
	require.Equal(t, []time.Duration{0, time.Millisecond, 2 * time.Millisecond}, after)
	require.True(t, p.Done())
	require.True(t, deferred, "a killed process unwinds (its defers run)")
	require.Same(t, n, procNode)
}

func TestProcCrashingItsOwnNodeUnwindsAtItsNextBlock(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	reached := false
	n := w.AddNode("n", func(n *sim.Node) {})
	w.Start(n)
	p := w.Spawn(n, "suicidal", func(p *sim.Proc) {
		w.Crash(n)
		p.Sleep(time.Millisecond)
		reached = true
	})
	require.Nil(t, w.Run())
	require.False(t, reached)
	require.True(t, p.Done())
}

func TestPanicInProcIsAFailure(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	other := w.Spawn(nil, "bystander", func(p *sim.Proc) { p.Sleep(time.Hour) })
	w.Spawn(n, "buggy", func(p *sim.Proc) {
		p.Sleep(7 * time.Millisecond)
		var m map[string]int
		m["x"] = 1 // nil map write: a runtime panic
	})
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "panic", f.Check)
	require.Equal(t, "n", f.Node)
	require.Equal(t, 7*time.Millisecond, f.At)
	require.Contains(t, f.Error(), "nil map")
	require.True(t, other.Done(), "processes still parked when the run ends are unwound")
}

func TestFatalfFailsTheRun(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	after := false
	w.Spawn(nil, "checker", func(p *sim.Proc) {
		p.Sleep(time.Second)
		p.Fatalf("invariant", "x=%d", 3)
		after = true
	})
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "invariant", f.Check)
	require.Equal(t, time.Second, f.At)
	require.EqualError(t, f.Err, "x=3")
	require.False(t, after)
}

func TestRunKillsParkedProcs(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	cleaned := false
	p := w.Spawn(nil, "forever", func(p *sim.Proc) {
		defer func() { cleaned = true }()
		p.Suspend("test", func(func()) {}) // nobody ever resumes it
	})
	w.Schedule(time.Second, "end", w.Stop) // a stopped run is no deadlock
	require.Nil(t, w.Run())
	require.True(t, p.Done())
	require.True(t, cleaned)
}

func TestProcErrorsDoNotEscape(t *testing.T) {
	// errors.Is on a Failure reaches the error it wraps.
	sentinel := errors.New("sentinel")
	w := sim.NewWorld(sim.Options{Seed: 1})
	w.Spawn(nil, "p", func(p *sim.Proc) { w.Fail("c", nil, sentinel) })
	f := w.Run()
	require.ErrorIs(t, f, sentinel)
}

// A process that crashes its own node runs no further line.
func TestProcCrashingItsOwnNodeStopsAtOnce(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	after := false
	w.Spawn(n, "suicidal", func(p *sim.Proc) {
		p.Sleep(time.Millisecond)
		w.Crash(n)
		after = true
	})
	require.Nil(t, w.Run())
	require.False(t, after, "the process ran on after crashing its own node")
	require.False(t, n.Up())
}

func TestCheckErrorNamesTheCheck(t *testing.T) {
	s := &sim.Scenario{Name: "t/check", Main: func(p *sim.Proc) error {
		return sim.Checkf("mine/thing", "broke at %d", 3)
	}}
	res := sim.RunScenario(s, sim.Options{Seed: 1})
	require.Equal(t, sim.Fail, res.Outcome)
	require.Equal(t, "mine/thing", res.Failure.Check)
	require.Contains(t, res.Failure.Error(), "broke at 3")
}

// Issue 8 item 14: Yield is a tie like any other, not a barrier: over seeds,
// events due now run both before and after the yielding process resumes.
func TestYieldIsOrderedBySeedAmongEventsDueNow(t *testing.T) {
	before, after := 0, 0
	for seed := uint64(1); seed <= 40; seed++ {
		w := sim.NewWorld(sim.Options{Seed: seed})
		resumed := false
		w.Spawn(nil, "yielder", func(p *sim.Proc) {
			w.Schedule(0, "other", func() {
				if resumed {
					after++
				} else {
					before++
				}
			})
			p.Yield()
			resumed = true
		})
		require.Nil(t, w.Run())
	}
	require.Positive(t, before, "an event due now never ran before the Yield resumed")
	require.Positive(t, after, "an event due now never ran after the Yield resumed")
}

// A process that sleeps in a loop allocates nothing per sleep.
func TestSleepDoesNotAllocate(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	sleeps := 0
	w.Spawn(nil, "sleeper", func(q *sim.Proc) {
		for {
			q.Sleep(time.Millisecond)
			sleeps++
		}
	})
	w.Schedule(10*time.Second, "end", w.Stop)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	require.Nil(t, w.Run())
	runtime.ReadMemStats(&after)
	require.Greater(t, sleeps, 9000)
	perSleep := float64(after.Mallocs-before.Mallocs) / float64(sleeps)
	require.LessOrEqual(t, perSleep, 0.05, "%.2f allocations per sleep", perSleep)
}

// eventLabels returns options recording the label of every event run.
func eventLabels(seed uint64, labels *[]string) sim.Options {
	return sim.Options{Seed: seed, Trace: func(r sim.Record) {
		if r.Note == "" {
			*labels = append(*labels, r.Label)
		}
	}}
}

// WakeHere called by an event of the waiting process's own node resumes the
// process inside that event: no resume event runs, and the process sees the
// event's time and what the event did before waking it, and acts as its
// node's live instance (it may schedule).
func TestWakeHereResumesInsideTheWakingEvent(t *testing.T) {
	var labels []string
	w := sim.NewWorld(eventLabels(3, &labels))
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	var wakingEvent, resumedIn, afterWake uint64
	var resumedAt time.Duration
	value, seen := 0, 0
	p := w.Spawn(n, "waiter", func(p *sim.Proc) {
		wait := p.BeginWait("the answer")
		n.After(7*time.Millisecond, "answer", func() {
			value = 42
			wakingEvent = w.Events()
			p.WakeHere(wait)
			afterWake = w.Events()
			value = 43 // after the process's turn: it must not have seen this
		})
		p.Park()
		seen, resumedAt, resumedIn = value, p.Now(), w.Events()
		n.After(time.Millisecond, "follow-up", func() {})
	})
	require.Nil(t, w.Run())
	require.True(t, p.Done())
	require.Equal(t, 42, seen)
	require.Equal(t, 7*time.Millisecond, resumedAt)
	require.Equal(t, wakingEvent, resumedIn, "the process ran in an event of its own")
	require.Equal(t, wakingEvent, afterWake, "WakeHere returned before the process's turn ended")
	require.Equal(t, []string{"spawn waiter", "answer", "follow-up"}, labels)
	require.Equal(t, 8*time.Millisecond, w.Now(), "the resumed process could not schedule")
}

// Where resuming inside the current event would let the process run where
// its own event could not, WakeHere is Wake: the process resumes in a
// resume event of its own.
func TestWakeHereFallsBackToAResumeEvent(t *testing.T) {
	for _, c := range []struct {
		name string
		// wake arranges for wake to be called (from somewhere other than
		// an event of the process's node instance).
		wake func(w *sim.World, n, other *sim.Node, wake func())
	}{
		{"world event", func(w *sim.World, _, _ *sim.Node, wake func()) { w.Schedule(time.Millisecond, "world", wake) }},
		{"other node's event", func(_ *sim.World, _, other *sim.Node, wake func()) { other.After(time.Millisecond, "other", wake) }},
		{"another process", func(w *sim.World, _, _ *sim.Node, wake func()) {
			w.Spawn(nil, "waker", func(q *sim.Proc) { q.Sleep(time.Millisecond); wake() })
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var labels []string
			w := sim.NewWorld(eventLabels(5, &labels))
			n := w.AddNode("n", func(*sim.Node) {})
			other := w.AddNode("other", func(*sim.Node) {})
			w.Start(n)
			w.Start(other)
			var resumedAt time.Duration
			p := w.Spawn(n, "waiter", func(p *sim.Proc) {
				wait := p.BeginWait("a wake")
				c.wake(w, n, other, func() { p.WakeHere(wait) })
				p.Park()
				resumedAt = p.Now()
			})
			require.Nil(t, w.Run())
			require.True(t, p.Done())
			require.Equal(t, time.Millisecond, resumedAt)
			require.Contains(t, labels, "resume waiter")
		})
	}
}

// A process woken by its own synchronous operation (WakeHere before Park)
// is not lost: it resumes in an event of its own.
func TestWakeHereBeforeParkResumesLater(t *testing.T) {
	var labels []string
	w := sim.NewWorld(eventLabels(1, &labels))
	woke := false
	w.Spawn(nil, "waiter", func(p *sim.Proc) {
		wait := p.BeginWait("an operation that fails at once")
		p.WakeHere(wait)
		p.Park()
		woke = true
	})
	require.Nil(t, w.Run())
	require.True(t, woke)
	require.Equal(t, []string{"spawn waiter", "resume waiter"}, labels)
}

// A wake in an event after which the run stops (the event failed a check)
// does not run the process: the run is over, as it is for a resume event
// that would never run.
func TestWakeHereAfterTheRunStoppedDoesNotRunTheProcess(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	woke := false
	w.Spawn(n, "waiter", func(p *sim.Proc) {
		wait := p.BeginWait("the answer")
		n.After(time.Millisecond, "answer", func() {
			w.Fail("some-check", n, errors.New("broken"))
			p.WakeHere(wait)
		})
		p.Park()
		woke = true
	})
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "some-check", f.Check)
	require.False(t, woke)
}

// WakeHere of a wait that is over, or of an earlier wait, does nothing.
func TestStaleWakeHereIsIgnored(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	var wakes []time.Duration
	var first, second sim.Wait
	var p *sim.Proc
	p = w.Spawn(n, "waiter", func(p *sim.Proc) {
		first = p.BeginWait("first")
		p.Park()
		wakes = append(wakes, p.Now())
		second = p.BeginWait("second")
		p.Park()
		wakes = append(wakes, p.Now())
	})
	n.After(time.Millisecond, "first", func() { p.WakeHere(first); p.WakeHere(first) })
	n.After(2*time.Millisecond, "first, stale", func() { p.WakeHere(first) })
	n.After(3*time.Millisecond, "second", func() { p.WakeHere(second) })
	n.After(4*time.Millisecond, "second, stale", func() { p.WakeHere(second) })
	require.Nil(t, w.Run())
	require.Equal(t, []time.Duration{time.Millisecond, 3 * time.Millisecond}, wakes)
	require.True(t, p.Done())
}
