package kvsim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/sim"
)

// LinearizabilityBudget is the wall time porcupine gets per history. The original gives
// it 1 s and counts a timeout as a pass; here a timeout is the run's outcome "unknown",
// never a pass, so the budget is generous: the shipped scenarios' histories check in
// milliseconds, and a budget this far above that keeps the verdict (which must be the same
// on every replay) from depending on the machine's load.
var LinearizabilityBudget = 60 * time.Second

// History is every completed clerk call of a run, with virtual Call and Return times in
// nanoseconds since the start of the run. Porcupine treats an operation missing from the
// history as one that never happened, which is wrong for a write that took effect but whose
// reply was lost: a Get that saw it would then look illegal. So every scenario lets its
// clerks finish their calls before it checks (kv/Swarm makes that a liveness check), and a
// scenario that abandoned calls would have to record its pending writes with an open return
// time instead.
type History struct {
	ops []porcupine.Operation
}

func (h *History) add(op porcupine.Operation) { h.ops = append(h.ops, op) }

// Operations returns the recorded operations in completion order.
func (h *History) Operations() []porcupine.Operation { return h.ops }

// Len is the number of recorded operations.
func (h *History) Len() int { return len(h.ops) }

// CheckLinearizable checks ops against KVModel (as ModelFor(ops)) within LinearizabilityBudget. On a
// violation it writes porcupine's HTML visualization to a temporary file named after the
// scenario and seed, and the error names the keys whose histories are not linearizable and
// the file. A check that ran out of budget returns an error wrapping sim.ErrUnknown.
func CheckLinearizable(ops []porcupine.Operation, scenario string, seed uint64) error {
	ops = prepare(ops)
	model := ModelFor(ops)
	res, info := porcupine.CheckOperationsVerbose(model, ops, LinearizabilityBudget)
	switch res {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		return fmt.Errorf("linearizability of %d operations not decided within %v: %w", len(ops), LinearizabilityBudget, sim.ErrUnknown)
	}
	keys := illegalKeys(model, ops)
	where := "visualization not written"
	// A name fixed by scenario and seed, so a replay's message is the sweep's
	// and rewrites the same file.
	f, err := os.Create(filepath.Join(os.TempDir(), fmt.Sprintf("lockstep-%s-seed%d.html", strings.ReplaceAll(scenario, "/", "_"), seed)))
	if err == nil {
		err = porcupine.Visualize(model, info, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		where = "visualization: " + f.Name()
	}
	if err != nil {
		where = fmt.Sprintf("visualization not written: %v", err)
	}
	return fmt.Errorf("history is not linearizable: key %s (%d operations); %s", keys, len(ops), where)
}

// illegalKeys names the keys whose sub-histories are not linearizable, checking each
// partition on its own.
func illegalKeys(model porcupine.Model, ops []porcupine.Operation) string {
	single := model
	single.Partition = nil
	var bad []string
	for _, part := range partitionByKey(ops) {
		if porcupine.CheckOperationsTimeout(single, part, LinearizabilityBudget) == porcupine.Illegal {
			bad = append(bad, fmt.Sprintf("%q", part[0].Input.(KVInput).Key))
		}
	}
	if len(bad) == 0 {
		return "(none found alone)"
	}
	return strings.Join(bad, ", ")
}
