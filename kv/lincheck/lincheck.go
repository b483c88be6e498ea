// Package lincheck runs porcupine's linearizability check within bounds counted in
// operations, model steps and state comparisons, never in wall time, so that its verdict is
// a pure function of the history and the bounds: a history the search cannot decide within
// them is "unknown" (sim.ErrUnknown), the same on every machine and under any load.
package lincheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/sim"
)

// Bounds limit the linearizability check, so that it ends quickly on any history and its
// verdict is a pure function of the history: every bound is counted in operations, model
// steps or state comparisons, never in wall time. A history beyond a bound is neither a
// pass nor a failure but the outcome "unknown", the same on every machine. Porcupine checks
// each key on its own (the model partitions by key), so the bounds are per key. Zero fields
// take the defaults.
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
	// MaxComparesPerKey is the most comparisons of model states porcupine's search of one
	// key may make. Before each step it takes, the search looks the step's result up in
	// its cache of the (linearized operations, state) pairs it has reached, comparing the
	// state with every one cached for the same operations. A history of concurrent
	// Appends that no Get orders reaches one state for each order of them, so a lookup
	// can compare thousands of states, and the search's time is no longer bounded by its
	// steps: a key of shardkv/Unreliable34B seed 3531 (as shardkv's traces were on
	// 2026-12-05, before its controller polls changed) kept a sweep in its lookups for over
	// ten minutes, under the step bound. This bound ends such a search as "unknown" too.
	MaxComparesPerKey int
}

// The default bounds, from a sweep of seeds 1-200 of the three scenarios that check
// linearizability in kv (kv/Swarm, kv/PersistPartitionUnreliableLinearizable3A and
// kv/SnapshotUnreliableRecoverConcurrentPartitionLinearizable3B) and of kv/Swarm seeds
// 201-600, measured by kvsim's TestMeasureHistories (KV_MEASURE_SEEDS=200, and =201-600
// with KV_MEASURE_SCENARIO=kv/Swarm). The largest key history held 3,835 operations
// (kv/Swarm, one key); the most concurrent operations on a key were 8 (the 15-clerk
// scenarios; kv/Swarm, with at most 7 clerks, 7); the costliest search took 242,063 model
// steps (kv/Swarm seed 373, a key of 991 operations, a third of a second), the next
// 171,386 (seed 72), and most keys take a few thousand. The costly keys hold Appends that
// no Get observed before a Put replaced them: nothing orders those, and the search tries
// their orders one by one. The defaults leave room of 2.6x (operations), 3x (concurrency)
// and 8x (steps). A search that runs to DefaultMaxStepsPerKey on a history that defeats it
// costs about ten seconds and a few hundred megabytes (kvsim's TestStepBoundEndsTheSearch).
//
// State comparisons, measured the same way (and in shardkv over seeds 1-300 of
// shardkv/Swarm and shardkv/Unreliable34B): kv's searches made at most 1,629 on a key,
// shardkv's 1,472. Both models give porcupine a hash of their states (Model.Hash), which
// keeps a cache lookup to the states of equal hash; without it shardkv's made up to
// 1,315,873 (a shardkv/Swarm key of 817 operations). A search that runs to the default
// takes about one second.
const (
	DefaultMaxOpsPerKey        = 10_000
	DefaultMaxConcurrentPerKey = 24
	DefaultMaxStepsPerKey      = 2_000_000
	DefaultMaxComparesPerKey   = 100_000_000
)

// WithDefaults returns b with its zero fields set to the defaults.
func (b Bounds) WithDefaults() Bounds {
	if b.MaxOpsPerKey == 0 {
		b.MaxOpsPerKey = DefaultMaxOpsPerKey
	}
	if b.MaxConcurrentPerKey == 0 {
		b.MaxConcurrentPerKey = DefaultMaxConcurrentPerKey
	}
	if b.MaxStepsPerKey == 0 {
		b.MaxStepsPerKey = DefaultMaxStepsPerKey
	}
	if b.MaxComparesPerKey == 0 {
		b.MaxComparesPerKey = DefaultMaxComparesPerKey
	}
	return b
}

// Result is a decided check: Ok, or the keys whose histories are not linearizable.
type Result struct {
	// Ok: every key's history is linearizable.
	Ok bool
	// Illegal names, in key order, the keys whose histories are not linearizable.
	Illegal []string
	// Undecided names the keys whose search ran out of steps. It is empty unless Illegal
	// is not: a check with undecided keys and no illegal one returns an unknown error.
	Undecided []string
	// Info is porcupine's record of the search, for porcupine.Visualize (with the model
	// Check was given: the visualization steps only along the linearizations the search
	// found, a bounded number of steps). A check that fails sets it; a passing check
	// leaves it empty (see CheckPartitioned), and Visualize, the one reader of a passing
	// check's record, has it made by searching again (record).
	Info porcupine.LinearizationInfo
	// record, set by a passing check, runs the check's search again, keeping the record.
	record func() porcupine.LinearizationInfo
}

