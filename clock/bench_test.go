package clock_test

import (
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkSimTimer arms a timer and lets it fire, as a host's heartbeat or
// election timer does: one op is one AfterFunc and its event.
func BenchmarkSimTimer(b *testing.B) { benchTimer(b, false) }

// BenchmarkSimTimerReset arms a timer, stops it and arms another, as a host
// that moves its deadline earlier does: one op is one Stop and two
// AfterFuncs (the stopped timer's event still runs, and does nothing).
func BenchmarkSimTimerReset(b *testing.B) { benchTimer(b, true) }

func benchTimer(b *testing.B, reset bool) {
	w := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: 1 << 62, MaxTime: time.Duration(1<<62 - 1)})
	var c *clock.Sim
	node := w.AddNode("n", func(n *sim.Node) { c = clock.NewSim(n) })
	w.Start(node)
	fired := 0
	var tick func()
	tick = func() {
		fired++
		if fired >= b.N {
			return
		}
		if reset {
			c.AfterFunc(time.Second, tick).Stop()
		}
		clock.AfterFuncLabel(c, time.Millisecond, "tick", tick)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c.AfterFunc(time.Millisecond, tick)
	if f := w.Run(); f != nil {
		b.Fatal(f)
	}
	if fired != b.N {
		b.Fatalf("%d timers fired, want %d", fired, b.N)
	}
}
