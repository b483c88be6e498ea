package clock_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/sim"
)

// world returns a world with one started node whose boot makes its clock.
func world(t *testing.T) (*sim.World, *sim.Node, **clock.Sim) {
	t.Helper()
	w := sim.NewWorld(sim.Options{Seed: 1})
	var c *clock.Sim
	n := w.AddNode("n", func(n *sim.Node) { c = clock.NewSim(n) })
	w.Start(n)
	return w, n, &c
}

func TestSimClockWithoutSkew(t *testing.T) {
	w, _, c := world(t)
	var nows []time.Time
	var sinces []time.Duration
	for _, at := range []time.Duration{0, time.Millisecond, time.Minute} {
		w.Schedule(at, "read", func() {
			nows = append(nows, (*c).Now())
			sinces = append(sinces, (*c).Since())
		})
	}
	require.Nil(t, w.Run())
	require.Equal(t, []time.Time{clock.Epoch(), clock.Epoch().Add(time.Millisecond), clock.Epoch().Add(time.Minute)}, nows)
	require.Equal(t, []time.Duration{0, time.Millisecond, time.Minute}, sinces)
}

func TestSimClockOffsetAndDrift(t *testing.T) {
	w, n, c := world(t)
	var now time.Time
	var since time.Duration
	n.SetClock(5*time.Second, 0.01)                                   // from the start, so that no drift change is involved
	w.Schedule(10*time.Second, "boot again", func() { w.Restart(n) }) // Since counts from this boot
	w.Schedule(110*time.Second, "read", func() { now, since = (*c).Now(), (*c).Since() })
	require.Nil(t, w.Run())
	// World time 110 s at 1% fast is 111.1 s of local time, plus the offset.
	require.Equal(t, clock.Epoch().Add(111100*time.Millisecond+5*time.Second), now)
	// Since is from this instance's boot at 10 s and ignores the offset.
	require.Equal(t, 101*time.Second, since)
}

func TestSimClockOffsetJumpMovesNowNotSince(t *testing.T) {
	w, n, c := world(t)
	var before, after time.Time
	var sinceBefore, sinceAfter time.Duration
	w.Schedule(time.Second, "jump", func() {
		before, sinceBefore = (*c).Now(), (*c).Since()
		n.SetClock(-time.Hour, 0)
		after, sinceAfter = (*c).Now(), (*c).Since()
	})
	require.Nil(t, w.Run())
	require.Equal(t, -time.Hour, after.Sub(before), "a wall-clock jump moves Now at once")
	require.Equal(t, sinceBefore, sinceAfter, "a wall-clock jump does not move Since")
}

func TestSimClockAfterFuncUsesLocalTime(t *testing.T) {
	for _, drift := range []float64{0, 0.01, -0.01, 0.5} {
		w, n, c := world(t)
		n.SetClock(time.Minute, drift)
		var firedWorld, firedLocal time.Duration
		(*c).AfterFunc(10*time.Second, func() { firedWorld, firedLocal = w.Now(), (*c).Since() })
		require.Nil(t, w.Run())
		want := time.Duration(float64(10*time.Second) / (1 + drift))
		require.InDelta(t, float64(want), float64(firedWorld), 1, "drift %v: fired at world time %v", drift, firedWorld)
		require.InDelta(t, float64(10*time.Second), float64(firedLocal), 2, "drift %v: local time at firing", drift)
	}
}

func TestSimClockAfterFuncStop(t *testing.T) {
	w, _, c := world(t)
	fired := 0
	stopped := (*c).AfterFunc(time.Second, func() { fired++ })
	kept := (*c).AfterFunc(time.Second, func() { fired += 10 })
	require.True(t, stopped.Stop())
	require.False(t, stopped.Stop())
	require.Nil(t, w.Run())
	require.Equal(t, 10, fired)
	require.False(t, kept.Stop(), "Stop after firing")
}

