package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func TestSlabHandsOutDistinctZeroValues(t *testing.T) {
	type item struct {
		n int
		p *int
	}
	var s sim.Slab[item]
	seen := map[*item]bool{}
	for i := 0; i < 100; i++ {
		v := s.New()
		require.False(t, seen[v], "value %d handed out twice", i)
		require.Equal(t, item{}, *v, "value %d is not zero", i)
		seen[v] = true
		v.n = i + 1 // a later New must not hand this one out again, nor see it
	}
}

func TestSlabAllocatesOncePerChunk(t *testing.T) {
	var s sim.Slab[[4]int64]
	allocs := testing.AllocsPerRun(10, func() {
		for i := 0; i < 32; i++ {
			s.New()
		}
	})
	require.Equal(t, 1.0, allocs)
}
