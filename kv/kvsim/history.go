package kvsim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/sim"
)

// History is every completed clerk call of a run, with Call and Return stamps in the order
// the calls and returns happened in virtual time (see stamp). Porcupine treats an operation missing from the
// history as one that never happened, which is wrong for a write that took effect but whose
// reply was lost: a Get that saw it would then look illegal. So every scenario lets its
// clerks finish their calls before it checks (kv/Swarm makes that a liveness check), and a
// scenario that abandoned calls would have to record its pending writes with an open return
// time instead.
type History struct {
	ops []porcupine.Operation
	// The instant of the latest stamp, and how many stamps were given at it.
	now time.Duration
	n   int64
}

// stampBits is the room a stamp leaves for events at one virtual instant.
const stampBits = 20

// stamp returns the history's timestamp for a call or return at virtual time t: t in
// nanoseconds shifted left by stampBits, plus the number of stamps given at t before.
// Events at one virtual instant still happen in an order, and stamps keep it. With plain
// times a clerk's operation and the next one, which starts at the very instant the first
// returns, would have equal times, which porcupine takes as overlapping (it orders a call
// before a return of equal time, not knowing better): it would try both orders of every
// pair, a weaker check and a far longer search (twice the real concurrency per key).
func (h *History) stamp(t time.Duration) int64 {
	if t != h.now {
		h.now, h.n = t, 0
	}
	if h.n == 1<<stampBits || t >= 1<<(62-stampBits) {
		panic(fmt.Sprintf("kv: history stamp out of range at %v (%d stamps at that instant)", t, h.n))
	}
	h.n++
	return int64(t)<<stampBits | (h.n - 1)
}

func (h *History) add(op porcupine.Operation) { h.ops = append(h.ops, op) }

// Operations returns the recorded operations in completion order.
func (h *History) Operations() []porcupine.Operation { return h.ops }

// Len is the number of recorded operations.
func (h *History) Len() int { return len(h.ops) }

// Bounds limit the linearizability check, so that it ends quickly on any history and its
// verdict is a pure function of the history: every bound is counted in operations or model
// steps, never in wall time. A history beyond a bound is neither a pass nor a failure but
// the outcome "unknown", the same on every machine. Porcupine checks each key on its own
// (the model partitions by key), so the bounds are per key. Zero fields take the defaults.
type Bounds struct {
	// MaxOpsPerKey is the most operations one key's history may hold.
	MaxOpsPerKey int
	// MaxConcurrentPerKey is the most operations on one key that may be open at one
	// instant, counted as porcupine orders them (a call at the instant another operation
	// returns overlaps it). The search branches on the order of overlapping operations.
	MaxConcurrentPerKey int
	// MaxStepsPerKey is the most model steps porcupine's search of one key may take. The
	// two bounds above are checked before porcupine runs and keep the shipped workloads far
	// from this one; it guarantees that a history under them that still defeats the search
	// (say, concurrent Appends whose order no Get reveals) ends as "unknown" rather than
	// running for hours.
	MaxStepsPerKey int
}

// The default bounds, from a sweep of seeds 1-200 of the three scenarios that check
// linearizability (kv/Swarm, kv/PersistPartitionUnreliableLinearizable3A and
// kv/SnapshotUnreliableRecoverConcurrentPartitionLinearizable3B) and of kv/Swarm seeds
// 201-600, measured by TestMeasureHistories (KV_MEASURE_SEEDS=200, and =201-600 with
// KV_MEASURE_SCENARIO=kv/Swarm). The largest key history held 3,835 operations (kv/Swarm,
// one key); the most concurrent operations on a key were 8 (the 15-clerk scenarios;
// kv/Swarm, with at most 7 clerks, 7); the costliest search took 242,063 model steps
// (kv/Swarm seed 373, a key of 991 operations, a third of a second), the next 171,386
// (seed 72), and most keys take a few thousand. The costly keys hold Appends that no Get
// observed before a Put replaced them: nothing orders those, and the search tries their
// orders one by one. The defaults leave room of 2.6x (operations), 3x (concurrency) and
// 8x (steps). A search that runs to DefaultMaxStepsPerKey on a history that defeats it
// costs about ten seconds and a few hundred megabytes (TestStepBoundEndsTheSearch).
const (
	DefaultMaxOpsPerKey        = 10_000
	DefaultMaxConcurrentPerKey = 24
	DefaultMaxStepsPerKey      = 2_000_000
)

func (b Bounds) withDefaults() Bounds {
	if b.MaxOpsPerKey == 0 {
		b.MaxOpsPerKey = DefaultMaxOpsPerKey
	}
	if b.MaxConcurrentPerKey == 0 {
		b.MaxConcurrentPerKey = DefaultMaxConcurrentPerKey
	}
	if b.MaxStepsPerKey == 0 {
		b.MaxStepsPerKey = DefaultMaxStepsPerKey
	}
	return b
}

