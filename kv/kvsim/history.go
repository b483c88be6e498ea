package kvsim

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/kv/lincheck"
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
	// ops holds the records in completion order, in chunks of recordChunk: a history
	// that grows by appending to one slice copies it at every doubling, twice its size
	// in all, for a structure that lives the whole run.
	ops [][]record
	n   int
	st  lincheck.Stamper
}

// recordChunk is the number of records in one chunk of History.ops.
const recordChunk = 512

// record is one completed call. The history keeps its own flat records and builds
// porcupine's operations only when asked (Operations): most scenarios never check
// linearizability, and boxing every input and output into porcupine's interface fields as
// the call completed cost two allocations per operation in every run.
type record struct {
	client     int
	op         kv.Op
	key, value string // the input
	out        string // the output: what a Get returned
	call, ret  int64
	at         int // the log index the operation took effect at (see pendingOp.at)
}

// stamp returns the history's timestamp for a call or return at virtual time t (see
// lincheck.Stamper): it keeps the order of events at one instant, so that a clerk's next
// call is not taken as overlapping the operation that returned at that instant.
func (h *History) stamp(t time.Duration) int64 { return h.st.Stamp(t) }

func (h *History) add(r record) {
	if h.n%recordChunk == 0 {
		h.ops = append(h.ops, make([]record, 0, recordChunk))
	}
	last := &h.ops[len(h.ops)-1]
	*last = append(*last, r)
	h.n++
}

// all calls f with each record, in completion order.
func (h *History) all(f func(i int, r *record)) {
	i := 0
	for _, chunk := range h.ops {
		for j := range chunk {
			f(i, &chunk[j])
			i++
		}
	}
}

// Operations returns the recorded operations in completion order, as porcupine's
// operations (ClientId is the clerk's 0-based number, Input a KVInput, Output a KVOutput).
// Each call builds a new slice.
func (h *History) Operations() []porcupine.Operation {
	ops := make([]porcupine.Operation, h.n)
	h.all(func(i int, r *record) {
		ops[i] = porcupine.Operation{
			ClientId: r.client,
			Input:    KVInput{Op: r.op, Key: r.key, Value: r.value, at: r.at},
			Call:     r.call,
			Output:   KVOutput{Value: r.out},
			Return:   r.ret,
		}
	})
	return ops
}

// prepared returns what prepare(h.Operations()) returns, built from the records directly:
// each operation's input and output, with its fingerprints and hints, in arrays of the
// key's (the operations point into them: see inputOf).
func (h *History) prepared() [][]porcupine.Operation {
	keys, parts := h.split()
	for _, k := range keys {
		k.prepare()
	}
	return parts
}

// checkable returns the history as the check takes it: partitioned by key (see
// prepared), each key either proven linearizable by its witness order (see witness) or
// prepared for porcupine's search, which only those need: fingerprints and hints were
// most of the check's own work once the witness spared most keys the search.
func (h *History) checkable() (parts [][]porcupine.Operation, proven []bool) {
	keys, parts := h.split()
	proven = make([]bool, len(parts))
	for i, k := range keys {
		if proven[i] = witness(parts[i]); !proven[i] {
			k.prepare()
		}
	}
	return parts, proven
}

// split returns the history partitioned by key, in key order, each operation's input and
// output (without fingerprints or hints yet) in arrays of its key's keyOps, which the
// operations point into. The arrays of all keys are parts of one array each, sized before
// they are filled: the check runs once the simulation ended, with the whole world still
// live, and every collection its allocations start marks all of it.
func (h *History) split() ([]keyOps, [][]porcupine.Operation) {
	index := map[string]int{} // key -> its number, in order of first appearance
	var keys []string
	var count []int
	of := make([]int32, h.n) // each record's key number
	h.all(func(i int, r *record) {
		n, ok := index[r.key]
		if !ok {
			n = len(keys)
			index[r.key] = n
			keys = append(keys, r.key)
			count = append(count, 0)
		}
		of[i] = int32(n)
		count[n]++
	})
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	// start[n] is where key n's operations begin in the arrays, in key order.
	start := make([]int, len(keys))
	at := 0
	for _, n := range order {
		start[n] = at
		at += count[n]
	}
	recs := make([]*record, h.n)
	next := slices.Clone(start)
	h.all(func(i int, r *record) {
		n := of[i]
		recs[next[n]] = r
		next[n]++
	})
	ins, outs, rets := make([]KVInput, h.n), make([]KVOutput, h.n), make([]int64, h.n)
	all := make([]porcupine.Operation, h.n)
	parts := make([][]porcupine.Operation, 0, len(keys))
	kops := make([]keyOps, 0, len(keys))
	for _, n := range order {
		from, to := start[n], start[n]+count[n]
		k := keyOps{ins: ins[from:to:to], outs: outs[from:to:to], rets: rets[from:to:to]}
		for j, r := range recs[from:to] {
			k.ins[j] = KVInput{Op: r.op, Key: r.key, Value: r.value, at: r.at}
			k.outs[j] = KVOutput{Value: r.out}
			k.rets[j] = r.ret
			all[from+j] = porcupine.Operation{ClientId: r.client, Input: &k.ins[j], Call: r.call, Output: &k.outs[j], Return: r.ret}
		}
		kops = append(kops, k)
		parts = append(parts, all[from:to:to])
	}
	return kops, parts
}

// Len is the number of recorded operations.
func (h *History) Len() int { return h.n }

// Bounds limit the linearizability check (see lincheck.Bounds; zero fields take the
// defaults, lincheck.DefaultMaxOpsPerKey and the others, measured on kv's scenarios).
type Bounds = lincheck.Bounds

// CheckLinearizable checks ops against Model, with prepare's fingerprints and order hints,
// within bounds b (zero fields: the defaults). A key's history over the operation or
// concurrency bound makes the verdict unknown before porcupine runs; a search that exceeds
// the step or comparison bound makes it unknown too, unless another key is not
// linearizable. On a violation it writes porcupine's HTML visualization to a temporary file
// named after the scenario and seed, and the error names the keys whose histories are not
// linearizable and the file. An undecided check returns an error wrapping sim.ErrUnknown.
func CheckLinearizable(ops []porcupine.Operation, scenario string, seed uint64, b Bounds) error {
	return checkLinearizable(nil, prepare(ops), nil, func() []porcupine.Operation { return ops }, scenario, seed, b)
}

// checkLinearizable is CheckLinearizable on the history parts, which also attaches
// porcupine's view to w (lincheck.Visualize), for simrun's -html page; ops returns the
// history as it was recorded, for the view. Every part is prepared (prepare) but those
// proven marks (nil: none), which a witness order proved linearizable (see
// History.checkable) and porcupine does not search.
func checkLinearizable(w *sim.World, parts [][]porcupine.Operation, proven []bool, ops func() []porcupine.Operation, scenario string, seed uint64, b Bounds) error {
	model := Model()
	var isProven func(i int) bool
	if proven != nil {
		isProven = func(i int) bool { return proven[i] }
	}
	res, err := lincheck.CheckPartitioned(model, parts, keyOf, b, isProven)
	if w != nil && (!res.Ok || w.Tracing()) { // else Visualize would attach nothing
		lincheck.Visualize(w, "kv/linearizability", model, ops(), keyOf, res)
	}
	if err != nil || res.Ok {
		return err
	}
	info := res.Info
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
	n := 0
	for _, part := range parts {
		n += len(part)
	}
	return fmt.Errorf("history is not linearizable: key %s (%d operations); %s", lincheck.Quote(res.Illegal), n, where)
}
