package cli

import (
	"iter"
	"math/bits"

	"github.com/lockstep-dst/lockstep/sim"
)

// job is one (scenario, seed) run of a sweep. index is its place in the
// sweep's order (after sharding), in which results are printed.
type job struct {
	index    uint64
	scenario *sim.Scenario
	seed     uint64
}

// sweepJobs is the set of runs a sweep makes: every scenario on every seed
// of the range, scenario by scenario, keeping every shards-th run starting at
// shard. Runs are numbered n = scenario*size + (seed-lo) before sharding.
type sweepJobs struct {
	scenarios []*sim.Scenario
	seeds     seedRange
	shard     uint64
	shards    uint64
}

// count returns the number of runs before sharding, or ok=false if it does
// not fit in a uint64 (any seed range is accepted, since jobs are streamed,
// but the runs must be countable so that "N passed, M failed" is true).
func (s sweepJobs) count() (n uint64, ok bool) {
	size := s.seeds.hi - s.seeds.lo + 1 // 0 when the range is all 2^64 seeds
	if size == 0 {
		return 0, false
	}
	hi, n := bits.Mul64(uint64(len(s.scenarios)), size)
	return n, hi == 0
}

// total returns the number of runs this shard makes.
func (s sweepJobs) total() uint64 {
	n, _ := s.count()
	t := n / s.shards
	if s.shard < n%s.shards {
		t++
	}
	return t
}

// all yields the shard's jobs in order, one at a time: a sweep of ten
// million seeds starts at once and holds only the jobs in flight, where
// building the whole list first took 865 MB before the first run.
func (s sweepJobs) all() iter.Seq[job] {
	return func(yield func(job) bool) {
		n, ok := s.count()
		if !ok || s.shard >= n {
			return
		}
		size := s.seeds.hi - s.seeds.lo + 1
		var index uint64
		for i := s.shard; ; i += s.shards {
			j := job{index: index, scenario: s.scenarios[i/size], seed: s.seeds.lo + i%size}
			if !yield(j) {
				return
			}
			index++
			if n-i <= s.shards { // i+shards would be past the end (or overflow)
				return
			}
		}
	}
}
