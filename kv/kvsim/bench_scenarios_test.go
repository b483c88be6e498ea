package kvsim

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkScenario runs each kv/* scenario alone, seed i+1 at iteration i, -parallel 1,
// and reports how many times faster than real time it simulates (x-realtime: virtual
// time over wall time; x-realtime-cpu: over the process's CPU time, which does not grow
// when other processes share the machine), its events, and its allocations per run.
//
//	go test ./kv/kvsim/ -run '^$' -bench 'Scenario/' -benchtime 10x -test.cpu 1
func BenchmarkScenario(b *testing.B) {
	scs, err := sim.Match("kv/*")
	if err != nil || len(scs) == 0 {
		b.Fatalf("kv/*: %v", err)
	}
	for _, sc := range scs {
		b.Run(strings.TrimPrefix(sc.Name, "kv/"), func(b *testing.B) { benchScenario(b, sc) })
	}
}

// benchScenario runs sc on seeds 1..b.N and reports its speed.
func benchScenario(b *testing.B, sc *sim.Scenario) {
	b.ReportAllocs()
	var virtual time.Duration
	var events uint64
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res := sim.RunScenario(sc, sim.Options{Seed: uint64(i + 1)})
		if !res.Passed() {
			b.Fatalf("%s seed %d: %v", sc.Name, i+1, res.Failure)
		}
		virtual += res.Virtual
		events += res.Events
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "x-realtime")
	if cpu > 0 {
		b.ReportMetric(virtual.Seconds()/cpu.Seconds(), "x-realtime-cpu")
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
