package sim_test

import (
	"math"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

func draws(r *sim.Rand, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = r.Uint64()
	}
	return out
}

func TestRandSameSeedSameStream(t *testing.T) {
	require.Equal(t, draws(sim.NewRand(9), 50), draws(sim.NewRand(9), 50))
	require.NotEqual(t, draws(sim.NewRand(9), 50), draws(sim.NewRand(10), 50))
}

func TestRandForkOrderDoesNotMatter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		names := rapid.SliceOfNDistinct(rapid.StringN(0, 8, -1), 1, 6, func(s string) string { return s }).Draw(t, "names")
		order := rapid.Permutation(names).Draw(t, "order")

		// Fork in one order, then in another: each named child draws the same,
		// and forking leaves the parent's own draws untouched.
		a, b := sim.NewRand(seed), sim.NewRand(seed)
		childA := map[string][]uint64{}
		for _, name := range names {
			childA[name] = draws(a.Fork(name), 8)
		}
		forksB := map[string]*sim.Rand{}
		for _, name := range order {
			forksB[name] = b.Fork(name)
		}
		for _, name := range order {
			require.Equal(t, childA[name], draws(forksB[name], 8), "fork %q depends on forking order", name)
		}
		require.Equal(t, draws(sim.NewRand(seed), 8), draws(a, 8), "forking consumed parent draws")
		require.Equal(t, draws(sim.NewRand(seed), 8), draws(b, 8), "forking consumed parent draws")
	})
}

func TestRandForksAreIndependent(t *testing.T) {
	r := sim.NewRand(1)
	x, y := draws(r.Fork("x"), 20), draws(r.Fork("y"), 20)
	require.NotEqual(t, x, y, "two names, one stream")
	require.NotEqual(t, draws(sim.NewRand(1), 20), x, "a fork repeats its parent")
	// Drawing from one fork does not move a sibling.
	fx := r.Fork("x")
	draws(fx, 100)
	require.Equal(t, y, draws(r.Fork("y"), 20))
}

// TestRandForkIgnoresParentPosition checks Fork's documented contract: a
// child is "derived from this stream's seed but not its position". If it
// depended on the position, whether a component's child stream changes would
// depend on how many draws its parent made first — e.g. in faults' swarm
// profile, whether "disk" is on depends on whether "network" drew its rates.
func TestRandForkIgnoresParentPosition(t *testing.T) {
	r := sim.NewRand(5)
	before := draws(r.Fork("child"), 10)
	r.Uint64()
	after := draws(r.Fork("child"), 10)
	require.Equal(t, before, after, "Fork depends on how many draws the parent made")

	k := sim.NewRand(5)
	keyedBefore := draws(k.Keyed(3), 10)
	k.Uint64()
	require.Equal(t, keyedBefore, draws(k.Keyed(3), 10), "Keyed depends on how many draws the parent made")
}

func TestRandKeyedStability(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		keys := rapid.SliceOfNDistinct(rapid.Uint64(), 2, 20, func(k uint64) uint64 { return k }).Draw(t, "keys")
		drop := rapid.IntRange(0, len(keys)-1).Draw(t, "drop")

		all := map[uint64][]uint64{}
		r := sim.NewRand(seed)
		for _, k := range keys {
			all[k] = draws(r.Keyed(k), 4)
		}
		// Removing one decision, and taking the rest in another order, leaves
		// every other keyed decision as it was.
		r2 := sim.NewRand(seed)
		for i := len(keys) - 1; i >= 0; i-- {
			if i == drop {
				continue
			}
			require.Equal(t, all[keys[i]], draws(r2.Keyed(keys[i]), 4), "key %d", keys[i])
		}
		require.NotEqual(t, all[keys[0]], all[keys[1]], "two keys, one stream")
	})
}

