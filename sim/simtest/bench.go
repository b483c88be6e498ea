//lockstep:host benchmarks time whole runs from outside the simulation (process CPU time)

package simtest

import (
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Bench runs sc on seeds 1..b.N, failing the benchmark on the first run that
// does not pass, and reports how many times faster than real time it
// simulates: x-realtime (virtual over wall time) and x-realtime-cpu (virtual
// over the process's CPU time, which does not grow when other processes
// share the machine; run with -cpu 1 for one core), with events/op and
// allocations. A benchmark of a system's scenarios is then
//
//	func BenchmarkScenario(b *testing.B) {
//		scs, _ := sim.Match("mysys/*")
//		for _, sc := range scs {
//			b.Run(sc.Name, func(b *testing.B) { simtest.Bench(b, sc) })
//		}
//	}
func Bench(b *testing.B, sc *sim.Scenario) {
	b.Helper()
	b.ReportAllocs()
	var virtual time.Duration
	var events uint64
	cpu0 := CPUTime()
	for i := 0; i < b.N; i++ {
		res := sim.RunScenario(sc, sim.Options{Seed: uint64(i + 1)})
		if !res.Passed() {
			b.Fatalf("%s seed %d: %v", sc.Name, i+1, res.Failure)
		}
		virtual += res.Virtual
		events += res.Events
	}
	cpu := CPUTime() - cpu0
	b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "x-realtime")
	if cpu > 0 {
		b.ReportMetric(virtual.Seconds()/cpu.Seconds(), "x-realtime-cpu")
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
