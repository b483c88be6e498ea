package sim

import "unsafe"

// fold spends most of its time on the event's label: FNV-1a is a multiply
// per byte, one after the other, and a kv run folds about 10 bytes of label
// into the trace hash per event. But folding a fixed label is an affine map
// of the hash with a small twist:
//
//	fold(h) = h*prime^n + add(h & 0xff)
//
// where n is the number of bytes folded. FNV-1a's step (h ^ c) * prime is
// (h + d) * prime with d = ((h&0xff) ^ c) - (h&0xff), which depends only on
// h's low byte; and the low byte of (h + d) * prime depends only on h's low
// byte too, so every step's d, and hence their sum add, is a function of
// the starting hash's low byte and the label alone (all modulo 2^64). A
// label's 256 values of add, worked out once a run's events have carried
// it labelFoldAfter times, make every later fold of it one multiply and
// one add, with exactly the hash the bytes would give. (A run has about a
// hundred distinct labels, one per process's wake for example, most of them
// too rare to repay working out 256 folds.)
//
// The memo is per world (no state is shared between runs). Labels are
// matched by content (a map), and in front of it by identity: a table
// indexed by the label's first eight bytes and length holds the label last
// seen there, and a label that is the very same string (the labels of a
// run's frequent events are built once and kept) is its entry. A label of
// the same content in another string (each node's clock builds its own
// timers' labels) is found there too, by comparing the bytes, without the
// map, and does not take the place. Two labels that share a place in the
// table cost a map lookup each time they displace each other, which is
// about what folding their bytes costs.

// labelFold is what the memo knows of one label.
type labelFold struct {
	label string       // the whole label, detail included
	uses  int          // folds of the label so far, up to labelFoldAfter
	mul   uint64       // prime^n, n the label's length up to its first tab
	add   *[256]uint64 // nil until the label has been folded labelFoldAfter times
}

const (
	// labelFoldMin is the shortest label memoized: folding fewer bytes
	// costs no more than the memo's lookup.
	labelFoldMin = 8
	// labelFoldSlots is the size of the table in front of the map: a seed
	// of kv/SnapshotRecoverManyClients3B has 139 distinct labels of
	// labelFoldMin bytes or more (netsim's per method, the disk's, the
	// timers', a wake and a resume per process). Labels of one slot
	// displaced each other 963 times in seed 1 with 64 slots, 672 with
	// 256 (labels of one kind often share their first eight bytes and
	// their length, as processes' wake labels do).
	labelFoldSlots = 256
	// labelFoldAfter is how many folds of a label go by its bytes before
	// its add is worked out: that costs about 256 such folds.
	labelFoldAfter = 64
)

// labelFoldSlot is label's place in World.labelFolds; label is at least
// labelFoldMin bytes long.
func labelFoldSlot(label string) uint64 {
	_ = label[7]
	v := uint64(label[0]) | uint64(label[1])<<8 | uint64(label[2])<<16 | uint64(label[3])<<24 |
		uint64(label[4])<<32 | uint64(label[5])<<40 | uint64(label[6])<<48 | uint64(label[7])<<56
	return (v ^ uint64(len(label))) * 0x9e3779b97f4a7c15 >> 56 // 256 slots
}

// isLabel reports whether lf is the entry of label, the very same string.
func (lf *labelFold) isLabel(label string) bool {
	return lf != nil && len(lf.label) == len(label) && unsafe.StringData(lf.label) == unsafe.StringData(label)
}

// labelFoldMiss returns label's entry when the table's slot holds another
// string: the slot's entry if that is the same label in another string,
// else the map's, or a new one, which it puts in the slot.
func (w *World) labelFoldMiss(label string, slot uint64) *labelFold {
	if lf := w.labelFolds[slot&(labelFoldSlots-1)]; lf != nil && lf.label == label {
		// The same label in another string: each node's clock builds
		// its timers' labels ("timer\tleader"), and the nodes' timers
		// took the map's lookup about 1,500 times a seed.
		return lf
	}
	lf := w.labelFoldMap[label]
	if lf == nil {
		lf = newLabelFold(label)
		if w.labelFoldMap == nil {
			w.labelFoldMap = make(map[string]*labelFold)
		}
		w.labelFoldMap[label] = lf
	}
	w.labelFolds[slot&(labelFoldSlots-1)] = lf
	return lf
}

// newLabelFold returns an entry for label, its add not yet worked out.
func newLabelFold(label string) *labelFold {
	return &labelFold{label: label}
}

// use counts one fold of lf's label, and reports whether lf.add is ready:
// it works it out on the labelFoldAfter-th.
func (lf *labelFold) use() bool {
	if lf.uses++; lf.uses < labelFoldAfter {
		return false
	}
	name := []byte(lf.label)
	for i, c := range name {
		if c == '\t' {
			name = name[:i]
			break
		}
	}
	lf.mul = 1
	for range name {
		lf.mul *= fnvPrime
	}
	lf.add = new([256]uint64)
	for b := range uint64(256) {
		lf.add[b] = fnvBytes(b, name) - b*lf.mul
	}
	return true
}

// fnvPrime is FNV-1a's 64-bit prime.
const fnvPrime = 1099511628211
