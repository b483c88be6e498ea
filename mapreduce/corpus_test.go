package mapreduce

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestCorpusBytesArePinned: the corpus a seed generates is part of every
// MapReduce run's behaviour (its bytes reach the trace hash through the
// files the workers write), so a change to the generator that changes them,
// however it means to only make it faster, fails here. A deliberate change
// of the corpus updates these digests and says why in its commit.
func TestCorpusBytesArePinned(t *testing.T) {
	for _, tc := range []struct {
		seed   uint64
		digest uint64
	}{{1, 0x9a01aa445491dd7a}, {2, 0x9ca9e0578e0ff2d6}, {77, 0xf83f17228e8c776b}} {
		h := uint64(0)
		for _, f := range GenerateCorpus(sim.NewRand(tc.seed), DefaultCorpus()) {
			h = h*31 + sim.HashBytes(f.Data)
		}
		require.Equal(t, tc.digest, h, "seed %d: the corpus changed", tc.seed)
	}
}
