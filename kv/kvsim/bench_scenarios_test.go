package kvsim

import (
	"strings"
	"testing"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// BenchmarkScenario runs each kv/* scenario alone, seed i+1 at iteration i, -parallel 1,
// and reports how many times faster than real time it simulates (x-realtime: virtual
// time over wall time; x-realtime-cpu: over the process's CPU time, which does not grow
// when other processes share the machine), its events, and its allocations per run.
//
//	go test ./kv/kvsim/ -run '^$' -bench 'Scenario/' -benchtime 10x -test.cpu 1
func BenchmarkScenario(b *testing.B) {
	scs, err := sim.Match("kv/*")
	if err != nil || len(scs) == 0 {
		b.Fatalf("kv/*: %v", err)
	}
	for _, sc := range scs {
		b.Run(strings.TrimPrefix(sc.Name, "kv/"), func(b *testing.B) { simtest.Bench(b, sc) })
	}
}
