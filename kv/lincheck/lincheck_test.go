package lincheck

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

// A register per key: in is {key, write?, value}; a read's output is the value it saw.
type in struct {
	key   string
	write bool
	value string
}

var register = porcupine.Model{
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		i := input.(in)
		if i.write {
			return true, i.value
		}
		return output.(string) == state.(string), state
	},
	Equal: func(a, b any) bool { return a == b },
}

func keyOf(input any) string { return input.(in).key }

func w(client int, call, ret int64, key, v string) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: in{key, true, v}, Output: "", Call: call, Return: ret}
}

func r(client int, call, ret int64, key, v string) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: in{key, false, ""}, Output: v, Call: call, Return: ret}
}

// sequential is n writes of distinct values to key, one after the other, each read back.
func sequential(key string, n int) []porcupine.Operation {
	var h []porcupine.Operation
	for i := range n {
		v, t := fmt.Sprint(i), int64(4*i)
		h = append(h, w(0, t, t+1, key, v), r(0, t+2, t+3, key, v))
	}
	return h
}

// concurrent is n overlapping writes to key, then a read of the first.
func concurrent(key string, n int) []porcupine.Operation {
	var h []porcupine.Operation
	for i := range n {
		h = append(h, w(i, 0, 100, key, fmt.Sprint(i)))
	}
	return append(h, r(n, 200, 201, key, "0"))
}

// hopeless is n overlapping writes and a read of a value none wrote: illegal, but the
// search must try every order of the writes to learn it (n! of them).
func hopeless(key string, n int) []porcupine.Operation {
	var h []porcupine.Operation
	for i := range n {
		h = append(h, w(i, 0, 100, key, fmt.Sprint(i)))
	}
	return append(h, r(n, 200, 201, key, "nope"))
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []porcupine.Operation
		bounds  Bounds
		unknown string   // part of the unknown error, if the check is undecided
		illegal []string // the keys not linearizable, if it is decided and fails
	}{
		{"legal", append(sequential("a", 3), concurrent("b", 4)...), Bounds{}, "", nil},
		{"ops over", sequential("k", 6), Bounds{MaxOpsPerKey: 11}, `key "k" has 12 operations, over the bound of 11 per key`, nil},
		{"ops at", sequential("k", 6), Bounds{MaxOpsPerKey: 12}, "", nil},
		{"default ops over", sequential("k", DefaultMaxOpsPerKey/2+1), Bounds{}, "over the bound of 10000 per key", nil},
		{"concurrent over", concurrent("k", 5), Bounds{MaxConcurrentPerKey: 4}, `key "k" has 5 concurrent operations, over the bound of 4`, nil},
		{"concurrent at", concurrent("k", 5), Bounds{MaxConcurrentPerKey: 5}, "", nil},
		{"steps over", hopeless("k", 7), Bounds{MaxStepsPerKey: 1000}, `key "k" took over 1000 model steps`, nil},
		{"steps under", hopeless("k", 3), Bounds{MaxStepsPerKey: 1000}, "", []string{"k"}},
		{"illegal names its key", append(sequential("a", 2), w(0, 50, 51, "b", "x"), r(0, 52, 53, "b", "y")), Bounds{}, "", []string{"b"}},
		{"illegal beats undecided", append(hopeless("a", 7), w(0, 300, 301, "b", "x"), r(0, 302, 303, "b", "y")), Bounds{MaxStepsPerKey: 1000}, "", []string{"b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Check(register, tc.history, keyOf, tc.bounds)
			if tc.unknown != "" {
				require.ErrorIs(t, err, sim.ErrUnknown)
				require.ErrorContains(t, err, tc.unknown)
				// Deterministic: the same error every time, with no wall time involved.
				_, again := Check(register, tc.history, keyOf, tc.bounds)
				require.Equal(t, err.Error(), again.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.illegal == nil, res.Ok)
			require.Equal(t, tc.illegal, res.Illegal)
			if tc.name == "illegal beats undecided" {
				require.Equal(t, []string{"a"}, res.Undecided)
			}
		})
	}
}

// TestStepBoundIsExact: the step bound ends a search after exactly the same number of
// model steps on every run, so the verdict does not depend on the machine.
func TestStepBoundIsExact(t *testing.T) {
	steps := 0
	counted := register
	counted.Step = func(s, i, o any) (bool, any) { steps++; return register.Step(s, i, o) }
	for range 3 {
		steps = 0
		_, err := Check(counted, hopeless("k", 7), keyOf, Bounds{MaxStepsPerKey: 1000})
		require.ErrorIs(t, err, sim.ErrUnknown)
		require.Equal(t, 1000, steps)
	}
}

