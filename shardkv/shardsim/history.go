package shardsim

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// CheckLinearizability: porcupine found the history not linearizable.
const CheckLinearizability = "shardkv/linearizability"

// LinearizabilityBudget is the wall time porcupine gets. The original gives it 1 s and
// counts a timeout as a pass; here a timeout is the outcome "unknown", never a pass, and
// the budget is far above what the histories here need (milliseconds), so that the
// verdict does not depend on the machine's load.
const LinearizabilityBudget = 60 * time.Second

// KVInput is a history operation's input (6.824's models.KvInput).
type KVInput struct {
	Op         shardkv.Op // OpGet, OpPut or OpAppend
	Key, Value string
}

// KVOutput is its output: what a Get returned.
type KVOutput struct{ Value string }

// KVModel is 6.824's models.KvModel: partitioned by key; a key starts "", a Get is legal
// iff it returns the value, Put replaces it, Append extends it.
var KVModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(KVInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		slices.Sort(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in, st := input.(KVInput), state.(string)
		switch in.Op {
		case shardkv.OpGet:
			return output.(KVOutput).Value == st, st
		case shardkv.OpPut:
			return true, in.Value
		}
		return true, st + in.Value
	},
	Equal: func(a, b any) bool { return a.(string) == b.(string) },
	DescribeOperation: func(input, output any) string {
		in := input.(KVInput)
		if in.Op == shardkv.OpGet {
			return fmt.Sprintf("get('%s') -> '%s'", in.Key, output.(KVOutput).Value)
		}
		return fmt.Sprintf("%v('%s', '%s')", in.Op, in.Key, in.Value)
	},
}

// History is the completed clerk calls of a run, with virtual Call and Return times. Every
// call recorded must have completed: porcupine takes a missing write as one that never
// happened, so a scenario lets its clerks finish before it checks.
type History struct{ ops []porcupine.Operation }

// Add records one completed call.
func (h *History) Add(client int, in KVInput, out KVOutput, call, ret time.Duration) {
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: int64(call), Return: int64(ret)})
}

// Len is the number of recorded calls.
func (h *History) Len() int { return len(h.ops) }

// CheckLinearizable checks the history against KVModel. Illegal is an error naming the
// keys whose histories are not linearizable; a check that ran out of budget wraps
// sim.ErrUnknown.
func (h *History) CheckLinearizable() error {
	ops := slices.Clone(h.ops)
	// Completion order is an event order; sort by call time so porcupine's input does
	// not depend on which of two clerks' replies came first at one instant.
	slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	switch porcupine.CheckOperationsTimeout(KVModel, ops, LinearizabilityBudget) {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		return fmt.Errorf("linearizability of %d operations not decided within %v: %w", len(ops), LinearizabilityBudget, sim.ErrUnknown)
	}
	single := KVModel
	single.Partition = nil
	var bad []string
	for _, part := range KVModel.Partition(ops) {
		if porcupine.CheckOperationsTimeout(single, part, LinearizabilityBudget) == porcupine.Illegal {
			bad = append(bad, fmt.Sprintf("%q", part[0].Input.(KVInput).Key))
		}
	}
	return fmt.Errorf("history is not linearizable: keys %v (%d operations)", bad, len(ops))
}
