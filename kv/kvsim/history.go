package kvsim

import (
	"fmt"
	"os"
	"path/filepath"
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
	ops []record
	st  lincheck.Stamper
}

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
}

// stamp returns the history's timestamp for a call or return at virtual time t (see
// lincheck.Stamper): it keeps the order of events at one instant, so that a clerk's next
// call is not taken as overlapping the operation that returned at that instant.
func (h *History) stamp(t time.Duration) int64 { return h.st.Stamp(t) }

func (h *History) add(r record) { h.ops = append(h.ops, r) }

// Operations returns the recorded operations in completion order, as porcupine's
// operations (ClientId is the clerk's 0-based number, Input a KVInput, Output a KVOutput).
// Each call builds a new slice.
func (h *History) Operations() []porcupine.Operation {
	ops := make([]porcupine.Operation, len(h.ops))
	for i, r := range h.ops {
		ops[i] = porcupine.Operation{
			ClientId: r.client,
			Input:    KVInput{Op: r.op, Key: r.key, Value: r.value},
			Call:     r.call,
			Output:   KVOutput{Value: r.out},
			Return:   r.ret,
		}
	}
	return ops
}

// Len is the number of recorded operations.
func (h *History) Len() int { return len(h.ops) }

// Bounds limit the linearizability check (see lincheck.Bounds; zero fields take the
// defaults, lincheck.DefaultMaxOpsPerKey and the others, measured on kv's scenarios).
type Bounds = lincheck.Bounds

// CheckLinearizable checks ops against Model (as ModelFor(ops)) within bounds b (zero
// fields: the defaults). A key's history over the operation or concurrency bound makes
// the verdict unknown before porcupine runs; a search that exceeds the step bound makes
// it unknown too, unless another key is not linearizable. On a violation it writes
// porcupine's HTML visualization to a temporary file named after the scenario and seed,
// and the error names the keys whose histories are not linearizable and the file. An
// undecided check returns an error wrapping sim.ErrUnknown.
func CheckLinearizable(ops []porcupine.Operation, scenario string, seed uint64, b Bounds) error {
	return checkLinearizable(nil, ops, scenario, seed, b)
}

// checkLinearizable is CheckLinearizable that also attaches porcupine's view to w
// (lincheck.Visualize), for simrun's -html page.
func checkLinearizable(w *sim.World, ops []porcupine.Operation, scenario string, seed uint64, b Bounds) error {
	ops = prepare(ops)
	model := ModelFor(ops)
	keyOf := func(in any) string { return in.(KVInput).Key }
	res, err := lincheck.Check(model, ops, keyOf, b)
	lincheck.Visualize(w, "kv/linearizability", model, ops, keyOf, res)
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
	return fmt.Errorf("history is not linearizable: key %s (%d operations); %s", lincheck.Quote(res.Illegal), len(ops), where)
}
