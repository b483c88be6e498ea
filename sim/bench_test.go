package sim_test

import (
	"fmt"
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

// BenchmarkNodeEvents is BenchmarkEventLoop with the events spread over 5
// nodes: the path of timers and deliveries, whose tiebreaks come from their
// node's stream.
func BenchmarkNodeEvents(b *testing.B) {
	const pending = 1000
	w := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: uint64(b.N) + pending + 1, MaxTime: time.Duration(1<<62 - 1)})
	var nodes []*sim.Node
	for i := 0; i < 5; i++ {
		n := w.AddNode(fmt.Sprint("n", i), func(*sim.Node) {})
		w.Start(n)
		nodes = append(nodes, n)
	}
	remaining := b.N
	for i := 0; i < pending; i++ {
		delay := time.Duration(1+i%97) * time.Microsecond
		n := nodes[i%len(nodes)]
		var fn func()
		fn = func() {
			remaining--
			if remaining <= 0 {
				w.Stop()
				return
			}
			n.After(delay, "e", fn)
		}
		n.After(delay, "e", fn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if f := w.Run(); f != nil {
		b.Fatal(f)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkProcSleep is a process sleeping in a loop: a coroutine switch
// there and back per event.
func BenchmarkProcSleep(b *testing.B) {
	w := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: uint64(b.N) + 10, MaxTime: time.Duration(1<<62 - 1)})
	w.Spawn(nil, "sleeper", func(p *sim.Proc) {
		for i := 1; i < b.N; i++ {
			p.Sleep(time.Microsecond)
		}
		w.Stop()
	})
	b.ReportAllocs()
	b.ResetTimer()
	if f := w.Run(); f != nil {
		b.Fatal(f)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