// appender is a model whose state is the concatenation of the values written: as in
// 6.824's KV model's Appends, every order of a set of writes reaches a state of its own.
var appender = porcupine.Model{
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		i := input.(in)
		if i.write {
			return true, state.(string) + i.value + ","
		}
		return output.(string) == state.(string), state
	},
	Equal: func(a, b any) bool { return a == b },
}

// TestCompareBoundEndsTheSearch: a search that compares states more often than the bound
// allows, far under the step bound, ends as unknown, after the same number of comparisons
// on every run; and the record made for another key's failure leaves the undecided key out.
func TestCompareBoundEndsTheSearch(t *testing.T) {
	compares, steps := 0, 0
	counted := appender
	counted.Step = func(s, i, o any) (bool, any) { steps++; return appender.Step(s, i, o) }
	counted.Equal = func(a, b any) bool { compares++; return appender.Equal(a, b) }
	bounds := Bounds{MaxStepsPerKey: 1 << 40, MaxComparesPerKey: 500}
	first := -1
	for range 3 {
		compares, steps = 0, 0
		_, err := Check(counted, hopeless("k", 7), keyOf, bounds)
		require.ErrorIs(t, err, sim.ErrUnknown)
		require.ErrorContains(t, err, `key "k" took over 1099511627776 model steps or 500 state comparisons`)
		require.Greater(t, compares, 500)
		if first < 0 {
			first = compares
		}
		require.Equal(t, first, compares)
	}
	unbounded := 0
	counted.Equal = func(a, b any) bool { unbounded++; return appender.Equal(a, b) }
	_, err := Check(counted, hopeless("k", 7), keyOf, Bounds{MaxStepsPerKey: 1 << 40, MaxComparesPerKey: 1 << 40})
	require.NoError(t, err, "decided without the bound")
	require.Greater(t, unbounded, 10*first, "the bound cut the search short")

	// A model without Equal compares as porcupine's default does (==), counted too.
	noEqual := appender
	noEqual.Equal = nil
	_, err = Check(noEqual, hopeless("k", 7), keyOf, bounds)
	require.ErrorIs(t, err, sim.ErrUnknown)

	h := append(hopeless("a", 7), w(0, 300, 301, "b", "x"), r(0, 302, 303, "b", "y"))
	res, err := Check(appender, h, keyOf, bounds)
	require.NoError(t, err)
	require.Equal(t, []string{"b"}, res.Illegal)
	require.Equal(t, []string{"a"}, res.Undecided)
	require.Len(t, res.Info.PartialLinearizations(), 1, "the record holds key b alone")
}

func TestMaxConcurrent(t *testing.T) {
	// A call at the instant another operation returns overlaps it, as porcupine orders them.
	require.Equal(t, 2, MaxConcurrent([]porcupine.Operation{w(0, 0, 10, "k", "1"), w(0, 10, 20, "k", "2")}))
	require.Equal(t, 1, MaxConcurrent([]porcupine.Operation{w(0, 0, 10, "k", "1"), w(0, 11, 20, "k", "2")}))
	require.Equal(t, 5, MaxConcurrent(concurrent("k", 5)))
}

func TestStamper(t *testing.T) {
	var s Stamper
	a, b, c := s.Stamp(5), s.Stamp(5), s.Stamp(6)
	require.Less(t, a, b)
	require.Less(t, b, c)
	require.Equal(t, int64(5)<<StampBits, a)
	require.Equal(t, int64(6)<<StampBits, c)
}

// TestPartition: one sub-history per key, in key order, each holding its key's operations
// in the history's order; appending to one sub-history leaves the next as it was.
func TestPartition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOf(rapid.SampledFrom([]string{"b", "a", "c", "", "aa"})).Draw(t, "keys")
		var h []porcupine.Operation
		want := map[string][]porcupine.Operation{}
		for i, k := range keys {
			op := w(i, int64(i), int64(i+1), k, fmt.Sprint(i))
			h = append(h, op)
			want[k] = append(want[k], op)
		}
		parts := Partition(h, keyOf)
		require.Len(t, parts, len(want))
		for i, part := range parts {
			k := keyOf(part[0].Input)
			if i > 0 {
				require.Less(t, keyOf(parts[i-1][0].Input), k)
			}
			require.Equal(t, want[k], part)
		}
		if len(parts) > 1 {
			next := slices.Clone(parts[1])
			_ = append(parts[0], w(99, 0, 1, "z", "z"))
			require.Equal(t, next, parts[1])
		}
	})
}

