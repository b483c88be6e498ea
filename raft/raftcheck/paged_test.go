package raftcheck

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPagedGrowsLikeASlice: a paged table grown by one slot at a time, or by jumps that
// cross pages, holds what was written at every index, and new slots are zero, as a slice
// grown with grow would.
func TestPagedGrowsLikeASlice(t *testing.T) {
	for _, steps := range [][]int{
		{0, 1, 2, 3},
		{5, 15, 16, 17, pageLen - 1, pageLen, pageLen + 1},
		{3 * pageLen, 3*pageLen + 5, 7*pageLen - 1},
		{pageLen - 1, 2*pageLen - 1, 2 * pageLen},
	} {
		var p paged[[2]int]
		var s [][2]int
		for _, i := range steps {
			for j := p.len(); j <= i; j++ { // one slot at a time up to i, then a jump
				if j%3 == 0 {
					p.grow(j)
					s = grow(s, j)
					*p.at(j) = [2]int{j, 1}
					s[j] = [2]int{j, 1}
				}
			}
			p.grow(i)
			s = grow(s, i)
			require.Equal(t, len(s), p.len(), "steps %v: length after growing to %d", steps, i)
			for j := range s {
				require.Equal(t, s[j], *p.at(j), "steps %v: slot %d after growing to %d", steps, j, i)
			}
			*p.at(i) = [2]int{i, 2}
			s[i] = [2]int{i, 2}
		}
		for k, pg := range p.pages {
			if k > 0 {
				require.Equal(t, pageLen, cap(pg), "page %d is allocated whole", k)
			}
			require.LessOrEqual(t, cap(pg), pageLen, "page %d", k)
		}
	}
}
