package kvsim

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestAppendChecksKeepTheOriginalsVerdict: CheckClntAppends and CheckConcurrentAppends,
// which pass a value in one scan of its tokens when they can, give exactly the original
// algorithm's verdict and message on values built from clients' Appends and then damaged:
// Appends dropped, repeated, swapped, numbers written with a leading zero, bytes
// inserted, the value cut.
func TestAppendChecksKeepTheOriginalsVerdict(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nclients := rapid.IntRange(1, 12).Draw(t, "clients")
		counts := make([]int, nclients)
		var parts []string
		for i := range counts {
			counts[i] = rapid.IntRange(0, 6).Draw(t, "count")
		}
		// Each client's Appends in its order, interleaved at random, plus some of
		// Appends no one counted (a later j, or a client beyond counts).
		next := make([]int, nclients+1)
		for {
			var open []int
			for c := range counts {
				if next[c] < counts[c]+1 {
					open = append(open, c)
				}
			}
			if len(open) == 0 {
				break
			}
			c := rapid.SampledFrom(append(open, nclients)).Draw(t, "who")
			parts = append(parts, appendValue(c, next[c]))
			next[c]++
			if c == nclients && next[c] > 3 {
				next[c] = 0
			}
		}
		for n := rapid.IntRange(0, 6).Draw(t, "damages"); n > 0 && len(parts) > 0; n-- {
			i := rapid.IntRange(0, len(parts)-1).Draw(t, "at")
			switch rapid.IntRange(0, 5).Draw(t, "damage") {
			case 0:
				parts = append(parts[:i], parts[i+1:]...)
			case 1:
				parts = append(parts[:i+1], parts[i:]...)
			case 2:
				j := rapid.IntRange(0, len(parts)-1).Draw(t, "with")
				parts[i], parts[j] = parts[j], parts[i]
			case 3:
				parts[i] = strings.Replace(parts[i], " ", " 0", rapid.IntRange(1, 2).Draw(t, "which"))
			case 4:
				parts[i] = parts[i] + rapid.SampledFrom([]string{"x", " ", "1", "y", "x 1", "zz"}).Draw(t, "insert")
			case 5:
				parts[i] = parts[i][:rapid.IntRange(0, len(parts[i])).Draw(t, "cut")]
			}
		}
		v := strings.Join(parts, "")
		for c, n := range counts {
			require.Equal(t, checkClntAppends(c, v, n), CheckClntAppends(c, v, n), "client %d of %q", c, v)
		}
		var want error
		for c, n := range counts {
			if want = checkClntAppends(c, v, n); want != nil {
				break
			}
		}
		require.Equal(t, want, CheckConcurrentAppends(v, counts), "%q", v)
	})
}

// TestAppendsInOrderTakesTheFastPath: an intact value passes in the one scan (the reason
// it exists), and a value with a client's Appends swapped does not.
func TestAppendsInOrderTakesTheFastPath(t *testing.T) {
	v := appendValue(0, 0) + appendValue(1, 0) + appendValue(0, 1) + appendValue(7, 3) + appendValue(1, 1)
	require.True(t, appendsInOrder(v, 0, []int{2, 2}))
	require.True(t, appendsInOrder(v, 1, []int{2}))
	require.False(t, appendsInOrder(v, 0, []int{2, 3}), "client 1's Append 2 is missing")
	swapped := appendValue(0, 1) + appendValue(0, 0)
	require.False(t, appendsInOrder(swapped, 0, []int{2}))
	require.Error(t, CheckClntAppends(0, swapped, 2))
	require.False(t, appendsInOrder("x 01 0 y", 0, []int{0, 1}), "a leading zero is not appendValue's")
	twice := appendValue(0, 1) + appendValue(0, 1)
	require.False(t, appendsInOrder(twice, 0, []int{2}), "Append 0 missing, Append 1 twice")
}

// TestValueArena: the arena's values are appendValue's, and a value it returned stays as
// it was while the arena makes more, in its chunk and in the next ones.
func TestValueArena(t *testing.T) {
	var a valueArena
	var got []string
	for j := range 500 { // several chunks
		got = append(got, a.value(7, j*1_000_003))
	}
	for j, v := range got {
		require.Equal(t, appendValue(7, j*1_000_003), v)
	}
	require.LessOrEqual(t, len(appendValue(math.MinInt, math.MinInt)), maxAppendValue)
}

// TestOwnAppendsPassTheCheck: the value a client builds from its own Appends (appendClient's
// last) passes the original's check of that client's Appends, whatever its count: the end
// of a generic iteration (generic.run) passes a value equal to it without the check.
func TestOwnAppendsPassTheCheck(t *testing.T) {
	for _, cli := range []int{0, 1, 7, 19, 123} {
		var last strings.Builder
		for j := 0; j <= 200; j++ {
			require.NoError(t, checkClntAppends(cli, last.String(), j), "client %d, %d Appends", cli, j)
			last.WriteString(appendValue(cli, j))
		}
	}
}
