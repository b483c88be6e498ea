package shardsim

import (
	"fmt"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/kv/lincheck"
	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

func TestCheckLinearizable(t *testing.T) {
	put := func(k, v string) KVInput { return KVInput{Op: shardkv.OpPut, Key: k, Value: v} }
	app := func(k, v string) KVInput { return KVInput{Op: shardkv.OpAppend, Key: k, Value: v} }
	get := func(k string) KVInput { return KVInput{Op: shardkv.OpGet, Key: k} }

	// Legal: a Get concurrent with an Append may see it or not.
	h := &History{}
	h.Add(0, put("a", "x"), KVOutput{}, 0, 10)
	h.Add(1, app("a", "y"), KVOutput{}, 20, 40)
	h.Add(2, get("a"), KVOutput{Value: "x"}, 25, 30)
	h.Add(3, get("a"), KVOutput{Value: "xy"}, 35, 50)
	h.Add(0, get("b"), KVOutput{}, 60, 70)
	require.NoError(t, h.CheckLinearizable())

	// Illegal: a stale read after the Append returned (a group serving a shard it no
	// longer owns would give one), on key "a" only.
	h.Add(2, get("a"), KVOutput{Value: "x"}, 45, 55)
	err := h.CheckLinearizable()
	require.ErrorContains(t, err, "not linearizable")
	require.ErrorContains(t, err, `"a"`)
	require.NotContains(t, err.Error(), `"b"`)
	require.NotErrorIs(t, err, sim.ErrUnknown)

	// Illegal: an Append applied twice (no duplicate detection after a migration).
	h = &History{}
	h.Add(0, put("k", ""), KVOutput{}, 0, 1)
	h.Add(0, app("k", "1"), KVOutput{}, 2, 3)
	h.Add(1, get("k"), KVOutput{Value: "11"}, 4, 5)
	require.ErrorContains(t, h.CheckLinearizable(), `"k"`)
}

func TestFingerprint(t *testing.T) {
	for _, tc := range [][2]string{{"", ""}, {"a", ""}, {"", "b"}, {"x 1 2 y", "x 3 4 y"}, {"hello, ", "world"}} {
		require.Equal(t, fingerprintOf(tc[0]+tc[1]), fingerprintOf(tc[0]).Concat(fingerprintOf(tc[1])), "%q + %q", tc[0], tc[1])
	}
	require.NotEqual(t, fingerprintOf("ab"), fingerprintOf("ba"))
	require.NotEqual(t, fingerprintOf("a"), fingerprintOf("a\x00"))
	require.NotEqual(t, fingerprintOf(""), fingerprintOf("\x00"))
}

// TestCheckHasNoWallClockBudget: the check is bounded in operations and model steps, not
// wall time, so a history over a bound is unknown, the same every time, however fast the
// machine (the old 60 s budget would have passed the first history here, and decided the
// second after however long its search took).
func TestCheckHasNoWallClockBudget(t *testing.T) {
	// One clerk's Puts, each read back: legal, and easy for porcupine, but over the
	// default bound of operations per key.
	h := &History{}
	for i := 0; i <= lincheck.DefaultMaxOpsPerKey/2; i++ {
		v := fmt.Sprint(i)
		at := int64(4 * i)
		h.Add(0, KVInput{Op: shardkv.OpPut, Key: "k", Value: v}, KVOutput{}, at, at+1)
		h.Add(0, KVInput{Op: shardkv.OpGet, Key: "k"}, KVOutput{Value: v}, at+2, at+3)
	}
	err := h.CheckLinearizable()
	require.ErrorIs(t, err, sim.ErrUnknown)
	require.ErrorContains(t, err, `key "k" has 10002 operations, over the bound of 10000 per key`)
	require.Equal(t, err.Error(), h.CheckLinearizable().Error())

	// Eight concurrent Appends and a Get whose value is none of their orders: the
	// search must try the orders one by one, and the step bound ends it as unknown,
	// after the same number of steps on every machine.
	h = &History{}
	for i := 0; i < 8; i++ {
		h.Add(i, KVInput{Op: shardkv.OpAppend, Key: "a", Value: fmt.Sprintf("<%d>", i)}, KVOutput{}, 0, 100)
	}
	h.Add(8, KVInput{Op: shardkv.OpGet, Key: "a"}, KVOutput{Value: "nope"}, 200, 201)
	err = h.checkWithin(lincheck.Bounds{MaxStepsPerKey: 1000})
	require.ErrorIs(t, err, sim.ErrUnknown)
	require.ErrorContains(t, err, `key "a" took over 1000 model steps`)
}

// TestStampsOrderEventsAtOneInstant: a Get called at the very instant a Put returned
// comes after it, so a Get that misses the Put is illegal. With plain virtual times the
// two would share a time, which porcupine takes as overlapping, and the stale read
// would pass.
func TestStampsOrderEventsAtOneInstant(t *testing.T) {
	h := &History{}
	call := h.Stamp(0)
	h.Add(0, KVInput{Op: shardkv.OpPut, Key: "a", Value: "x"}, KVOutput{}, call, h.Stamp(10))
	call = h.Stamp(10)
	h.Add(0, KVInput{Op: shardkv.OpGet, Key: "a"}, KVOutput{Value: ""}, call, h.Stamp(20))
	err := h.CheckLinearizable()
	require.ErrorContains(t, err, `not linearizable: keys "a"`)
	require.NotErrorIs(t, err, sim.ErrUnknown)
}
