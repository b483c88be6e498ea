package paged

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTableGrowsLikeASlice: a table grown by one slot at a time, or by jumps that cross
// pages, holds what was written at every index, and new slots are zero, as a slice grown
// to the same lengths would; pages past the first are allocated whole.
func TestTableGrowsLikeASlice(t *testing.T) {
	for _, steps := range [][]int{
		{0, 1, 2, 3},
		{5, 15, 16, 17, PageLen - 1, PageLen, PageLen + 1},
		{3 * PageLen, 3*PageLen + 5, 7*PageLen - 1},
		{PageLen - 1, 2*PageLen - 1, 2 * PageLen},
	} {
		var p Table[[2]int]
		var s [][2]int
		for _, i := range steps {
			for j := p.Len(); j <= i; j++ { // one slot at a time up to i, then a jump
				if j%3 == 0 {
					p.Push([2]int{j, 1})
					s = append(s, [2]int{j, 1})
				}
			}
			p.Grow(i)
			for len(s) <= i {
				s = append(s, [2]int{})
			}
			require.Equal(t, len(s), p.Len(), "steps %v: length after growing to %d", steps, i)
			for j := range s {
				require.Equal(t, s[j], *p.At(j), "steps %v: slot %d after growing to %d", steps, j, i)
			}
			*p.At(i) = [2]int{i, 2}
			s[i] = [2]int{i, 2}
		}
		require.LessOrEqual(t, cap(p.first), PageLen, "the first page")
		require.Len(t, p.rest, max(0, (p.Len()-1)>>pageShift), "pages past the first")
	}
}
