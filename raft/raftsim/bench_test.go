package raftsim

import (
	"fmt"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Benchmarks for the speed targets of the Raft issue, measured with
//
//	go test ./raft/raftsim -run '^$' -bench . -benchtime 20x
//
// BenchmarkClusterVirtualTime reports how many virtual seconds a loaded 5-node cluster runs
// per wall second (target: 2,000 or more); BenchmarkSuite2ABC reports the wall time of one
// pass of every 2A, 2B and 2C scenario on one seed (target: under 200 ms, against 167 s for
// the original suite).

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
	for i := 0; i < b.N; i++ {
		res := sim.RunScenario(sc, sim.Options{Seed: uint64(i + 1)})
		if !res.Passed() {
			b.Fatalf("seed %d: %v", i+1, res.Failure)
		}
		virtual += res.Virtual
		events += res.Events
	}
	wall := b.Elapsed()
	b.ReportMetric(virtual.Seconds()/wall.Seconds(), "virtual-s/wall-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

func BenchmarkSuite2ABC(b *testing.B) {
	scs, err := sim.Match("raft/*2[ABC]")
	if err != nil || len(scs) == 0 {
		b.Fatalf("no raft/*2[ABC] scenarios: %v", err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, sc := range scs {
			if res := sim.RunScenario(sc, sim.Options{Seed: 1}); !res.Passed() {
				b.Fatalf("%s seed 1: %v", sc.Name, res.Failure)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/pass")
	b.ReportMetric(float64(len(scs)), "scenarios")
}
