package kvsim

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/kv/lincheck"
	"github.com/lockstep-dst/lockstep/sim"
)

// puts is n Puts of distinct values to key, one after the other, each read back.
func puts(key string, n int) []porcupine.Operation {
	var h []porcupine.Operation
	for i := 0; i < n; i++ {
		v := fmt.Sprintf("v%d", i)
		t := int64(4 * i)
		h = append(h, op(0, t, t+1, kv.OpPut, key, v), op(0, t+2, t+3, kv.OpGet, key, v))
	}
	return h
}

// concurrentPuts is n Puts to key that all overlap, then a Get of the last.
func concurrentPuts(key string, n int) []porcupine.Operation {
	var h []porcupine.Operation
	for i := 0; i < n; i++ {
		h = append(h, op(i, 0, 100, kv.OpPut, key, fmt.Sprintf("v%d", i)))
	}
	return append(h, op(n, 200, 201, kv.OpGet, key, "v0"))
}

// unrevealedAppends is n concurrent Appends and a Get whose value is none of their
// orders: the Get's value gives the model no hints (it is not made of them), so the
// search must try the orders one by one: far more than any bound allows for n = 12.
func unrevealedAppends(key string, n int) []porcupine.Operation {
	var h []porcupine.Operation
	for i := 0; i < n; i++ {
		h = append(h, op(i, 0, 100, kv.OpAppend, key, fmt.Sprintf("<%02d>", i)))
	}
	return append(h, op(n, 200, 201, kv.OpGet, key, "nope"))
}

// TestBoundsDecideUnknown: a history over a bound is "unknown" (never a pass, never a
// failure), deterministically: the same error every time, with no wall time involved; the
// same shape of history under the bound is decided.
func TestBoundsDecideUnknown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []porcupine.Operation
		bounds  Bounds
		want    string // "" for a pass, else part of the unknown error
	}{
		{"ops per key over", puts("k", 6), Bounds{MaxOpsPerKey: 11}, `key "k" has 12 operations, over the bound of 11 per key`},
		{"ops per key at", puts("k", 6), Bounds{MaxOpsPerKey: 12}, ""},
		{"default ops per key over", puts("k", lincheck.DefaultMaxOpsPerKey/2+1), Bounds{}, "over the bound of 10000 per key"},
		{"concurrent over", concurrentPuts("k", 5), Bounds{MaxConcurrentPerKey: 4}, `key "k" has 5 concurrent operations, over the bound of 4`},
		{"concurrent at", concurrentPuts("k", 5), Bounds{MaxConcurrentPerKey: 5}, ""},
		{"steps over", unrevealedAppends("k", 8), Bounds{MaxStepsPerKey: 1000}, `key "k" took over 1000 model steps`},
		{"other key over steps", append(unrevealedAppends("a", 8), puts("b", 3)...), Bounds{MaxStepsPerKey: 1000}, `key "a" took over`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLinearizable(tc.history, "kv/Test", 1, tc.bounds)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, sim.ErrUnknown)
			require.ErrorContains(t, err, tc.want)
			again := CheckLinearizable(tc.history, "kv/Test", 1, tc.bounds)
			require.Equal(t, err.Error(), again.Error())
		})
	}
}

// TestStepBoundKeepsAFailure: a key that is not linearizable fails the check even when
// another key's search ran out of steps: its verdict is decided, the other key's is not
// needed.
func TestStepBoundKeepsAFailure(t *testing.T) {
	bad := []porcupine.Operation{op(0, 0, 1, kv.OpPut, "b", "x"), op(0, 2, 3, kv.OpGet, "b", "y")}
	h := append(unrevealedAppends("a", 8), bad...)
	t.Setenv("TMPDIR", t.TempDir())
	err := CheckLinearizable(h, "kv/Test", 1, Bounds{MaxStepsPerKey: 1000})
	require.Error(t, err)
	require.NotErrorIs(t, err, sim.ErrUnknown)
	require.ErrorContains(t, err, `history is not linearizable: key "b"`)
}

// TestStepBoundEndsTheSearch: under the default bounds, a history whose search would run
// for hours (twelve concurrent Appends whose order nothing reveals: billions of states)
// ends as unknown after lincheck.DefaultMaxStepsPerKey steps. It measures what that costs (the
// figure in the Bounds comment), so it runs only when asked:
//
//	KV_MEASURE_STEPS=1 go test ./kv/kvsim/ -run TestStepBoundEndsTheSearch -v
func TestStepBoundEndsTheSearch(t *testing.T) {
	if os.Getenv("KV_MEASURE_STEPS") == "" {
		t.Skip("set KV_MEASURE_STEPS to measure")
	}
	start := time.Now()
	err := CheckLinearizable(unrevealedAppends("k", 12), "kv/Test", 1, Bounds{})
	t.Logf("%d model steps took %v", lincheck.DefaultMaxStepsPerKey, time.Since(start))
	require.ErrorIs(t, err, sim.ErrUnknown)
	require.ErrorContains(t, err, fmt.Sprintf("took over %d model steps", lincheck.DefaultMaxStepsPerKey))
}

// TestPreparedIsPrepare: the check's history, built from the records directly, is what
// prepare makes of the recorded operations: the same keys in the same order, the same
// operations with the same fingerprints and order hints (some of them hinted).
func TestPreparedIsPrepare(t *testing.T) {
	var c *Cluster
	sc, ok := Scenario("kv/Swarm", Config{OnCluster: func(cl *Cluster) { c = cl }})
	require.True(t, ok)
	require.True(t, sim.RunScenario(sc, sim.Options{Seed: 3}).Passed())
	want := prepare(c.History.Operations())
	got := c.History.prepared()
	require.Equal(t, want, got)
	hinted := 0
	for _, part := range got {
		for _, op := range part {
			if op.Input.(*KVInput).hinted {
				hinted++
			}
		}
	}
	require.NotZero(t, hinted)
}
