//lockstep:host a memo shared by the runs of one process, outside every simulation: it holds immutable results of pure functions of their keys, so what one run reads never depends on what ran before

package mapreduce

import "sync"

// Every run of a scenario on one seed generates the same 3.3 MB corpus and,
// when it checks its output, needs the same reference output: both are
// functions of the seed and the corpus parameters only. The scenarios of a
// sweep of the whole suite share a seed's corpus (all six mapreduce/* jobs
// run on it) and its references (wc and Swarm both check wc's); a sweep meets
// the same seed again when it checks determinism (each seed runs twice, back
// to back), and a replay of a failure runs it again. The memo keeps the few
// most recent results, so that those runs reuse them.
//
// What keeps a run a pure function of its seed: a memoized value is built by
// the same pure function a run would otherwise call, from a key that
// determines every input of that function, and is never written after it is
// built (callers only read it: the cluster installs the inputs' strings,
// which nothing can change, in its file system; the check compares bytes).
// A run that finds it and a run that builds it see the same bytes. Safe for
// concurrent runs (simrun -parallel): one run builds an entry while the
// others wait for it, and a map entry is replaced, never changed, when it is
// evicted.

// memoSize is how many entries each memo keeps. A sweep runs scenario by
// scenario (every seed of the first, then of the next), so the six
// mapreduce/* runs of one seed are as many runs apart as the sweep has
// seeds: with 8 entries a sweep of up to 8 seeds (simrun's default is 1-5)
// generates each seed's corpus once instead of six times. A corpus entry
// holds about 6 MB (the 3.3 MB of text and the word counts), a reference
// up to 2 MB.
const memoSize = 8

// memo maps keys to values built once, keeping the memoSize newest keys.
type memo[K comparable, V any] struct {
	mu      sync.Mutex //lockstep:allow the memo is shared by the runs of one process, outside every simulation
	entries map[K]*memoEntry[V]
	order   []K // oldest first
}

type memoEntry[V any] struct {
	once sync.Once
	v    V
	ok   bool // build returned (it did not panic)
}

// get returns the value for k, building it with build if no entry holds it.
// build must be a pure function of k.
func (m *memo[K, V]) get(k K, build func() V) V {
	m.mu.Lock()
	e := m.entries[k]
	if e == nil {
		if m.entries == nil {
			m.entries = map[K]*memoEntry[V]{}
		}
		e = &memoEntry[V]{}
		m.entries[k] = e
		m.order = append(m.order, k)
		if len(m.order) > memoSize {
			delete(m.entries, m.order[0])
			m.order = append(m.order[:0], m.order[1:]...)
		}
	}
	m.mu.Unlock()
	e.once.Do(func() {
		e.v = build()
		e.ok = true
	})
	if !e.ok {
		// build panicked in an earlier call (Once will not run it again):
		// build afresh, without the memo, so this call fails the same way.
		return build()
	}
	return e.v
}

// corpusKey determines a scenario's corpus: the run's seed (the corpus stream
// is the world's stream "mapreduce/corpus", a function of the seed alone) and
// the corpus parameters.
type corpusKey struct {
	seed uint64
	spec CorpusSpec
}

// referenceKey determines a reference output: its corpus, the app, and how
// many reduce tasks split it.
type referenceKey struct {
	corpus  corpusKey
	app     string
	nReduce int
}

// corpus is a generated corpus and its generator's word counts.
type corpus struct {
	texts []inputText // the files, their contents as strings (FS.WriteText)
	tally *wordTally  // sorted
}

var (
	corpora    memo[corpusKey, *corpus]
	references memo[referenceKey, *reference]
)
