package main

import (
	"go/build"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// BenchmarkScenario runs each scenario alone, seed i+1 at iteration i, and
// reports how many times faster than real time it simulates (simtest.Bench:
// x-realtime-cpu is virtual time over the process's CPU time), its events and
// its allocations per run. Issue 12's target is 1,000x on one core for every
// raft/* and kv/* scenario:
//
//	go test ./cmd/simrun -run '^$' -bench 'Scenario/kv/SnapshotRecoverManyClients3B$' -benchtime 30x -test.cpu 1
//
// It is the figure of simrun's own build: this test binary links the packages
// simrun links, built with simrun's default.pgo (go test applies a main
// package's profile), and nothing else (TestBenchBinaryLeanAsSimrun). The
// scenario benchmarks of kv/kvsim and raft/raftsim measure the same runs in
// binaries that also link their packages' property tests, and so rapid, whose
// initialization keeps about 1 MB of rune tables live for the process's
// lifetime; at GOGC=100, with a run's own live heap about as large, that
// makes the collector run a third more often, and SnapshotRecoverManyClients3B
// about 2.5% slower there. Like the other benchmarks here it runs at Go's
// default GC settings, not simrun's -gogc default.
func BenchmarkScenario(b *testing.B) {
	for _, sc := range suite(b) {
		b.Run(sc.Name, func(b *testing.B) { simtest.Bench(b, sc) })
	}
}

// TestBenchBinaryLeanAsSimrun keeps rapid out of this package's test
// binary, whose benchmarks should measure what simrun's own binary carries
// (see BenchmarkScenario): no package the tests here import, directly or
// through other packages, imports it.
func TestBenchBinaryLeanAsSimrun(t *testing.T) {
	const unwanted = "pgregory.net/rapid"
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	seen := map[string]string{} // package -> a package that imports it
	var todo []string
	add := func(paths []string, from string) {
		for _, p := range paths {
			if _, ok := seen[p]; !ok {
				seen[p] = from
				todo = append(todo, p)
			}
		}
	}
	add(pkg.Imports, "cmd/simrun")
	add(pkg.TestImports, "cmd/simrun's tests")
	add(pkg.XTestImports, "cmd/simrun's tests")
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if p == unwanted {
			t.Fatalf("cmd/simrun's test binary links %s (imported by %s): keep tests that need it in other packages", unwanted, seen[p])
		}
		if first, _, _ := strings.Cut(p, "/"); !strings.Contains(first, ".") {
			continue // the standard library imports nothing outside it
		}
		dep, err := build.Import(p, pkg.Dir, 0)
		require.NoError(t, err, "import %s", p)
		add(dep.Imports, p)
	}
	require.Contains(t, seen, "github.com/lockstep-dst/lockstep/kv/kvsim", "the walk did not reach the scenarios' packages")
}
