package kvsim

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/kv/lincheck"
)

// KVInput is a history operation's input: 6.824's models.KvInput.
type KVInput struct {
	Op         kv.Op
	Key, Value string
	fp         fingerprint // of Value, once prepare computed it
	// pred, if hinted, is the value part a Get observed just before this Append's Value
	// (see prepare): the Append steps only onto a value whose last non-empty part is pred.
	pred   string
	hinted bool
	// at is the log index at which the servers applied the operation (0: unknown), for
	// the witness order (see witness).
	at int
}

// KVOutput is a history operation's output: the value a Get returned ("" for Put and
// Append).
type KVOutput struct {
	Value string
	fp    fingerprint // of Value, once prepare computed it
}

// inputOf and outputOf return an operation's input and output: a KVInput and a KVOutput
// in a recorded history, pointers to them in a prepared one (prepare), where boxing a
// pointer into porcupine's interface fields costs no allocation.
func inputOf(input any) KVInput {
	if in, ok := input.(*KVInput); ok {
		return *in
	}
	return input.(KVInput)
}

func outputOf(output any) KVOutput {
	if out, ok := output.(*KVOutput); ok {
		return *out
	}
	return output.(KVOutput)
}

// keyOf returns an operation input's key.
func keyOf(input any) string {
	if in, ok := input.(*KVInput); ok {
		return in.Key
	}
	return input.(KVInput).Key
}

func (in KVInput) print() fingerprint {
	if in.fp.Computed() {
		return in.fp
	}
	return fingerprintOf(in.Value)
}

func (out KVOutput) print() fingerprint {
	if out.fp.Computed() {
		return out.fp
	}
	return fingerprintOf(out.Value)
}

// Model returns the sequential specification of the service, 6.824's models.KvModel:
// partitioned by key (a history is linearizable iff each key's sub-history is, since every
// operation touches one key); a key's value starts "", Get is legal iff it returns the
// value, Put replaces it, Append extends it.
//
// A state is not the value itself but a persistent chain of the Put and Appends that built
// it, with a fingerprint of the whole value. The values of the 6.824 workloads grow by an
// Append every other operation to tens of kilobytes, and porcupine steps and compares states
// millions of times while it searches; as strings every Append step copied the value and
// every comparison read it, which made a 3,000-operation key take tens of seconds. With the
// chain a step is O(1), and two values are equal iff their fingerprints are: two 61-bit
// polynomial hashes (mod the Mersenne prime 2^61-1, two bases) and the length. Distinct
// values of length L collide with probability about (L/2^61)^2, below 2^-90 for the values
// here; and the verdict is still a pure function of the history. Model works on any
// history; a history passed through prepare carries its fingerprints, computed once, and
// its order hints, which Model honours: an Append whose input carries one steps only onto
// a value that ends with the part observed before it (see prepare for why this keeps the
// verdict).
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return emptyState },
		Step: func(state, input, output any) (bool, any) {
			st, in := state.(*kvState), inputOf(input)
			switch in.Op {
			case kv.OpGet:
				return outputOf(output).print() == st.fp, st
			case kv.OpPut:
				return true, &kvState{part: in.Value, fp: in.print()}
			case kv.OpAppend:
				if in.hinted && in.pred != st.last() {
					return false, st
				}
				return true, &kvState{prev: st, part: in.Value, fp: st.fp.Concat(in.print())}
			}
			return false, st
		},
		Equal: func(a, b any) bool { return a.(*kvState).fp == b.(*kvState).fp },
		Hash:  func(s any) uint64 { return s.(*kvState).fp.Hash() },
		DescribeOperation: func(input, output any) string {
			in := inputOf(input)
			switch in.Op {
			case kv.OpGet:
				return fmt.Sprintf("get(%q) -> %q", in.Key, short(outputOf(output).Value))
			case kv.OpPut:
				return fmt.Sprintf("put(%q, %q)", in.Key, short(in.Value))
			}
			return fmt.Sprintf("append(%q, %q)", in.Key, short(in.Value))
		},
		DescribeState: func(state any) string { return fmt.Sprintf("%q", short(state.(*kvState).String())) },
	}
}