// TestCheckDecidesAsTheVerboseSearch: Check, which searches key by key without keeping
// porcupine's record and keeps it only for a failure, decides every history as one
// verbose search of the whole history does, within the same step bound: the same pass,
// the same illegal and undecided keys, the same unknown.
func TestCheckDecidesAsTheVerboseSearch(t *testing.T) {
	verbose := func(h []porcupine.Operation, limit int) (ok bool, illegal, undecided []string) {
		parts := Partition(h, keyOf)
		model := register
		model.Partition = func([]porcupine.Operation) [][]porcupine.Operation { return parts }
		bounded, exhausted := boundSteps(model, parts, keyOf, Bounds{MaxStepsPerKey: limit}.WithDefaults())
		res, info := porcupine.CheckOperationsVerbose(bounded, nil, 0)
		if res == porcupine.Ok {
			return true, nil, nil
		}
		for i, lins := range info.PartialLinearizations() {
			switch key := keyOf(parts[i][0].Input); {
			case exhausted(i):
				undecided = append(undecided, key)
			case !complete(lins, len(parts[i])):
				illegal = append(illegal, key)
			}
		}
		return false, illegal, undecided
	}
	rapid.Check(t, func(t *rapid.T) {
		var h []porcupine.Operation
		for i := range rapid.IntRange(1, 14).Draw(t, "ops") {
			key := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "key")
			call := rapid.Int64Range(0, 40).Draw(t, "call")
			ret := call + rapid.Int64Range(0, 30).Draw(t, "length")
			v := rapid.SampledFrom([]string{"", "1", "2", "3"}).Draw(t, "value")
			if rapid.Bool().Draw(t, "write") {
				h = append(h, w(i, call, ret, key, v))
			} else {
				h = append(h, r(i, call, ret, key, v))
			}
		}
		limit := rapid.SampledFrom([]int{3, 20, 1000}).Draw(t, "steps")
		ok, illegal, undecided := verbose(h, limit)
		res, err := Check(register, h, keyOf, Bounds{MaxStepsPerKey: limit})
		if !ok && len(illegal) == 0 {
			require.ErrorIs(t, err, sim.ErrUnknown)
			require.ErrorContains(t, err, Quote(undecided))
			return
		}
		require.NoError(t, err)
		require.Equal(t, ok, res.Ok)
		require.Equal(t, illegal, res.Illegal)
		require.Equal(t, undecided, res.Undecided)
		require.Equal(t, ok, len(res.Info.PartialLinearizations()) == 0, "the record kept for a failure only")
		info := res.info()
		require.Len(t, info.PartialLinearizations(), len(Partition(h, keyOf))-len(undecided), "and made again on demand, for the keys decided")
	})
}

// TestMaxConcurrentAgainstTheEdgeSweep: MaxConcurrent agrees with the sweep it replaced,
// over the calls and returns sorted together (calls first at equal times), on histories
// with shared instants and returns out of order.
func TestMaxConcurrentAgainstTheEdgeSweep(t *testing.T) {
	sweep := func(part []porcupine.Operation) int {
		type edge struct {
			t     int64
			delta int
		}
		var edges []edge
		for _, op := range part {
			edges = append(edges, edge{op.Call, 1}, edge{op.Return, -1})
		}
		slices.SortFunc(edges, func(a, b edge) int {
			if a.t != b.t {
				return cmp.Compare(a.t, b.t)
			}
			return cmp.Compare(b.delta, a.delta)
		})
		open, most := 0, 0
		for _, e := range edges {
			open += e.delta
			most = max(most, open)
		}
		return most
	}
	rapid.Check(t, func(t *rapid.T) {
		var part []porcupine.Operation
		for range rapid.IntRange(0, 30).Draw(t, "ops") {
			call := rapid.Int64Range(0, 20).Draw(t, "call")
			part = append(part, porcupine.Operation{Call: call, Return: call + rapid.Int64Range(0, 10).Draw(t, "length")})
		}
		require.Equal(t, sweep(part), MaxConcurrent(part))
	})
}

// TestProvenSkipsTheSearchNotTheBounds: a key that proven proves is not searched (a
// history the search would refuse passes: proven's word is taken), the others are, and
// the bounds on operations and concurrency apply to every key first, proven or not.
func TestProvenSkipsTheSearchNotTheBounds(t *testing.T) {
	parts := Partition(slices.Concat(hopeless("a", 3), sequential("b", 2), hopeless("c", 3)), keyOf)
	onlyA := func(i int) bool { return keyOf(parts[i][0].Input) == "a" }
	res, err := CheckPartitioned(register, parts, keyOf, Bounds{}, onlyA)
	require.NoError(t, err)
	require.False(t, res.Ok)
	require.Equal(t, []string{"c"}, res.Illegal, "a is proven, b is linearizable, c is searched")

	all := func(int) bool { return true }
	res, err = CheckPartitioned(register, parts, keyOf, Bounds{}, all)
	require.NoError(t, err)
	require.True(t, res.Ok)
	_, err = CheckPartitioned(register, parts, keyOf, Bounds{MaxConcurrentPerKey: 2}, all)
	require.ErrorIs(t, err, sim.ErrUnknown, "over the concurrency bound, proven or not")
}