func TestRandRanges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := sim.NewRand(rapid.Uint64().Draw(t, "seed"))
		n := rapid.IntRange(1, 1<<40).Draw(t, "n")
		n64 := rapid.Int64Range(1, 1<<62).Draw(t, "n64")
		lo := time.Duration(rapid.Int64Range(-1e12, 1e12).Draw(t, "lo"))
		hi := lo + time.Duration(rapid.Int64Range(0, 1e12).Draw(t, "span"))
		for i := 0; i < 20; i++ {
			v := r.IntN(n)
			require.True(t, v >= 0 && v < n, "IntN(%d) = %d", n, v)
			v64 := r.Int64N(n64)
			require.True(t, v64 >= 0 && v64 < n64, "Int64N(%d) = %d", n64, v64)
			d := r.Duration(lo, hi)
			require.True(t, d >= lo && d <= hi, "Duration(%v, %v) = %v", lo, hi, d)
			f := r.Float64()
			require.True(t, f >= 0 && f < 1, "Float64 = %v", f)
			require.GreaterOrEqual(t, r.Exp(time.Second), time.Duration(0))
		}
		require.Equal(t, hi, r.Duration(hi, lo), "Duration with hi <= lo returns lo")
	})
}

func TestRandSmallRangesAreCovered(t *testing.T) {
	r := sim.NewRand(3)
	seen := map[int]int{}
	for i := 0; i < 7000; i++ {
		seen[r.IntN(7)]++
	}
	require.Len(t, seen, 7)
	for v, c := range seen {
		require.InDelta(t, 1000, c, 150, "IntN(7) value %d drawn %d times of 7000", v, c)
	}
	ends := map[time.Duration]bool{}
	for i := 0; i < 1000; i++ {
		ends[r.Duration(0, 2)] = true
	}
	require.Equal(t, map[time.Duration]bool{0: true, 1: true, 2: true}, ends, "Duration bounds are inclusive")
	require.Equal(t, 0, r.IntN(1))
	require.Panics(t, func() { r.IntN(0) })
	require.Panics(t, func() { r.Int64N(-1) })
}

func TestRandChance(t *testing.T) {
	r := sim.NewRand(11)
	require.False(t, r.Chance(0))
	require.True(t, r.Chance(1))
	hits := 0
	for i := 0; i < 10000; i++ {
		if r.Chance(0.1) {
			hits++
		}
	}
	require.InDelta(t, 1000, hits, 150)
}

func TestRandPermIsAPermutation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := sim.NewRand(rapid.Uint64().Draw(t, "seed"))
		n := rapid.IntRange(0, 200).Draw(t, "n")
		p := r.Perm(n)
		require.Len(t, p, n)
		sorted := append([]int(nil), p...)
		sort.Ints(sorted)
		for i, v := range sorted {
			require.Equal(t, i, v)
		}
	})
	// Every arrangement of three shows up.
	r := sim.NewRand(1)
	seen := map[[3]int]bool{}
	for i := 0; i < 600; i++ {
		p := r.Perm(3)
		seen[[3]int{p[0], p[1], p[2]}] = true
	}
	require.Len(t, seen, 6)
}

func TestWorldAndNodeStreams(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 8})
	require.Equal(t, draws(w.Rand("x"), 5), draws(w.Rand("x"), 5), "the same name, the same stream")
	require.NotEqual(t, draws(w.Rand("x"), 5), draws(w.Rand("y"), 5))
	require.Equal(t, draws(sim.NewWorld(sim.Options{Seed: 8}).Rand("x"), 5), draws(w.Rand("x"), 5))
	require.NotEqual(t, draws(sim.NewWorld(sim.Options{Seed: 9}).Rand("x"), 5), draws(w.Rand("x"), 5))
	// Scheduling events (which draws tiebreaks) does not move named streams.
	before := draws(w.Rand("x"), 5)
	for i := 0; i < 10; i++ {
		w.Schedule(0, "e", func() {})
	}
	require.Nil(t, w.Run())
	require.Equal(t, before, draws(w.Rand("x"), 5))

	n := w.AddNode("n", func(*sim.Node) {})
	require.Equal(t, draws(n.Rand("a"), 5), draws(n.Rand("a"), 5), "one instance, one stream per name")
	require.Equal(t, uint64(8), w.Seed())
}

func TestPortableLogMatchesMathLog(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := rapid.Float64Range(1e-300, 1e300).Draw(t, "x")
		got, want := sim.PortableLogForTest(x), math.Log(x)
		require.InDelta(t, want, got, 1e-14*math.Max(1, math.Abs(want)), "x=%v", x)
	})
	require.Equal(t, 0.0, sim.PortableLogForTest(1))
}