// kvState is one key's value in the model: part appended to prev's value, or, with prev
// nil, the whole value (the initial "" or a Put). Immutable: steps build new states.
type kvState struct {
	prev *kvState
	part string
	fp   fingerprint // of the whole value
}

var emptyState = &kvState{fp: fingerprintOf("")}

// String rebuilds the value.
func (s *kvState) String() string {
	var parts []string
	for ; s != nil; s = s.prev {
		parts = append(parts, s.part)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString(parts[i])
	}
	return b.String()
}

// fingerprint is lincheck's string fingerprint: states and values compare in O(1).
type fingerprint = lincheck.Fingerprint

var fingerprintOf = lincheck.FingerprintOf

var emptyPrint = fingerprintOf("")

// prepare returns history partitioned by key (in key order, each key's operations in the
// history's order, as partitionByKey), every input and output carrying the fingerprint of
// its value, and Appends carrying order hints: what Model needs to check each key's
// history fast, built in one pass over each key. Its inputs and outputs are a *KVInput
// and a *KVOutput (see inputOf).
//
// Fingerprints: a Get usually returns what an earlier Get of its key returned, extended
// by a few Appends: its fingerprint extends that one's, so a key's Gets cost the length
// of what is new in each, not of the whole value.
//
// Order hints make the check much faster with the same verdict. The 6.824 workloads
// append distinctive values ("x client seq y"), and every Get returns the concatenation of
// the values applied to its key, so a Get that returns "...u v..." tells the checker that
// when v was appended the value ended with u. The plain model learns that only at the Get:
// a run of k concurrent Appends between two Gets makes porcupine enumerate the orders of
// the run one by one, up to k! of them (kv/Swarm seed 3: fourteen Appends between two
// Gets, 30 s). An Append hinted with u refuses to step onto a value that does not end
// with u, so the run's order is forced.
//
// This prunes only linearizations the plain model would reject anyway, so the verdict is
// the same. Proof sketch, for a key whose distinct non-empty values form a prefix-free set
// (otherwise the key gets no hints): a value built from such parts parses into them in one
// way only, so in a linearization the plain model accepts, where a Get returns "...u v..."
// and v is the value of one operation only, that operation appended v to a value whose last
// non-empty part was u; and "v..." at the start of a Get means v was appended to a value
// with no non-empty part.
func prepare(history []porcupine.Operation) [][]porcupine.Operation {
	parts := partitionByKey(history)
	for _, part := range parts {
		k := keyOps{ins: make([]KVInput, len(part)), outs: make([]KVOutput, len(part)), rets: make([]int64, len(part))}
		for i, op := range part {
			k.ins[i] = inputOf(op.Input)
			switch out := op.Output.(type) {
			case KVOutput:
				k.outs[i] = out
			case *KVOutput:
				k.outs[i] = *out
			}
			k.rets[i] = op.Return
		}
		k.prepare()
		for i := range part {
			part[i].Input, part[i].Output = &k.ins[i], &k.outs[i]
		}
	}
	return parts
}

// partitionByKey splits a history into one sub-history per key, in key order.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	return lincheck.Partition(history, keyOf)
}

// keyOps is one key's operations, in the history's order, while prepare works on them.
type keyOps struct {
	ins  []KVInput
	outs []KVOutput
	rets []int64 // the operations' Return stamps
}

// prepare sets the fingerprints and order hints of one key's operations (see prepare).
func (k keyOps) prepare() {
	gets := make([]int, 0, len(k.ins)) // the Gets, in order of return
	for i := range k.ins {
		in := &k.ins[i]
		in.fp = emptyPrint
		if in.Value != "" {
			in.fp = fingerprintOf(in.Value)
		}
		if in.Op == kv.OpGet {
			gets = append(gets, i)
			continue
		}
		out := &k.outs[i]
		out.fp = emptyPrint
		if out.Value != "" {
			out.fp = fingerprintOf(out.Value)
		}
	}
	slices.SortStableFunc(gets, func(a, b int) int { return cmp.Compare(k.rets[a], k.rets[b]) })
	prev := KVOutput{fp: emptyPrint}
	for _, i := range gets {
		o := &k.outs[i]
		if strings.HasPrefix(o.Value, prev.Value) {
			o.fp = prev.fp.Concat(fingerprintOf(o.Value[len(prev.Value):]))
		} else {
			o.fp = fingerprintOf(o.Value)
		}
		prev = *o
	}
	k.hint(gets)
}

