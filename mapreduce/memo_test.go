package mapreduce

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func TestMemoBuildsEachKeyOnceAndKeepsTheNewest(t *testing.T) {
	var m memo[int, string]
	builds := map[int]int{}
	get := func(k int) string {
		return m.get(k, func() string { builds[k]++; return strconv.Itoa(k) })
	}
	require.Equal(t, "1", get(1))
	require.Equal(t, "1", get(1))
	require.Equal(t, 1, builds[1])
	for k := 2; k <= memoSize+1; k++ { // evicts 1, the oldest
		require.Equal(t, strconv.Itoa(k), get(k))
	}
	require.Equal(t, "1", get(1))
	require.Equal(t, 2, builds[1], "1 was evicted and built again")
	require.Equal(t, 1, builds[memoSize+1], "the newest is kept")
	get(memoSize + 1)
	require.Equal(t, 1, builds[memoSize+1])
}

func TestMemoConcurrentCallersShareOneBuild(t *testing.T) {
	var m memo[string, []int]
	var mu sync.Mutex
	builds := 0
	var wg sync.WaitGroup
	results := make([][]int, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = m.get("k", func() []int {
				mu.Lock()
				builds++
				mu.Unlock()
				return []int{1, 2, 3}
			})
		}()
	}
	wg.Wait()
	require.Equal(t, 1, builds)
	for _, r := range results {
		require.Equal(t, &results[0][0], &r[0], "every caller gets the one built value")
	}
}

func TestMemoBuildThatPanicsPanicsForEveryCaller(t *testing.T) {
	var m memo[int, int]
	require.Panics(t, func() { m.get(1, func() int { panic("bad input") }) })
	require.Panics(t, func() { m.get(1, func() int { panic("bad input") }) })
}

// TestMemoizedRunsAreTheRunsThatBuildIt: a run that generates the corpus and the
// sequential reference, and a run of the same seed that finds them in the memo, are the
// same run (trace hash, events, outcome), and neither changes the memoized corpus.
func TestMemoizedRunsAreTheRunsThatBuildIt(t *testing.T) {
	sc, ok := sim.Lookup("mapreduce/wc")
	require.True(t, ok)
	const seed = 1_000_003 // a seed no other test of this package runs
	key := corpusKey{seed: seed, spec: DefaultCorpus()}
	first := sim.RunScenario(sc, sim.Options{Seed: seed})
	require.True(t, first.Passed(), "%v", first.Failure)
	inputs := corpusFor(sim.NewWorld(sim.Options{Seed: seed}), key).texts
	fresh := GenerateCorpus(sim.NewWorld(sim.Options{Seed: seed}).Rand("mapreduce/corpus"), key.spec)
	require.Len(t, inputs, len(fresh))
	for i, f := range fresh {
		require.Equal(t, inputText{name: f.Name, text: string(f.Data)}, inputs[i], "the memoized corpus is the seed's corpus")
	}

	second := sim.RunScenario(sc, sim.Options{Seed: seed})
	require.True(t, second.Passed(), "%v", second.Failure)
	require.Equal(t, first.Hash, second.Hash)
	require.Equal(t, first.Events, second.Events)
}
