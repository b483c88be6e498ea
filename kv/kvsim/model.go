package kvsim

import (
	"fmt"
	"sort"
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
}

// KVOutput is a history operation's output: the value a Get returned ("" for Put and
// Append).
type KVOutput struct {
	Value string
	fp    fingerprint // of Value, once prepare computed it
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
// history; a history passed through prepare carries its fingerprints, computed once.
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return emptyState },
		Step: func(state, input, output any) (bool, any) {
			st, in := state.(*kvState), input.(KVInput)
			switch in.Op {
			case kv.OpGet:
				return output.(KVOutput).print() == st.fp, st
			case kv.OpPut:
				return true, &kvState{part: in.Value, fp: in.print()}
			case kv.OpAppend:
				return true, &kvState{prev: st, part: in.Value, fp: st.fp.Concat(in.print())}
			}
			return false, st
		},
		Equal: func(a, b any) bool { return a.(*kvState).fp == b.(*kvState).fp },
		Hash:  func(s any) uint64 { return s.(*kvState).fp.Hash() },
		DescribeOperation: func(input, output any) string {
			in := input.(KVInput)
			switch in.Op {
			case kv.OpGet:
				return fmt.Sprintf("get(%q) -> %q", in.Key, short(output.(KVOutput).Value))
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

// prepare returns a copy of history whose inputs and outputs carry their fingerprints.
// A Get usually returns what an earlier Get of its key returned, extended by a few Appends:
// its fingerprint extends that one's, so a key's Gets cost the length of what is new in
// each, not of the whole value.
func prepare(history []porcupine.Operation) []porcupine.Operation {
	out := make([]porcupine.Operation, len(history))
	copy(out, history)
	gets := map[string][]int{}
	for i := range out {
		in := out[i].Input.(KVInput)
		in.fp = fingerprintOf(in.Value)
		out[i].Input = in
		if in.Op == kv.OpGet {
			gets[in.Key] = append(gets[in.Key], i)
		} else {
			o, _ := out[i].Output.(KVOutput)
			o.fp = fingerprintOf(o.Value)
			out[i].Output = o
		}
	}
	for _, idx := range gets {
		sort.SliceStable(idx, func(a, b int) bool { return out[idx[a]].Return < out[idx[b]].Return })
		prev := KVOutput{fp: fingerprintOf("")}
		for _, i := range idx {
			o := out[i].Output.(KVOutput)
			if strings.HasPrefix(o.Value, prev.Value) {
				o.fp = prev.fp.Concat(fingerprintOf(o.Value[len(prev.Value):]))
			} else {
				o.fp = fingerprintOf(o.Value)
			}
			out[i].Output = o
			prev = o
		}
	}
	return out
}

// partitionByKey splits a history into one sub-history per key, in key order.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	return lincheck.Partition(history, func(in any) string { return in.(KVInput).Key })
}

// ModelFor returns Model strengthened for one history: it gives the same verdict on that
// history, much faster. The 6.824 workloads append distinctive values ("x client seq y"), and
// every Get returns the concatenation of the values applied to its key, so a Get that
// returns "...u v..." tells the checker that when v was appended the value ended with u.
// The plain model learns that only at the Get: a run of k concurrent Appends between two Gets
// makes porcupine enumerate the orders of the run one by one, up to k! of them (kv/Swarm seed
// 3: fourteen Appends between two Gets, 30 s). ModelFor refuses to step an Append onto a
// value that does not end with the value observed before it, so the run's order is forced.
//
// This prunes only linearizations the plain model would reject anyway, so the verdict is
// the same. Proof sketch, for a key whose distinct non-empty values form a prefix-free set
// (otherwise the key gets no hints): a value built from such parts parses into them in one
// way only, so in a linearization the plain model accepts, where a Get returns "...u v..."
// and v is the value of one operation only, that operation appended v to a value whose last
// non-empty part was u; and "v..." at the start of a Get means v was appended to a value
// with no non-empty part.
func ModelFor(history []porcupine.Operation) porcupine.Model {
	hints := orderHints(history)
	base := Model()
	if len(hints) == 0 {
		return base
	}
	m := base
	m.Step = func(state, input, output any) (bool, any) {
		if in := input.(KVInput); in.Op == kv.OpAppend {
			if pred, ok := hints[keyValue{in.Key, in.Value}]; ok && pred != state.(*kvState).last() {
				return false, state
			}
		}
		return base.Step(state, input, output)
	}
	return m
}

type keyValue struct{ key, value string }

// last returns the last non-empty part of the value ("" for an empty value).
func (s *kvState) last() string {
	for ; s != nil; s = s.prev {
		if s.part != "" {
			return s.part
		}
	}
	return ""
}

// orderHints maps each observed Append (key, value) to the value part observed just before
// it in some Get ("" when it starts the value).
func orderHints(history []porcupine.Operation) map[keyValue]string {
	hints := map[keyValue]string{}
	for _, part := range partitionByKey(history) {
		key := part[0].Input.(KVInput).Key
		values, ok := hintable(part)
		if !ok {
			continue
		}
		lengths := map[int]bool{}
		for v := range values {
			lengths[len(v)] = true
		}
		var lens []int
		for n := range lengths {
			lens = append(lens, n)
		}
		sort.Ints(lens)
		conflict := map[string]bool{}
		note := func(v, pred string) {
			if values[v] != kv.OpAppend || conflict[v] {
				return
			}
			k := keyValue{key, v}
			if old, seen := hints[k]; seen && old != pred {
				// Two Gets disagree on what precedes v: the history is not linearizable
				// (v is applied once), which the plain model finds without help.
				delete(hints, k)
				conflict[v] = true
				return
			}
			hints[k] = pred
		}
		// Most Gets return the value an earlier Get returned, extended: parse only what
		// is new, starting from the previous Get's last part.
		gets := make([]porcupine.Operation, 0, len(part))
		for _, op := range part {
			if op.Input.(KVInput).Op == kv.OpGet {
				gets = append(gets, op)
			}
		}
		sort.SliceStable(gets, func(i, j int) bool { return gets[i].Return < gets[j].Return })
		prevOut, prevLast, prevOK := "", "", false
		for _, op := range gets {
			out := op.Output.(KVOutput).Value
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
				note(v, pred)
				pred, pos = v, pos+len(v)
			}
			prevOut, prevLast, prevOK = out, pred, okParse
		}
	}
	return hints
}

// hintable returns the key's distinct non-empty Put and Append values, each with its op,
// and whether they allow hints: no value is a prefix of another, so a value built from them
// parses into them in one way only. A value that two operations write (the 6.824 clients
// restart their numbering every iteration) gets no hint itself (which of the two is a
// Get seeing?), but as a string it still tells what follows it.
func hintable(part []porcupine.Operation) (map[string]kv.Op, bool) {
	values := map[string]kv.Op{}
	for _, op := range part {
		in := op.Input.(KVInput)
		if in.Op == kv.OpGet || in.Value == "" {
			continue
		}
		if _, dup := values[in.Value]; dup {
			values[in.Value] = opShared
		} else {
			values[in.Value] = in.Op
		}
	}
	sorted := make([]string, 0, len(values))
	for v := range values {
		sorted = append(sorted, v)
	}
	sort.Strings(sorted)
	// If a is a prefix of c and a < b < c, then b has prefix a too: checking neighbours
	// in sorted order finds every prefix pair.
	for i := 1; i < len(sorted); i++ {
		if strings.HasPrefix(sorted[i], sorted[i-1]) {
			return nil, false
		}
	}
	return values, true
}

// opShared marks a value more than one operation writes.
const opShared kv.Op = 255
