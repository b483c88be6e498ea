package shardsim

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/kv/lincheck"
	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// CheckLinearizability: porcupine found the history not linearizable.
const CheckLinearizability = "shardkv/linearizability"

// KVInput is a history operation's input (6.824's models.KvInput).
type KVInput struct {
	Op         shardkv.Op // OpGet, OpPut or OpAppend
	Key, Value string
	fp         fingerprint // of Value (History.Add computes it)
}

// KVOutput is its output: what a Get returned.
type KVOutput struct {
	Value string
	fp    fingerprint // of Value (History.Add computes it)
}

// KVModel is 6.824's models.KvModel: partitioned by key; a key starts "", a Get is legal
// iff it returns the value, Put replaces it, Append extends it.
//
// A state is not the value but its fingerprint (fingerprint). The values of an
// append-heavy history grow to kilobytes, and porcupine steps and compares states
// millions of times as it searches: as strings every Append copied the value and every
// Get compared it, which left a 2,900-operation shardkv/Swarm history (seed 127) undecided
// after a minute; with fingerprints a step is O(1). Operations must come through
// History.Add, which fingerprints their values once.
//
// Hash gives porcupine the fingerprint's hash, which it adds to the key of its cache of
// reached states, so that a lookup compares only states of equal hash. Without it, a
// lookup compared every state reached with the same operations linearized: one for each
// order of a run of concurrent Appends no Get ordered, and in seeds 558, 603, 658 and 855
// of seeds 1-1000 of shardkv/Unreliable34B a key's search made over 100,000,000
// comparisons (lincheck's bound; unknown) where it now decides in a tenth of a second.
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
	Init: func() any { return fingerprintOf("") },
	Step: func(state, input, output any) (bool, any) {
		in, st := input.(KVInput), state.(fingerprint)
		switch in.Op {
		case shardkv.OpGet:
			return output.(KVOutput).fp == st, st
		case shardkv.OpPut:
			return true, in.fp
		}
		return true, st.Concat(in.fp)
	},
	Equal: func(a, b any) bool { return a.(fingerprint) == b.(fingerprint) },
	Hash:  func(s any) uint64 { return s.(fingerprint).Hash() },
	DescribeOperation: func(input, output any) string {
		in := input.(KVInput)
		if in.Op == shardkv.OpGet {
			return fmt.Sprintf("get('%s') -> '%s'", in.Key, output.(KVOutput).Value)
		}
		return fmt.Sprintf("%v('%s', '%s')", in.Op, in.Key, in.Value)
	},
}

// fingerprint is lincheck's string fingerprint: two different values collide with
// probability below 2^-90 for the values here, so the verdict stays a pure function of the
// history.
type fingerprint = lincheck.Fingerprint

var fingerprintOf = lincheck.FingerprintOf

// History is the completed clerk calls of a run, with Call and Return stamps (Stamp) in
// the order the calls and returns happened in virtual time. Every call recorded must have
// completed: porcupine takes a missing write as one that never happened, so a scenario
// lets its clerks finish before it checks.
type History struct {
	ops []porcupine.Operation
	st  lincheck.Stamper
	// W, if set, is where the check attaches porcupine's view (lincheck.Visualize).
	W *sim.World
}

// Stamp returns the history's stamp for a call or return at virtual time t; a clerk takes
// it as the event happens (see lincheck.Stamper), so that its next call, at the instant of
// its previous return, is ordered after that return rather than overlapping it.
func (h *History) Stamp(t time.Duration) int64 { return h.st.Stamp(t) }

// Add records one completed call, with the stamps of its call and its return.
func (h *History) Add(client int, in KVInput, out KVOutput, call, ret int64) {
	in.fp, out.fp = fingerprintOf(in.Value), fingerprintOf(out.Value)
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret})
}

// Len is the number of recorded calls.
func (h *History) Len() int { return len(h.ops) }

// CheckLinearizable checks the history against KVModel within lincheck's default bounds,
// which count operations, model steps and state comparisons, never wall time, so that the
// verdict is the same on every machine. Illegal is an error naming the keys whose histories
// are not linearizable; a history over a bound is an error wrapping sim.ErrUnknown.
func (h *History) CheckLinearizable() error { return h.checkWithin(lincheck.Bounds{}) }

func (h *History) checkWithin(b lincheck.Bounds) error {
	ops := slices.Clone(h.ops)
	// Completion order is an event order; sort by call time so porcupine's input does
	// not depend on which of two clerks' replies came first at one instant.
	slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	keyOf := func(in any) string { return in.(KVInput).Key }
	res, err := lincheck.Check(KVModel, ops, keyOf, b)
	lincheck.Visualize(h.W, CheckLinearizability, KVModel, ops, keyOf, res)
	if err != nil || res.Ok {
		return err
	}
	return fmt.Errorf("history is not linearizable: keys %s (%d operations)", lincheck.Quote(res.Illegal), len(ops))
}