func TestSimClockManyTimersAreIndependent(t *testing.T) {
	// More timers than one allocation chunk holds: stopping one must stop
	// only it, and each fires its own callback at its own time.
	w, _, c := world(t)
	const n = 100
	var fired []int
	var timers []clock.Timer
	for i := 0; i < n; i++ {
		timers = append(timers, (*c).AfterFunc(time.Duration(i+1)*time.Millisecond, func() {
			fired = append(fired, i)
		}))
	}
	for i := 1; i < n; i += 2 {
		require.True(t, timers[i].Stop())
	}
	require.Nil(t, w.Run())
	var want []int
	for i := 0; i < n; i += 2 {
		want = append(want, i)
	}
	require.Equal(t, want, fired)
	for i := range timers {
		require.False(t, timers[i].Stop(), "timer %d", i)
	}
}

func TestSimClockTimersDieWithACrash(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	var fired []uint32
	n := w.AddNode("n", func(n *sim.Node) {
		c := clock.NewSim(n)
		inc := n.Incarnation()
		c.AfterFunc(10*time.Millisecond, func() { fired = append(fired, inc) })
	})
	w.Start(n)
	w.Schedule(5*time.Millisecond, "crash", func() { w.Crash(n) })
	w.Schedule(20*time.Millisecond, "restart", func() { w.Restart(n) })
	require.Nil(t, w.Run())
	require.Equal(t, []uint32{1}, fired, "a timer of the crashed instance fired")
	require.Equal(t, 30*time.Millisecond, w.Now())
}

// TestSimClockSinceIsMonotonic: the Clock contract says Since "is monotonic".
// A drift change (a fault plan's clock action) must change the rate of Since
// from then on, not rescale the time already elapsed: with the drift applied
// to the whole interval, 100 s at +1% is 101 s, and switching to -1% makes
// Since read 99 s, two seconds back in time — a lease or election timeout
// measured with Since would then be wrong by as much.
func TestSimClockSinceIsMonotonic(t *testing.T) {
	w, n, c := world(t)
	n.SetClock(0, 0.01)
	var before, after time.Duration
	w.Schedule(100*time.Second, "drift change", func() {
		before = (*c).Since()
		n.SetClock(0, -0.01)
		after = (*c).Since()
	})
	require.Nil(t, w.Run())
	require.Equal(t, 101*time.Second, before)
	require.GreaterOrEqual(t, after, before, "Since went backwards when the drift changed")
}

func TestRealClockSatisfiesTheInterface(t *testing.T) {
	var c clock.Clock = clock.NewReal()
	require.False(t, c.Now().IsZero())
	require.GreaterOrEqual(t, c.Since(), time.Duration(0))
	timer := c.AfterFunc(time.Hour, func() { panic("a real timer an hour away fired during a test") })
	require.True(t, timer.Stop(), "Stop before the timer fired")
	require.False(t, timer.Stop())
}

// Issue 8 item 6: the epoch is a constant, not a package variable a run
// could move under another.
func TestEpoch(t *testing.T) {
	require.Equal(t, time.UTC, clock.Epoch().Location())
	require.Equal(t, time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC), clock.Epoch())
	require.Equal(t, clock.Epoch(), clock.Epoch())
}

// Issue 8 item 12: a drift that would stop the clock, run it backwards or
// compute differently on different CPUs, an absurd drift or offset, fail the
// run with a message naming the node and the value (a drift of -1 used to
// divide by zero in the clock's timers).
func TestBadClockSkewFailsTheRun(t *testing.T) {
	for _, tc := range []struct {
		offset time.Duration
		drift  float64
		want   string
	}{
		{0, -1, "clock drift -1 out of range"},
		{0, -2, "clock drift -2 out of range"},
		{0, sim.MaxClockDrift + 0.01, "clock drift 0.51 out of range"},
		{0, math.NaN(), "clock drift NaN out of range"},
		{0, math.Inf(1), "clock drift +Inf out of range"},
		{sim.MaxClockOffset + 1, 0, "clock offset"},
		{-sim.MaxClockOffset - 1, 0, "clock offset"},
	} {
		w, n, c := world(t)
		fired := false
		w.Schedule(time.Second, "skew", func() {
			n.SetClock(tc.offset, tc.drift)
			(*c).AfterFunc(time.Second, func() { fired = true })
		})
		f := w.Run()
		require.NotNil(t, f, "offset %v drift %v accepted", tc.offset, tc.drift)
		require.Equal(t, "panic", f.Check)
		require.Contains(t, f.Error(), "node n: "+tc.want)
		require.False(t, fired)
		require.Error(t, sim.CheckClockSkew(tc.offset, tc.drift))
	}
	for _, ok := range []struct {
		offset time.Duration
		drift  float64
	}{{0, 0}, {sim.MaxClockOffset, sim.MaxClockDrift}, {-sim.MaxClockOffset, -sim.MaxClockDrift}} {
		require.NoError(t, sim.CheckClockSkew(ok.offset, ok.drift))
	}
}