// CheckLinearizable checks ops against Model (as ModelFor(ops)) within bounds b (zero
// fields: the defaults). A key's history over the operation or concurrency bound makes
// the verdict unknown before porcupine runs; a search that exceeds the step bound makes
// it unknown too, unless another key is not linearizable. On a violation it writes
// porcupine's HTML visualization to a temporary file named after the scenario and seed,
// and the error names the keys whose histories are not linearizable and the file. An
// undecided check returns an error wrapping sim.ErrUnknown.
func CheckLinearizable(ops []porcupine.Operation, scenario string, seed uint64, b Bounds) error {
	b = b.withDefaults()
	ops = prepare(ops)
	parts := partitionByKey(ops)
	for _, part := range parts {
		key := part[0].Input.(KVInput).Key
		if len(part) > b.MaxOpsPerKey {
			return fmt.Errorf("linearizability not checked: key %q has %d operations, over the bound of %d per key: %w",
				key, len(part), b.MaxOpsPerKey, sim.ErrUnknown)
		}
		if c := maxConcurrent(part); c > b.MaxConcurrentPerKey {
			return fmt.Errorf("linearizability not checked: key %q has %d concurrent operations, over the bound of %d per key: %w",
				key, c, b.MaxConcurrentPerKey, sim.ErrUnknown)
		}
	}
	model := ModelFor(ops)
	bounded, exhausted := boundSteps(model, parts, b.MaxStepsPerKey)
	// Verbose: porcupine then searches every key to its end rather than stopping the
	// others when one is found illegal, so the steps each key takes, and the verdict,
	// do not depend on which of its goroutines finishes first.
	res, info := porcupine.CheckOperationsVerbose(bounded, ops, 0)
	if res == porcupine.Ok {
		return nil
	}
	var bad, undecided []string
	for i, lins := range info.PartialLinearizations() {
		key := fmt.Sprintf("%q", parts[i][0].Input.(KVInput).Key)
		switch {
		case exhausted(i):
			undecided = append(undecided, key)
		case !complete(lins, len(parts[i])):
			bad = append(bad, key)
		}
	}
	if len(bad) == 0 {
		if len(undecided) == 0 {
			return errors.New("kv: porcupine found the history illegal, but every key alone linearizable")
		}
		return fmt.Errorf("linearizability not decided: key %s took over %d model steps: %w",
			strings.Join(undecided, ", "), b.MaxStepsPerKey, sim.ErrUnknown)
	}
	where := "visualization not written"
	// A name fixed by scenario and seed, so a replay's message is the sweep's
	// and rewrites the same file.
	//lockstep:allow an end check, after the run: the report file changes no verdict
	f, err := os.Create(filepath.Join(os.TempDir(), fmt.Sprintf("lockstep-%s-seed%d.html", strings.ReplaceAll(scenario, "/", "_"), seed)))
	if err == nil {
		// The unbounded model: the visualization steps only along the linearizations
		// the search found, a bounded number of steps.
		err = porcupine.Visualize(model, info, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		where = "visualization: " + f.Name()
	}
	if err != nil {
		where = fmt.Sprintf("visualization not written: %v", err)
	}
	return fmt.Errorf("history is not linearizable: key %s (%d operations); %s", strings.Join(bad, ", "), len(ops), where)
}

// complete reports whether one of a key's partial linearizations holds all n operations.
func complete(lins [][]int, n int) bool {
	for _, l := range lins {
		if len(l) == n {
			return true
		}
	}
	return false
}

// boundSteps returns model with each key's steps counted: once a key has taken limit steps,
// every further step of it is refused, which ends porcupine's search of that key at once
// (as "illegal"), and exhausted(i) reports that parts[i]'s search was cut short. Each key
// is searched by one goroutine of porcupine's, which alone touches the key's counter.
func boundSteps(model porcupine.Model, parts [][]porcupine.Operation, limit int) (porcupine.Model, func(i int) bool) {
	counters := make([]int, len(parts))
	index := make(map[string]*int, len(parts))
	for i, part := range parts {
		index[part[0].Input.(KVInput).Key] = &counters[i]
	}
	step := model.Step
	model.Step = func(state, input, output any) (bool, any) {
		n := index[input.(KVInput).Key]
		if *n >= limit {
			*n = limit + 1
			return false, state
		}
		*n++
		return step(state, input, output)
	}
	return model, func(i int) bool { return counters[i] > limit }
}

// maxConcurrent returns the most operations of part open at one instant, as porcupine
// orders them: at equal times, calls before returns.
func maxConcurrent(part []porcupine.Operation) int {
	type edge struct {
		t     int64
		delta int
	}
	edges := make([]edge, 0, 2*len(part))
	for _, op := range part {
		edges = append(edges, edge{op.Call, 1}, edge{op.Return, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].t != edges[j].t {
			return edges[i].t < edges[j].t
		}
		return edges[i].delta > edges[j].delta
	})
	open, most := 0, 0
	for _, e := range edges {
		open += e.delta
		most = max(most, open)
	}
	return most
}
