package kvsim

import (
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
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

// BenchmarkCheckLinearizable measures the end-of-run linearizability check alone, as
// Cluster.CheckLinearizableAtEnd runs it (records to porcupine operations, the witness
// orders, fingerprints and order hints for the keys no witness proves, bounds, porcupine's
// search), on the histories of the scenarios that check
// it, recorded before the timer starts. cpu-ms/op counts porcupine's goroutines too.
//
//	go test ./kv/kvsim/ -run '^$' -bench CheckLinearizable -benchtime 20x -test.cpu 1
func BenchmarkCheckLinearizable(b *testing.B) {
	var histories []*History
	for _, run := range []struct {
		name  string
		seeds int
	}{{"kv/Swarm", 4}, {"kv/PersistPartitionUnreliableLinearizable3A", 1},
		{"kv/SnapshotUnreliableRecoverConcurrentPartitionLinearizable3B", 1}} {
		var c *Cluster
		sc, _ := Scenario(run.name, Config{OnCluster: func(cl *Cluster) { c = cl }})
		for seed := 1; seed <= run.seeds; seed++ {
			if res := sim.RunScenario(sc, sim.Options{Seed: uint64(seed)}); !res.Passed() {
				b.Fatalf("%s seed %d: %v", run.name, seed, res.Failure)
			}
			histories = append(histories, c.History)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	ops := 0
	cpu0 := simtest.CPUTime() // porcupine searches the keys on goroutines of its own
	for i := 0; i < b.N; i++ {
		for _, h := range histories {
			parts, proven := h.checkable()
			if err := checkLinearizable(nil, parts, proven, h.Operations, "bench", 1, Bounds{}); err != nil {
				b.Fatal(err)
			}
			ops += h.Len()
		}
	}
	b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(simtest.CPUTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
