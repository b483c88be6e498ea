package mapreduce

import (
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// cpuTime is the process's user plus system CPU time: unlike wall time it
// does not grow when other processes share the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

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
	cpu0, wall0 := cpuTime(), time.Now()
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
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/n, "cpu-ms/pass")
	b.ReportMetric(virtual.Seconds()/n, "virtual-s/pass")
}

// BenchmarkScenario times each scenario alone, seed by seed.
func BenchmarkScenario(b *testing.B) {
	for _, s := range mapreduceScenarios(b) {
		b.Run(s.Name[len("mapreduce/"):], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if res := sim.RunScenario(s, sim.Options{Seed: uint64(i + 1)}); !res.Passed() {
					b.Fatalf("seed %d: %v", i+1, res.Failure)
				}
			}
		})
	}
}

// BenchmarkCorpus times generating the 3.3 MB input.
func BenchmarkCorpus(b *testing.B) {
	for i := 0; i < b.N; i++ {
		GenerateCorpus(sim.NewRand(uint64(i)), DefaultCorpus())
	}
	b.SetBytes(OriginalBytes)
}
