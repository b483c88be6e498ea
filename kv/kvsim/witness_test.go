package kvsim

import (
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/kv/lincheck"
)

// TestWitnessOnlyProves: on histories whose operations took effect at known points (the
// log indexes of the run), the witness accepts the true order, and whatever it accepts
// porcupine finds linearizable too; with the witness, the check's verdict is porcupine's
// alone on every history: corrupted outputs, indexes out of order, missing or repeated.
func TestWitnessOnlyProves(t *testing.T) {
	seen := map[string]int{}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 14).Draw(t, "n")
		state := ""
		var h []porcupine.Operation
		for i := 0; i < n; i++ {
			at := int64(10 * i)
			call := at - rapid.Int64Range(0, 25).Draw(t, "before")
			ret := at + rapid.Int64Range(0, 25).Draw(t, "after")
			value := appendValue(i%3, i)
			var o porcupine.Operation
			switch rapid.IntRange(0, 9).Draw(t, "kind") {
			case 0:
				state = value
				o = op(i%3, call, ret, kv.OpPut, "k", value)
			case 1, 2, 3, 4:
				state += value
				o = op(i%3, call, ret, kv.OpAppend, "k", value)
			default:
				o = op(i%3, call, ret, kv.OpGet, "k", state)
			}
			in := o.Input.(KVInput)
			in.at = i + 1 // the log index it took effect at
			o.Input = in
			h = append(h, o)
		}
		corrupt := rapid.IntRange(0, 4).Draw(t, "corrupt")
		victim := rapid.IntRange(0, n-1).Draw(t, "victim")
		other := rapid.IntRange(0, n-1).Draw(t, "other")
		in := h[victim].Input.(KVInput)
		switch corrupt {
		case 1: // a Get that read something else
			if in.Op == kv.OpGet {
				out := h[victim].Output.(KVOutput)
				out.Value = strings.TrimSuffix(out.Value, appendValue(0, 0)) + "x"
				h[victim].Output = out
			}
		case 2: // two indexes swapped
			oin := h[other].Input.(KVInput)
			in.at, oin.at = oin.at, in.at
			h[victim].Input, h[other].Input = in, oin
		case 3: // an operation with no index (a Get answered from a server's own state)
			in.at = 0
			h[victim].Input = in
		case 4: // two operations at one index
			in.at = h[other].Input.(KVInput).at
			h[victim].Input = in
		}
		model := Model()
		parts := prepare(h)
		require.Len(t, parts, 1)
		proved := witness(model, parts[0])
		plain := porcupine.CheckOperations(model, h)
		if corrupt == 0 {
			require.True(t, proved, "the true order is a linearization")
		}
		if proved {
			require.True(t, plain, "the witness accepted a history porcupine refuses")
		}
		res, err := lincheck.CheckPartitioned(model, parts, keyOf, Bounds{}, func(i int) bool { return witness(model, parts[i]) })
		require.NoError(t, err)
		require.Equal(t, plain, res.Ok)
		seen[map[bool]string{true: "proved", false: "searched"}[proved]+map[bool]string{true: " ok", false: " illegal"}[plain]]++
	})
	if !testing.Short() {
		require.NotZero(t, seen["proved ok"])
		require.NotZero(t, seen["searched ok"])
		require.NotZero(t, seen["searched illegal"])
	}
}
