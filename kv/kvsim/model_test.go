package kvsim

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/sim"
)

// op builds a history operation: client, [call, ret], op, key, value (Put/Append input or
// Get output).
func op(client int, call, ret int64, o kv.Op, key, value string) porcupine.Operation {
	in, out := KVInput{Op: o, Key: key}, KVOutput{}
	if o == kv.OpGet {
		out.Value = value
	} else {
		in.Value = value
	}
	return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
}

func TestKVModel(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []porcupine.Operation
		ok      bool
	}{
		{"empty", nil, true},
		{"get of a missing key is empty", []porcupine.Operation{op(0, 0, 1, kv.OpGet, "k", "")}, true},
		{"sequential put, append, get", []porcupine.Operation{
			op(0, 0, 1, kv.OpPut, "k", "a"), op(0, 2, 3, kv.OpAppend, "k", "b"), op(0, 4, 5, kv.OpGet, "k", "ab")}, true},
		{"stale read after a completed put", []porcupine.Operation{
			op(0, 0, 1, kv.OpPut, "k", "a"), op(1, 2, 3, kv.OpPut, "k", "b"), op(0, 4, 5, kv.OpGet, "k", "a")}, false},
		{"concurrent put may or may not be seen", []porcupine.Operation{
			op(0, 0, 1, kv.OpPut, "k", "a"), op(1, 2, 10, kv.OpPut, "k", "b"), op(0, 3, 4, kv.OpGet, "k", "a"),
			op(0, 5, 6, kv.OpGet, "k", "b")}, true},
		{"but not unseen again", []porcupine.Operation{
			op(0, 0, 1, kv.OpPut, "k", "a"), op(1, 2, 10, kv.OpPut, "k", "b"), op(0, 3, 4, kv.OpGet, "k", "b"),
			op(0, 5, 6, kv.OpGet, "k", "a")}, false},
		{"concurrent appends in either order", []porcupine.Operation{
			op(0, 0, 5, kv.OpAppend, "k", "x"), op(1, 0, 5, kv.OpAppend, "k", "y"), op(2, 6, 7, kv.OpGet, "k", "yx")}, true},
		{"an append applied twice", []porcupine.Operation{
			op(0, 0, 5, kv.OpAppend, "k", "x"), op(2, 6, 7, kv.OpGet, "k", "xx")}, false},
		{"a lost append", []porcupine.Operation{
			op(0, 0, 5, kv.OpAppend, "k", "x"), op(1, 0, 5, kv.OpAppend, "k", "y"), op(2, 6, 7, kv.OpGet, "k", "y")}, false},
		{"keys are independent", []porcupine.Operation{
			op(0, 0, 1, kv.OpPut, "a", "1"), op(0, 2, 3, kv.OpPut, "b", "2"), op(1, 4, 5, kv.OpGet, "a", "1"),
			op(1, 6, 7, kv.OpGet, "b", "2")}, true},
		{"touching intervals are concurrent (closed intervals)", []porcupine.Operation{
			op(0, 0, 5, kv.OpPut, "k", "a"), op(1, 5, 6, kv.OpGet, "k", "")}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.ok, porcupine.CheckOperations(Model(), tc.history), "plain model")
			require.Equal(t, tc.ok, porcupine.CheckOperations(Model(), slices.Concat(prepare(tc.history)...)), "with hints")
		})
	}
}

func TestPartitionByKeyIsSorted(t *testing.T) {
	h := []porcupine.Operation{op(0, 0, 1, kv.OpGet, "b", ""), op(0, 2, 3, kv.OpGet, "a", ""), op(0, 4, 5, kv.OpGet, "b", "")}
	parts := partitionByKey(h)
	require.Len(t, parts, 2)
	require.Equal(t, "a", parts[0][0].Input.(KVInput).Key)
	require.Len(t, parts[1], 2)
}

