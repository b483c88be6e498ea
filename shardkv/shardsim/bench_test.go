package shardsim

import (
	"testing"

	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkPass measures one pass of the 4A scenarios, and of every 4[AB] scenario, on
// one seed per iteration, -parallel 1 (the original's shardmaster suite: 13 s of wall
// time per the handout; 4A and 4B: 152 s), and the ratio of virtual to wall time.
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
	virtual := 0.0
	for i := 0; i < b.N; i++ {
		for _, sc := range scs {
			res := sim.RunScenario(sc, sim.Options{Seed: uint64(i + 1)})
			if !res.Passed() {
				b.Fatalf("%s seed %d: %v", sc.Name, i+1, res.Failure)
			}
			virtual += res.Virtual.Seconds()
		}
	}
	b.ReportMetric(virtual/b.Elapsed().Seconds(), "virtual-s/s")
	b.ReportMetric(virtual/float64(b.N), "virtual-s/pass")
}
