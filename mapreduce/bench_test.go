package mapreduce

import (
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// BenchmarkOriginalChecks runs the five test-mr.sh checks once per
// iteration, each on the iteration's seed: one pass of the original script,
// which takes about 75 s of wall time. It reports wall and CPU time per
// pass, and the virtual time the pass simulated.
func BenchmarkOriginalChecks(b *testing.B) {
	var scenarios []*sim.Scenario
	for _, name := range OriginalScenarios {
		s, ok := sim.Lookup(name)
		if !ok {
			b.Fatalf("no scenario %s", name)
		}
		scenarios = append(scenarios, s)
	}
	var virtual time.Duration
	cpu0, wall0 := simtest.CPUTime(), time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range scenarios {
			res := sim.RunScenario(s, sim.Options{Seed: uint64(i + 1)})
			if !res.Passed() {
				b.Fatalf("%s seed %d: %v", s.Name, i+1, res.Failure)
			}
			virtual += res.Virtual
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(time.Since(wall0).Milliseconds())/n, "wall-ms/pass")
	b.ReportMetric(float64((simtest.CPUTime()-cpu0).Milliseconds())/n, "cpu-ms/pass")
	b.ReportMetric(virtual.Seconds()/n, "virtual-s/pass")
}

// BenchmarkScenario times each scenario alone, seed i+1 at iteration i: every
// iteration generates its corpus and sequential reference (a new seed misses the
// memo). It reports how many times faster than real time the scenario simulates
// (x-realtime: virtual over wall time; x-realtime-cpu: over the process's CPU
// time, which does not grow when other processes share the machine) and its
// allocations.
//
//	go test ./mapreduce -run '^$' -bench 'Scenario/wc' -benchtime 5x -cpu 1
func BenchmarkScenario(b *testing.B) {
	for _, s := range mapreduceScenarios(b) {
		b.Run(s.Name[len("mapreduce/"):], func(b *testing.B) {
			benchScenario(b, s, func(i int) uint64 { return uint64(i + 1) })
		})
	}
}

// BenchmarkScenarioSameSeed runs wc on seed 1 at every iteration: after the
// first, the corpus and the sequential reference come from the memo, as for the
// second run of a determinism check or a replay.
func BenchmarkScenarioSameSeed(b *testing.B) {
	s, ok := sim.Lookup("mapreduce/wc")
	if !ok {
		b.Fatal("no scenario mapreduce/wc")
	}
	b.Run("wc", func(b *testing.B) { benchScenario(b, s, func(int) uint64 { return 1 }) })
}

// BenchmarkSeed runs every mapreduce/* scenario on seed i+1 at iteration i:
// what one seed of the family costs in a sweep of the whole suite, where the
// scenarios share the seed's corpus and references (memo.go). It reports CPU
// milliseconds per seed, x-realtime and x-realtime-cpu over the six runs, and
// allocations.
//
//	go test ./mapreduce -run '^$' -bench 'Seed$' -benchtime 5x -cpu 1
func BenchmarkSeed(b *testing.B) {
	scenarios := mapreduceScenarios(b)
	forgetMemos()
	b.ReportAllocs()
	var virtual time.Duration
	cpu0 := simtest.CPUTime()
	for i := 0; i < b.N; i++ {
		for _, s := range scenarios {
			res := sim.RunScenario(s, sim.Options{Seed: uint64(i + 1)})
			if !res.Passed() {
				b.Fatalf("%s seed %d: %v", s.Name, i+1, res.Failure)
			}
			virtual += res.Virtual
		}
	}
	cpu := simtest.CPUTime() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/seed")
	b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "x-realtime")
	if cpu > 0 {
		b.ReportMetric(virtual.Seconds()/cpu.Seconds(), "x-realtime-cpu")
	}
}

// forgetMemos empties the corpus and reference memos, so that a benchmark's
// seeds are new to the process whatever ran before it (testing runs a
// benchmark function once with b.N = 1 before the measured run).
func forgetMemos() {
	corpora = memo[corpusKey, *corpus]{}
	references = memo[referenceKey, *reference]{}
}

func benchScenario(b *testing.B, s *sim.Scenario, seed func(i int) uint64) {
	forgetMemos()
	b.ReportAllocs()
	var virtual time.Duration
	cpu0 := simtest.CPUTime()
	for i := 0; i < b.N; i++ {
		res := sim.RunScenario(s, sim.Options{Seed: seed(i)})
		if !res.Passed() {
			b.Fatalf("seed %d: %v", seed(i), res.Failure)
		}
		virtual += res.Virtual
	}
	cpu := simtest.CPUTime() - cpu0
	b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "x-realtime")
	if cpu > 0 {
		b.ReportMetric(virtual.Seconds()/cpu.Seconds(), "x-realtime-cpu")
	}
}

// BenchmarkCorpus times generating the 3.3 MB input.
func BenchmarkCorpus(b *testing.B) {
	for i := 0; i < b.N; i++ {
		GenerateCorpus(sim.NewRand(uint64(i)), DefaultCorpus())
	}
	b.SetBytes(OriginalBytes)
}

// BenchmarkSequential times the sequential reference of wc and indexer over one
// generated corpus (what a scenario computes once per seed to check its output).
func BenchmarkSequential(b *testing.B) {
	inputs := GenerateCorpus(sim.NewRand(1), DefaultCorpus())
	for _, name := range []string{"wc", "indexer"} {
		app, ok := apps.Lookup(name)
		if !ok {
			b.Fatalf("no app %s", name)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(OriginalBytes)
			for i := 0; i < b.N; i++ {
				Sequential(app, inputs)
			}
		})
	}
}