// info returns r.Info, made by searching again for a passing check (see Info).
func (r Result) info() porcupine.LinearizationInfo {
	if len(r.Info.PartialLinearizations()) == 0 && r.record != nil {
		return r.record()
	}
	return r.Info
}

// Check checks ops against model within bounds b (zero fields: the defaults). keyOf
// returns an operation input's key; Check partitions the history by it, in key order,
// in place of model.Partition. A key's history over the operation or concurrency bound
// makes the check undecided before porcupine runs; a search that exceeds the step bound
// makes it undecided too, unless another key is not linearizable (that verdict needs no
// other key's). An undecided check returns an error wrapping sim.ErrUnknown; a decided
// one returns a Result and no error.
func Check(model porcupine.Model, ops []porcupine.Operation, keyOf func(input any) string, b Bounds) (Result, error) {
	return CheckPartitioned(model, Partition(ops, keyOf), keyOf, b, nil)
}

// CheckPartitioned is Check on a history already partitioned as Partition does: one
// non-empty sub-history per key, in key order. It is for a caller that prepares each
// key's operations (say, with fingerprints of their values) and would otherwise build the
// partition twice.
//
// proven, if not nil, may prove a key's history linearizable without a search:
// proven(i) true means parts[i] is linearizable (say, the caller found a linearization of
// it and checked it), and porcupine does not search that key; false says nothing, and
// porcupine searches it. The bounds on operations and concurrency apply to every key
// first, as without proven. A proven key that porcupine could not have decided within the
// step bound passes where it would have been undecided; the shipped workloads stay an
// order of magnitude under that bound (see the defaults).
func CheckPartitioned(model porcupine.Model, parts [][]porcupine.Operation, keyOf func(input any) string, b Bounds, proven func(i int) bool) (Result, error) {
	b = b.WithDefaults()
	for _, part := range parts {
		key := keyOf(part[0].Input)
		if len(part) > b.MaxOpsPerKey {
			return Result{}, fmt.Errorf("linearizability not checked: key %q has %d operations, over the bound of %d per key: %w",
				key, len(part), b.MaxOpsPerKey, sim.ErrUnknown)
		}
		if c := MaxConcurrent(part); c > b.MaxConcurrentPerKey {
			return Result{}, fmt.Errorf("linearizability not checked: key %q has %d concurrent operations, over the bound of %d per key: %w",
				key, c, b.MaxConcurrentPerKey, sim.ErrUnknown)
		}
	}
	// Each key on its own, without porcupine's record of the search (the verbose check).
	// Keeping the record costs, at every backtrack, a walk of the whole partial
	// linearization: the verbose search of kv/Swarm seed 28 (a key of 3,246 operations)
	// takes three times as long as the plain one. Almost every check passes, and then the
	// record serves only a person reading a trace (Visualize, which has it made again).
	// A key checked on its own runs to its end (porcupine stops the other keys of a check
	// when one fails), so the steps each key takes, and its verdict, do not depend on the
	// order in which goroutines run.
	var failed []int // the keys not linearizable or undecided, in key order
	exhausted := make([]bool, len(parts))
	for i, part := range parts {
		if proven != nil && proven(i) {
			continue
		}
		one, ran := boundSteps(model, parts[i:i+1], keyOf, b)
		one.Partition = nil
		if !porcupine.CheckOperations(one, part) {
			failed = append(failed, i)
			exhausted[i] = ran(0)
		}
	}
	// record searches every key decided again with the record kept: the same searches,
	// so the same verdicts, within the same bounds. A key left undecided is left out: its
	// search, cut short by a bound, would be as long again, and it has no verdict to show.
	decided := parts
	if slices.Contains(exhausted, true) {
		decided = nil
		for i, part := range parts {
			if !exhausted[i] {
				decided = append(decided, part)
			}
		}
	}
	model.Partition = func([]porcupine.Operation) [][]porcupine.Operation { return decided }
	record := func() porcupine.LinearizationInfo {
		bounded, _ := boundSteps(model, decided, keyOf, b)
		_, info := porcupine.CheckOperationsVerbose(bounded, nil, 0) // (nil: Partition returns parts)
		return info
	}
	if len(failed) == 0 {
		return Result{Ok: true, record: record}, nil
	}
	var r Result
	for _, i := range failed {
		key := keyOf(parts[i][0].Input)
		if exhausted[i] {
			r.Undecided = append(r.Undecided, key)
		} else {
			r.Illegal = append(r.Illegal, key)
		}
	}
	if len(r.Illegal) == 0 {
		return Result{}, fmt.Errorf("linearizability not decided: key %s took over %d model steps or %d state comparisons: %w",
			Quote(r.Undecided), b.MaxStepsPerKey, b.MaxComparesPerKey, sim.ErrUnknown)
	}
	r.Info = record() // for the visualization of the failure
	return r, nil
}

