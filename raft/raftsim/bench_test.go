package raftsim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// Benchmarks for the speed targets of the Raft issue, measured with
//
//	go test ./raft/raftsim -run '^$' -bench . -benchtime 20x
//
// BenchmarkClusterVirtualTime reports how many virtual seconds a loaded 5-node cluster runs
// per wall second and per CPU second (target: 2,000 or more); BenchmarkSuite2ABC reports the
// wall and CPU time and the allocations of one pass of every 2A, 2B and 2C scenario on one
// seed (target: under 200 ms, against 167 s for the original suite). On a shared machine the CPU figures are the
// ones to compare (run with -test.cpu 1, so that the garbage collector runs on the same
// core); BenchmarkScenario and BenchmarkLab2Pass below report the figures of issue 12.

// clusterLoad is a 5-node cluster on a reliable network with one proposal every 50 ms of
// virtual time, on whichever peer leads, for d of virtual time.
func clusterLoad(d time.Duration) *sim.Scenario {
	return &sim.Scenario{Name: "raft/BenchClusterLoad", Main: func(p *sim.Proc) error {
		c := NewCluster(p, Setup{}, 5, false, false)
		r := p.World().Rand("raft/bench")
		proposed := 0
		for p.Now() < d {
			p.Sleep(50 * time.Millisecond)
			if l := c.leaderNow(); l >= 0 {
				if _, _, ok := c.peers[l].Start(randCmd(r)); ok {
					proposed++
				}
			}
		}
		if n, _ := c.NCommitted(proposed * 9 / 10); n < 5 {
			return fmt.Errorf("only %d peers committed index %d of %d proposals", n, proposed*9/10, proposed)
		}
		return nil
	}}
}

func BenchmarkClusterVirtualTime(b *testing.B) {
	sc := clusterLoad(60 * time.Second)
	var virtual time.Duration
	var events uint64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := simtest.CPUTime()
	for i := 0; i < b.N; i++ {
		res := sim.RunScenario(sc, sim.Options{Seed: uint64(i + 1)})
		if !res.Passed() {
			b.Fatalf("seed %d: %v", i+1, res.Failure)
		}
		virtual += res.Virtual
		events += res.Events
	}
	cpu := simtest.CPUTime() - cpu0
	wall := b.Elapsed()
	b.ReportMetric(virtual.Seconds()/wall.Seconds(), "virtual-s/wall-s")
	if cpu > 0 {
		// Per CPU second: what wall time would show on an idle core (-test.cpu 1).
		b.ReportMetric(virtual.Seconds()/cpu.Seconds(), "virtual-s/cpu-s")
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

func BenchmarkSuite2ABC(b *testing.B) {
	scs, err := sim.Match("raft/*2[ABC]")
	if err != nil || len(scs) == 0 {
		b.Fatalf("no raft/*2[ABC] scenarios: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := simtest.CPUTime()
	for i := 0; i < b.N; i++ {
		for _, sc := range scs {
			if res := sim.RunScenario(sc, sim.Options{Seed: 1}); !res.Passed() {
				b.Fatalf("%s seed 1: %v", sc.Name, res.Failure)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/pass")
	b.ReportMetric(float64((simtest.CPUTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/pass")
	b.ReportMetric(float64(len(scs)), "scenarios")
}

// BenchmarkScenario runs each raft/* scenario alone, seed i+1 at iteration i, and reports
// how many times faster than real time it simulates (x-realtime: virtual time over wall
// time; x-realtime-cpu: over the process's CPU time, which does not grow when other
// processes share the machine), its events and its allocations per run. The target of
// issue 12 is 1,000x real time on one core for every scenario:
//
//	go test ./raft/raftsim -run '^$' -bench 'Scenario/(ReliableChurn2C|Swarm)$' -benchtime 20x -test.cpu 1
func BenchmarkScenario(b *testing.B) {
	scs, err := sim.Match("raft/*")
	if err != nil || len(scs) == 0 {
		b.Fatalf("raft/*: %v", err)
	}
	for _, sc := range scs {
		b.Run(strings.TrimPrefix(sc.Name, "raft/"), func(b *testing.B) { simtest.Bench(b, sc) })
	}
}

// BenchmarkLab2Pass is one pass of the 18 Lab 2 scenarios (raft/*2[ABC]) on seed 1, as
// Suite2ABC, reporting the CPU seconds a pass takes (the process's user and system time,
// the garbage collector's included: run it with -test.cpu 1 for one core) beside its wall
// time, how many times faster than real time the pass simulates per wall second
// (x-realtime) and per CPU second (x-realtime-cpu), and its allocations. The target of
// issue 12 is 0.1 s of CPU per pass:
//
//	go test ./raft/raftsim -run '^$' -bench Lab2Pass -benchtime 20x -test.cpu 1
func BenchmarkLab2Pass(b *testing.B) {
	scs, err := sim.Match("raft/*2[ABC]")
	if err != nil || len(scs) != 18 {
		b.Fatalf("want the 18 raft/*2[ABC] scenarios, got %d: %v", len(scs), err)
	}
	b.ReportAllocs()
	var virtual time.Duration
	cpu0 := simtest.CPUTime()
	for i := 0; i < b.N; i++ {
		for _, sc := range scs {
			res := sim.RunScenario(sc, sim.Options{Seed: 1})
			if !res.Passed() {
				b.Fatalf("%s seed 1: %v", sc.Name, res.Failure)
			}
			virtual += res.Virtual
		}
	}
	cpu := simtest.CPUTime() - cpu0
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/pass")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/pass")
	b.ReportMetric(virtual.Seconds()/b.Elapsed().Seconds(), "x-realtime")
	if cpu > 0 {
		b.ReportMetric(virtual.Seconds()/cpu.Seconds(), "x-realtime-cpu")
	}
}
