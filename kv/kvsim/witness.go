package kvsim

import (
	"cmp"
	"math"
	"slices"

	"github.com/anishathalye/porcupine"
)

// witness reports whether part, one key's prepared history (see prepare), is linearizable
// in one order it proposes: the order of the log indexes at which the servers applied its
// operations (KVInput.at, reported by the server that answered each; see Cluster.applied).
// If that order keeps real time (no operation placed after one that returned before it
// was called) and the model accepts the operations in it, it is a linearization, and the
// key needs no search: porcupine's search of a key's history, which runs once the
// simulation ended with the whole world still live, was a quarter of kv/Swarm's
// instructions with the GC on, most of them collections its allocations started.
//
// It only ever proves: an operation without an index (a Get a server answered from its
// own state, as the planted UnsafeLocalGets bug does), two operations at one index, an
// order that breaks real time or that the model refuses, and the key is searched as
// before, so a history that is not linearizable is still found so, and reported the same
// way. The model is the hinted one porcupine checks with, which accepts no order the
// plain model refuses (see prepare).
func witness(model porcupine.Model, part []porcupine.Operation) bool {
	at := func(i int) int { return part[i].Input.(*KVInput).at }
	order := make([]int, len(part))
	for i := range part {
		if at(i) <= 0 {
			return false
		}
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(at(a), at(b)) })
	for p := 1; p < len(order); p++ {
		if at(order[p]) == at(order[p-1]) {
			return false
		}
	}
	// Real time: from the end, the earliest return of the operations placed later must
	// not come before this one's call (equal stamps overlap, as porcupine orders them).
	earliest := int64(math.MaxInt64)
	for p := len(order) - 1; p >= 0; p-- {
		op := &part[order[p]]
		if earliest < op.Call {
			return false
		}
		earliest = min(earliest, op.Return)
	}
	state := model.Init()
	for _, i := range order {
		ok, next := model.Step(state, part[i].Input, part[i].Output)
		if !ok {
			return false
		}
		state = next
	}
	return true
}
