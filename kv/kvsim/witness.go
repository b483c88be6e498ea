package kvsim

import (
	"slices"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/kv"
)

// witness reports whether part, one key's history with inputs and outputs as split makes
// them (*KVInput, *KVOutput), is linearizable in one order it proposes: the order of the
// log indexes at which the servers applied its operations (KVInput.at, reported by the
// server that answered each; see Cluster.applied). If that order keeps real time (no
// operation placed after one that returned before it was called) and the key's value,
// replayed along it, is what every Get returned, it is a linearization, and the key needs
// neither porcupine's search nor the fingerprints and hints made for it: the search, run
// once the simulation ended with the whole world still live, was a quarter of kv/Swarm's
// instructions with the GC on, most of them collections its allocations started.
//
// It only ever proves: an operation without an index (a Get a server answered from its
// own state, as the planted UnsafeLocalGets bug does), two operations at one index, an
// order that breaks real time or a Get that does not match, and the key is searched as
// before, so a history that is not linearizable is still found so, and reported the same
// way. The replay is the model's specification (Model) on the values themselves.
func witness(part []porcupine.Operation) bool {
	if len(part) == 0 || len(part) >= 1<<20 {
		return false // (the order's keys below hold the position in 20 bits)
	}
	// The positions in order of index: each index shifted over its position, so that
	// one sort of integers orders them.
	order := make([]int64, len(part))
	for i := range part {
		at := part[i].Input.(*KVInput).at
		if at <= 0 {
			return false
		}
		order[i] = int64(at)<<20 | int64(i)
	}
	slices.Sort(order)
	for p := 1; p < len(order); p++ {
		if order[p]>>20 == order[p-1]>>20 {
			return false
		}
	}
	// Real time: from the end, the earliest return of the operations placed later must
	// not come before this one's call (equal stamps overlap, as porcupine orders them).
	earliest := part[order[len(order)-1]&(1<<20-1)].Return
	for p := len(order) - 2; p >= 0; p-- {
		op := &part[order[p]&(1<<20-1)]
		if earliest < op.Call {
			return false
		}
		earliest = min(earliest, op.Return)
	}
	var value []byte // the key's value along the order
	for _, o := range order {
		i := o & (1<<20 - 1)
		in := part[i].Input.(*KVInput)
		switch in.Op {
		case kv.OpGet:
			if part[i].Output.(*KVOutput).Value != string(value) {
				return false
			}
		case kv.OpPut:
			value = append(value[:0], in.Value...)
		case kv.OpAppend:
			value = append(value, in.Value...)
		default:
			return false
		}
	}
	return true
}
