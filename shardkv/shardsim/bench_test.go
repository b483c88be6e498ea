package shardsim

import (
	"testing"

	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkCtrler4A measures one pass of both 4A scenarios on one seed per iteration
// (the original's shardmaster suite: 13 s of wall time per the handout), and the ratio of
// virtual to wall time.
//
//	go test ./shardkv/shardsim/ -run '^$' -bench Ctrler4A
func BenchmarkCtrler4A(b *testing.B) {
	var scs []*sim.Scenario
	for _, name := range wantScenarios {
		sc, _ := sim.Lookup(name)
		scs = append(scs, sc)
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
