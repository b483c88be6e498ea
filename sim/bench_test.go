package sim_test

import (
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkEventLoop measures the kernel alone: 1,000 pending events with
// empty handlers, each rescheduling itself, so the queue stays at 1,000 and
// every operation is one pop and one push. Delays vary per event, so the heap
// does real reordering work rather than appending in order.
func BenchmarkEventLoop(b *testing.B) {
	const pending = 1000
	w := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: uint64(b.N) + pending + 1, MaxTime: time.Duration(1<<62 - 1)})
	remaining := b.N
	for i := 0; i < pending; i++ {
		delay := time.Duration(1+i%97) * time.Microsecond
		var fn func()
		fn = func() {
			remaining--
			if remaining <= 0 {
				w.Stop()
				return
			}
			w.Schedule(delay, "e", fn)
		}
		w.Schedule(delay, "e", fn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if f := w.Run(); f != nil {
		b.Fatal(f)
	}
	b.StopTimer()
	if got := w.Events(); got != uint64(b.N) {
		b.Fatalf("ran %d events, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
