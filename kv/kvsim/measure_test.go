package kvsim

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/kv/lincheck"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestMeasureHistories measures what the linearizability bounds (Bounds) are chosen from:
// over seeds 1-N of the scenarios that check linearizability, the largest key history, the
// most concurrent operations on a key, and the model steps, state comparisons and wall time
// porcupine's search of a key takes. It runs only when asked, as the measurement behind the
// defaults:
//
//	KV_MEASURE_SEEDS=200 [KV_MEASURE_SCENARIO=kv/Swarm] go test ./kv/kvsim/ -run TestMeasureHistories -v -timeout 30m
//
// It fails if a measured history is over a default bound.
func TestMeasureHistories(t *testing.T) {
	from, to := uint64(1), uint64(0)
	if a, b, ok := strings.Cut(os.Getenv("KV_MEASURE_SEEDS"), "-"); ok {
		from, _ = strconv.ParseUint(a, 10, 64)
		to, _ = strconv.ParseUint(b, 10, 64)
	} else {
		to, _ = strconv.ParseUint(a, 10, 64)
	}
	if to < from || to == 0 {
		t.Skip("set KV_MEASURE_SEEDS (N, or A-B) to measure")
	}
	names := []string{"kv/Swarm", "kv/PersistPartitionUnreliableLinearizable3A",
		"kv/SnapshotUnreliableRecoverConcurrentPartitionLinearizable3B"}
	if only := os.Getenv("KV_MEASURE_SCENARIO"); only != "" {
		names = []string{only}
	}
	for _, name := range names {
		var c *Cluster
		sc, ok := Scenario(name, Config{OnCluster: func(cl *Cluster) { c = cl }})
		require.True(t, ok, name)
		var most struct {
			ops, concurrent, steps, compares int
			wall                             time.Duration
		}
		for seed := from; seed <= to; seed++ {
			res := sim.RunScenario(sc, sim.Options{Seed: seed})
			require.True(t, res.Passed(), "%s seed %d: %v", name, seed, res.Failure)
			model := Model()
			model.Partition = nil
			step, steps := model.Step, 0
			model.Step = func(s, in, out any) (bool, any) { steps++; return step(s, in, out) }
			equal, compares := model.Equal, 0
			model.Equal = func(a, b any) bool { compares++; return equal(a, b) }
			for _, part := range prepare(c.History.Operations()) {
				steps, compares = 0, 0
				start := time.Now()
				ok := porcupine.CheckOperations(model, part)
				wall := time.Since(start)
				require.True(t, ok)
				conc := lincheck.MaxConcurrent(part)
				key := keyOf(part[0].Input)
				if len(part) > most.ops || conc > most.concurrent || steps > most.steps || compares > most.compares || wall > most.wall {
					t.Logf("%s seed %d key %q: %d operations, %d concurrent, %d steps, %d comparisons, %v",
						name, seed, key, len(part), conc, steps, compares, wall)
				}
				most.ops, most.concurrent = max(most.ops, len(part)), max(most.concurrent, conc)
				most.steps, most.compares, most.wall = max(most.steps, steps), max(most.compares, compares), max(most.wall, wall)
			}
		}
		t.Logf("%s seeds %d-%d: per key at most %d operations, %d concurrent, %d steps, %d comparisons, %v",
			name, from, to, most.ops, most.concurrent, most.steps, most.compares, most.wall)
		require.LessOrEqual(t, most.ops, lincheck.DefaultMaxOpsPerKey)
		require.LessOrEqual(t, most.concurrent, lincheck.DefaultMaxConcurrentPerKey)
		require.LessOrEqual(t, most.steps, lincheck.DefaultMaxStepsPerKey)
		require.LessOrEqual(t, most.compares, lincheck.DefaultMaxComparesPerKey)
	}
}
