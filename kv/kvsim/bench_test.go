package kvsim

import (
	"strings"
	"testing"

	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkClientOps measures simulated client operations completed per wall-clock second,
// whole scenarios included (servers, Raft, the checkers and, for the linearizability
// scenario, porcupine), and virtual seconds simulated per wall second.
//
//	go test ./kv/kvsim/ -run '^$' -bench ClientOps
func BenchmarkClientOps(b *testing.B) {
	for _, name := range []string{
		"kv/Concurrent3A",
		"kv/SnapshotUnreliableRecover3B",
		"kv/PersistPartitionUnreliableLinearizable3A",
		"kv/Swarm",
	} {
		var c *Cluster
		sc, _ := Scenario(name, Config{OnCluster: func(cl *Cluster) { c = cl }})
		b.Run(strings.TrimPrefix(name, "kv/"), func(b *testing.B) {
			b.ReportAllocs()
			ops, virtual := 0, 0.0
			for i := 0; i < b.N; i++ {
				res := sim.RunScenario(sc, sim.Options{Seed: uint64(i + 1)})
				if !res.Passed() {
					b.Fatalf("%s seed %d: %v", name, i+1, res.Failure)
				}
				ops += c.Ops()
				virtual += res.Virtual.Seconds()
			}
			wall := b.Elapsed().Seconds()
			b.ReportMetric(float64(ops)/wall, "ops/s")
			b.ReportMetric(float64(ops)/float64(b.N), "ops/run")
			b.ReportMetric(virtual/wall, "virtual-s/s")
		})
	}
}