// hint gives each Append of the key whose value some Get observed the value part
// observed just before it ("" when it starts the value): see prepare. gets are the
// indices of the key's Gets, in order of return.
func (k keyOps) hint(gets []int) {
	values, lens, ok := hintable(k.ins)
	if !ok {
		return
	}
	type note struct {
		pred     string
		conflict bool
	}
	hints := make(map[string]note, len(values))
	observe := func(v, pred string) {
		if values[v] != kv.OpAppend {
			return
		}
		if old, seen := hints[v]; !seen {
			hints[v] = note{pred: pred}
		} else if old.pred != pred {
			// Two Gets disagree on what precedes v: the history is not linearizable
			// (v is applied once), which the plain model finds without help.
			hints[v] = note{conflict: true}
		}
	}
	// Most Gets return the value an earlier Get returned, extended: parse only what is
	// new, starting from the previous Get's last part.
	prevOut, prevLast, prevOK := "", "", false
	for _, i := range gets {
		out := k.outs[i].Value
		pos, pred := 0, ""
		if prevOK && strings.HasPrefix(out, prevOut) {
			pos, pred = len(prevOut), prevLast
		}
		okParse := true
		for pos < len(out) {
			v := ""
			for _, n := range lens {
				if pos+n <= len(out) {
					if _, known := values[out[pos:pos+n]]; known {
						v = out[pos : pos+n]
						break
					}
				}
			}
			if v == "" {
				okParse = false // not a concatenation of this key's values: no hints
				break
			}
			observe(v, pred)
			pred, pos = v, pos+len(v)
		}
		prevOut, prevLast, prevOK = out, pred, okParse
	}
	for i := range k.ins {
		in := &k.ins[i]
		if in.Op != kv.OpAppend {
			continue
		}
		if h, ok := hints[in.Value]; ok && !h.conflict {
			in.pred, in.hinted = h.pred, true
		}
	}
}

// last returns the last non-empty part of the value ("" for an empty value).
func (s *kvState) last() string {
	for ; s != nil; s = s.prev {
		if s.part != "" {
			return s.part
		}
	}
	return ""
}

// hintable returns the key's distinct non-empty Put and Append values, each with its op,
// their distinct lengths in ascending order, and whether they allow hints: no value is a
// prefix of another, so a value built from them parses into them in one way only. A value
// that two operations write (the 6.824 clients restart their numbering every iteration)
// gets no hint itself (which of the two is a Get seeing?), but as a string it still tells
// what follows it.
func hintable(ins []KVInput) (map[string]kv.Op, []int, bool) {
	values := make(map[string]kv.Op, len(ins))
	var lens []int
	for _, in := range ins {
		if in.Op == kv.OpGet || in.Value == "" {
			continue
		}
		if _, dup := values[in.Value]; dup {
			values[in.Value] = opShared
			continue
		}
		values[in.Value] = in.Op
		if i, found := slices.BinarySearch(lens, len(in.Value)); !found {
			lens = slices.Insert(lens, i, len(in.Value))
		}
	}
	if !prefixFree(values, lens) {
		return nil, nil, false
	}
	return values, lens, true
}

// prefixFree reports whether no value is a proper prefix of another. The workloads' values
// take a few lengths ("x 3 17 y"): then looking up each value's prefixes of those lengths
// is cheaper than sorting the values; with many lengths, sorting is.
func prefixFree(values map[string]kv.Op, lens []int) bool {
	if len(lens) <= 8 {
		for v := range values {
			for _, n := range lens {
				if n >= len(v) {
					break
				}
				if _, ok := values[v[:n]]; ok {
					return false
				}
			}
		}
		return true
	}
	sorted := make([]string, 0, len(values))
	for v := range values {
		sorted = append(sorted, v)
	}
	slices.Sort(sorted)
	// If a is a prefix of c and a < b < c, then b has prefix a too: checking neighbours
	// in sorted order finds every prefix pair.
	for i := 1; i < len(sorted); i++ {
		if strings.HasPrefix(sorted[i], sorted[i-1]) {
			return false
		}
	}
	return true
}

// opShared marks a value more than one operation writes.
const opShared kv.Op = 255