// TestOrderHintsKeepTheVerdict: Model on a prepared history (fingerprints and order hints)
// gives the plain model's verdict on the history as it was. Histories come
// from a sequential execution of random operations on two keys (each given a random
// interval that contains its linearization point), sometimes with one Get's output
// corrupted, so that both verdicts occur. Values repeat (as the 6.824 clients' do across
// iterations) and are sometimes empty.
func TestOrderHintsKeepTheVerdict(t *testing.T) {
	verdicts := map[bool]int{}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 14).Draw(t, "n")
		state := map[string]string{}
		var h []porcupine.Operation
		for i := 0; i < n; i++ {
			key := rapid.SampledFrom([]string{"a", "b"}).Draw(t, "key")
			at := int64(10 * i)
			call := at - rapid.Int64Range(0, 25).Draw(t, "before")
			ret := at + rapid.Int64Range(0, 25).Draw(t, "after")
			value := appendValue(i%3, rapid.IntRange(0, n).Draw(t, "seq"))
			if rapid.IntRange(0, 9).Draw(t, "empty") == 0 {
				value = ""
			}
			switch rapid.IntRange(0, 9).Draw(t, "kind") {
			case 0:
				state[key] = value
				h = append(h, op(i%3, call, ret, kv.OpPut, key, value))
			case 1, 2, 3, 4:
				state[key] += value
				h = append(h, op(i%3, call, ret, kv.OpAppend, key, value))
			default:
				h = append(h, op(i%3, call, ret, kv.OpGet, key, state[key]))
			}
		}
		if rapid.Bool().Draw(t, "corrupt") {
			i := rapid.IntRange(0, n-1).Draw(t, "victim")
			if h[i].Input.(KVInput).Op == kv.OpGet {
				out := h[i].Output.(KVOutput)
				switch rapid.IntRange(0, 2).Draw(t, "how") {
				case 0: // drop the last part
					if k := strings.LastIndex(strings.TrimSuffix(out.Value, " y"), " y"); k >= 0 {
						out.Value = out.Value[:k+2]
					} else {
						out.Value = ""
					}
				case 1: // duplicate the value
					out.Value += out.Value
				case 2: // swap the halves
					out.Value = out.Value[len(out.Value)/2:] + out.Value[:len(out.Value)/2]
				}
				h[i].Output = out
			}
		}
		plain := porcupine.CheckOperations(Model(), h)
		hinted := porcupine.CheckOperations(Model(), slices.Concat(prepare(h)...))
		if plain != hinted {
			t.Fatalf("plain model says %v, hinted model says %v, for %v", plain, hinted, h)
		}
		verdicts[plain]++
	})
	if testing.Short() {
		return // rapid draws 20 histories instead of 100: too few to be sure of both verdicts
	}
	require.NotZero(t, verdicts[true])
	require.NotZero(t, verdicts[false])
}

func TestCheckLinearizableWritesTheVisualization(t *testing.T) {
	h := []porcupine.Operation{
		op(0, 0, 1, kv.OpPut, "k", "a"), op(1, 2, 3, kv.OpPut, "k", "b"), op(0, 4, 5, kv.OpGet, "k", "a"),
		op(0, 6, 7, kv.OpPut, "fine", "x"),
	}
	err := CheckLinearizable(h, "kv/Test", 42, Bounds{})
	require.Error(t, err)
	require.False(t, errors.Is(err, sim.ErrUnknown))
	require.Contains(t, err.Error(), `key "k"`)
	require.NotContains(t, err.Error(), `"fine"`)
	i := strings.Index(err.Error(), "visualization: ")
	require.GreaterOrEqual(t, i, 0, err.Error())
	path := err.Error()[i+len("visualization: "):]
	require.Contains(t, path, "kv_Test-seed42")
	html, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	require.Contains(t, string(html), "<html")
	require.NoError(t, os.Remove(path))

	require.NoError(t, CheckLinearizable(h[:2], "kv/Test", 42, Bounds{}))
}

// TestPrefixFree: both ways prefixFree decides (prefix lookups for few lengths, sorting
// for many) agree with the definition.
func TestPrefixFree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		list := rapid.SliceOfNDistinct(rapid.StringMatching(`[ab]{1,12}`), 1, 30, rapid.ID[string]).Draw(t, "values")
		values := map[string]kv.Op{}
		var lens []int
		for _, v := range list {
			values[v] = kv.OpAppend
			if i, found := slices.BinarySearch(lens, len(v)); !found {
				lens = slices.Insert(lens, i, len(v))
			}
		}
		want := true
		for _, a := range list {
			for _, b := range list {
				if a != b && strings.HasPrefix(b, a) {
					want = false
				}
			}
		}
		if got := prefixFree(values, lens); got != want {
			t.Fatalf("prefixFree(%q) = %v, want %v (%d lengths)", list, got, want, len(lens))
		}
	})
}
