package main

import (
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// suite is every scenario `simrun run -scenario '*'` sweeps, in sweep order
// (by name): all those expected to pass, without the ones this test binary
// registers for its own tests (example/RegisterBrokenSync fails by design).
func suite(b *testing.B) []*sim.Scenario {
	b.Helper()
	var scs []*sim.Scenario
	for _, sc := range sim.Scenarios() {
		if sc.Name != brokenSync {
			scs = append(scs, sc)
		}
	}
	if len(scs) == 0 {
		b.Fatal("no scenario registered")
	}
	return scs
}

// A pass is one seed of every scenario. Each pass of a benchmark takes the
// next seed (the first pass seed 1, and so on across the rounds go test
// makes with growing b.N, and across -count), so that no pass profits from
// what an earlier one memoized for its seed (mapreduce keeps a seed's corpus
// and reference): every pass costs what a fresh seed costs in a sweep.
type passSeeds struct{ next uint64 }

func (s *passSeeds) take() uint64 { s.next++; return s.next }

// The seeds of each benchmark's passes so far.
var suitePassSeeds, sweep2Seeds passSeeds

// suiteMetrics reports what b.N passes of scs took: CPU seconds (user plus
// system, the garbage collector's included) and wall seconds per pass, and
// full-suite seeds per hour of wall time.
func suiteMetrics(b *testing.B, cpu time.Duration, scs []*sim.Scenario, events uint64) {
	wall := b.Elapsed().Seconds()
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/pass")
	b.ReportMetric(wall/float64(b.N), "wall-s/pass")
	b.ReportMetric(3600*float64(b.N)/wall, "seeds/hour")
	b.ReportMetric(float64(events)/float64(b.N), "events/pass")
	b.ReportMetric(float64(len(scs)), "scenarios")
}

// BenchmarkSuitePass is issue 12's "one seed of every scenario, -parallel 1"
// (target: 1.5 s of wall time on an idle machine): each op is a pass, the
// runs one after the other on one goroutine, as `simrun run -scenario '*'
// -seeds S-S -parallel 1` makes them. It reports cpu-s/pass and wall-s/pass,
// allocations per pass, and the full-suite seeds per hour one worker makes.
// It runs at Go's default GC settings (GOGC=100), not simrun's: set GOGC
// and GOMEMLIMIT in the environment to measure those.
//
//	go test ./cmd/simrun -run '^$' -bench 'Suite' -benchtime 3x
func BenchmarkSuitePass(b *testing.B) {
	scs := suite(b)
	seeds := &suitePassSeeds
	var events uint64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := simtest.CPUTime()
	for i := 0; i < b.N; i++ {
		seed := seeds.take()
		for _, sc := range scs {
			res := sim.RunScenario(sc, sim.Options{Seed: seed})
			if !res.Passed() {
				b.Fatalf("%s seed %d: %s: %v", sc.Name, seed, res.Outcome, res.Failure)
			}
			events += res.Events
		}
	}
	suiteMetrics(b, simtest.CPUTime()-cpu0, scs, events)
}

// BenchmarkSuiteSweep2 is issue 12's "full-suite seeds per hour on 2 cores"
// (target: 5,000): each op is a pass, one seed of every scenario, and the
// runs of all b.N passes go to two workers that take them in sweep order
// (scenario by scenario, seeds ascending within each, as `simrun run
// -scenario '*' -seeds 1-N -parallel 2` orders its jobs), each taking the
// next run as soon as it finished one. seeds/hour is passes per hour of wall
// time; it needs two cores (GOMAXPROCS 2 or more: not -test.cpu 1).
//
//	go test ./cmd/simrun -run '^$' -bench 'SuiteSweep2' -benchtime 4x
func BenchmarkSuiteSweep2(b *testing.B) {
	const workers = 2
	scs := suite(b)
	seeds := &sweep2Seeds
	first := seeds.next + 1
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := simtest.CPUTime()
	type job struct {
		sc   *sim.Scenario
		seed uint64
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var events uint64
	var failed []string
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res := sim.RunScenario(j.sc, sim.Options{Seed: j.seed})
				mu.Lock()
				events += res.Events
				if !res.Passed() {
					failed = append(failed, j.sc.Name)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		seeds.take()
	}
	for _, sc := range scs {
		for seed := first; seed <= seeds.next; seed++ {
			jobs <- job{sc, seed}
		}
	}
	close(jobs)
	wg.Wait()
	if len(failed) > 0 {
		b.Fatalf("%d run(s) of seeds %d-%d failed: %v", len(failed), first, seeds.next, failed)
	}
	suiteMetrics(b, simtest.CPUTime()-cpu0, scs, events)
}