// TestSimClockAfterFuncNeverEarly: a timer fires only once d of local time
// has passed, even when rounding the world delay (or LocalTime) would make it
// come due a nanosecond short, and a host that re-arms a short timer for what
// remains makes progress instead of looping at one instant (raft/Swarm seed
// 81 looped 50 million times at +0.2% drift).
func TestSimClockAfterFuncNeverEarly(t *testing.T) {
	for _, drift := range []float64{0.009, -0.01, 0.0071, 0.5} {
		for _, d := range []time.Duration{1, 2, 3, 7, 99, 1001, 123456789} {
			w, n, c := world(t)
			w.Schedule(13127614790, "skew", func() { n.SetClock(0, drift) })
			var start, fired time.Duration
			w.Schedule(13127614791, "arm", func() {
				start = (*c).Since()
				(*c).AfterFunc(d, func() { fired = (*c).Since() })
			})
			require.Nil(t, w.Run())
			require.GreaterOrEqual(t, fired-start, d, "drift %v, d %v: fired early", drift, d)
			require.LessOrEqual(t, fired-start, d+2, "drift %v, d %v: fired late", drift, d)
			require.Less(t, w.Events(), uint64(10), "drift %v, d %v: re-armed too often", drift, d)
		}
	}
}

// Issue 8 item 4: a clock timer armed by code of a node that crashed itself
// fails the run and never fires, not even after the node restarts.
func TestSimClockTimerOfACrashedNodeFailsTheRun(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	fired := false
	n := w.AddNode("n", func(n *sim.Node) {
		c := clock.NewSim(n)
		if n.Incarnation() == 0 {
			c.AfterFunc(time.Millisecond, func() {
				n.World().Crash(n)
				c.AfterFunc(time.Millisecond, func() { fired = true })
			})
		}
	})
	w.Start(n)
	w.Schedule(1500*time.Microsecond, "restart", func() { w.Restart(n) })
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "down-node", f.Check)
	require.False(t, fired)
}

// A labelled timer shows its label on its event in the trace ("timer
// election") and leaves the trace hash as an unlabelled one does; clocks
// without labels run the timer all the same.
func TestLabelledTimer(t *testing.T) {
	run := func(labelled bool) (uint64, []string) {
		var labels []string
		w := sim.NewWorld(sim.Options{Seed: 1, Trace: func(r sim.Record) {
			if r.Note == "" && r.Node == "n" {
				labels = append(labels, r.String()[strings.Index(r.String(), "# ")+2:])
			}
		}})
		n := w.AddNode("n", func(n *sim.Node) {
			c := clock.NewSim(n)
			var tick func()
			k := 0
			tick = func() {
				if k++; k > 3 {
					return
				}
				if labelled {
					clock.AfterFuncLabel(c, time.Second, "election", tick)
				} else {
					c.AfterFunc(time.Second, tick)
				}
			}
			tick()
		})
		w.Start(n)
		require.Nil(t, w.Run())
		return w.Hash(), labels
	}
	hash, labels := run(true)
	plainHash, plain := run(false)
	require.Equal(t, []string{"1 timer election", "2 timer election", "3 timer election"}, labels)
	require.Equal(t, []string{"1 timer", "2 timer", "3 timer"}, plain)
	require.Equal(t, plainHash, hash, "a label changed the trace hash")

	real := clock.AfterFuncLabel(clock.NewReal(), time.Hour, "election", func() { panic("a real timer an hour away fired during a test") })
	require.True(t, real.Stop(), "Stop before the timer fired")
}