// Quote returns keys quoted and joined by commas, as the errors here name them.
func Quote(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return strings.Join(q, ", ")
}

// Partition splits a history into one sub-history per key (keyOf of each operation's
// input), in key order, each in the history's order. The sub-histories share one array
// (each with its capacity cut at its end, so appending to one never writes into the next).
func Partition(ops []porcupine.Operation, keyOf func(any) string) [][]porcupine.Operation {
	index := map[string]int{} // key -> its number, in order of first appearance
	var keys []string
	of := make([]int, len(ops))
	for i, op := range ops {
		k := keyOf(op.Input)
		n, ok := index[k]
		if !ok {
			n = len(keys)
			index[k] = n
			keys = append(keys, k)
		}
		of[i] = n
	}
	byKey := make([]int, len(keys)) // key numbers in key order
	for i := range byKey {
		byKey[i] = i
	}
	slices.SortFunc(byKey, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	// Each key's place in the shared array: its rank in key order, then its offset.
	size := make([]int, len(keys))
	for _, n := range of {
		size[n]++
	}
	start := make([]int, len(keys))
	at := 0
	for _, n := range byKey {
		start[n] = at
		at += size[n]
	}
	all := make([]porcupine.Operation, len(ops))
	next := slices.Clone(start)
	for i, n := range of {
		all[next[n]] = ops[i]
		next[n]++
	}
	out := make([][]porcupine.Operation, len(keys))
	for rank, n := range byKey {
		out[rank] = all[start[n]:next[n]:next[n]]
	}
	return out
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

// boundSteps returns model with each key's steps counted: once a key has taken
// b.MaxStepsPerKey steps, every further step of it is refused, which ends porcupine's
// search of that key at once (as "illegal"), and exhausted(i) reports that parts[i]'s
// search was cut short. Each key is searched by one goroutine of porcupine's, which alone
// touches the key's counter. A model for one key's history (each key's own check) counts
// without looking the key up, and counts its state comparisons too: past
// b.MaxComparesPerKey, its steps are refused as well. (A comparison does not name its
// key, so a model for several keys cannot count them; CheckPartitioned searches several
// keys at once only to keep the record of keys it has decided, and such a search repeats
// the one that decided the key, comparisons included.)
func boundSteps(model porcupine.Model, parts [][]porcupine.Operation, keyOf func(any) string, b Bounds) (porcupine.Model, func(i int) bool) {
	type work struct{ steps, compares int }
	counters := make([]work, len(parts))
	step := model.Step
	bounded := func(n *work, state, input, output any) (bool, any) {
		if n.steps >= b.MaxStepsPerKey || n.compares > b.MaxComparesPerKey {
			n.steps = b.MaxStepsPerKey + 1
			return false, state
		}
		n.steps++
		return step(state, input, output)
	}
	if len(parts) == 1 {
		n := &counters[0]
		model.Step = func(state, input, output any) (bool, any) { return bounded(n, state, input, output) }
		equal := model.Equal
		if equal == nil {
			// porcupine's own default, which a model with Equal set replaces.
			equal = func(a, b any) bool { return a == b }
		}
		model.Equal = func(a, b any) bool {
			n.compares++
			return equal(a, b)
		}
	} else {
		index := make(map[string]*work, len(parts))
		for i, part := range parts {
			index[keyOf(part[0].Input)] = &counters[i]
		}
		model.Step = func(state, input, output any) (bool, any) {
			return bounded(index[keyOf(input)], state, input, output)
		}
	}
	return model, func(i int) bool { return counters[i].steps > b.MaxStepsPerKey }
}

// MaxConcurrent returns the most operations of part open at one instant, as porcupine
// orders them: at equal times, calls before returns.
//
// It sorts the calls and the returns as two lists of integers and merges them, where
// sorting (time, +1/-1) pairs with a comparison function was 1.3% of kv/Swarm's
// instructions (its check runs on every key of every run); a history's returns are
// usually in order already (kvsim records operations as they complete).
func MaxConcurrent(part []porcupine.Operation) int {
	times := make([]int64, 2*len(part))
	calls, rets := times[:len(part)], times[len(part):]
	for i, op := range part {
		calls[i], rets[i] = op.Call, op.Return
	}
	slices.Sort(calls)
	if !slices.IsSorted(rets) {
		slices.Sort(rets)
	}
	open, most, r := 0, 0, 0
	for _, c := range calls {
		for r < len(rets) && rets[r] < c { // returns at c come after the calls at c
			open--
			r++
		}
		open++
		most = max(most, open)
	}
	return most
}
