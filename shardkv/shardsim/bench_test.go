package shardsim

import (
	"strings"
	"testing"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// BenchmarkPass measures one pass of the 4A scenarios, and of every 4[AB] scenario, on
// one seed per iteration, -parallel 1 (the original's shardmaster suite: 13 s of wall
// time per the handout; 4A and 4B: 152 s), the ratio of virtual to wall time
// (virtual-s/s, the same as x-realtime) and to the process's CPU time (x-realtime-cpu,
// which does not grow when other processes share the machine), and allocations.
//
//	go test ./shardkv/shardsim/ -run '^$' -bench Pass
func BenchmarkPass(b *testing.B) {
	b.Run("4A", func(b *testing.B) { benchPass(b, "shardkv/*4A") })
	b.Run("4AB", func(b *testing.B) { benchPass(b, "shardkv/*4[AB]") })
}

func benchPass(b *testing.B, pattern string) {
	scs, err := sim.Match(pattern)
	if err != nil || len(scs) == 0 {
		b.Fatalf("%s: %v", pattern, err)
	}
	b.ReportAllocs()
	virtual := 0.0
	cpu0 := simtest.CPUTime()
	for i := 0; i < b.N; i++ {
		for _, sc := range scs {
			res := sim.RunScenario(sc, sim.Options{Seed: uint64(i + 1)})
			if !res.Passed() {
				b.Fatalf("%s seed %d: %v", sc.Name, i+1, res.Failure)
			}
			virtual += res.Virtual.Seconds()
		}
	}
	cpu := simtest.CPUTime() - cpu0
	b.ReportMetric(virtual/b.Elapsed().Seconds(), "virtual-s/s")
	if cpu > 0 {
		b.ReportMetric(virtual/cpu.Seconds(), "x-realtime-cpu")
	}
	b.ReportMetric(virtual/float64(b.N), "virtual-s/pass")
}

// BenchmarkScenario runs each shardkv/* scenario alone, seed i+1 at iteration i, and
// reports how many times faster than real time it simulates (x-realtime over wall time,
// x-realtime-cpu over the process's CPU time), its events and its allocations per run
// (sim/simtest.Bench):
//
//	go test ./shardkv/shardsim -run '^$' -bench 'Scenario/' -benchtime 3x -test.cpu 1
func BenchmarkScenario(b *testing.B) {
	scs, err := sim.Match("shardkv/*")
	if err != nil || len(scs) == 0 {
		b.Fatalf("shardkv/*: %v", err)
	}
	for _, sc := range scs {
		b.Run(strings.TrimPrefix(sc.Name, "shardkv/"), func(b *testing.B) { simtest.Bench(b, sc) })
	}
}
