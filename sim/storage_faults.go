package sim

import (
	"fmt"
	"sort"
)

// DiskFaults is the storage fault model of one node: what a crash does to the
// operations not yet durable, and to the data that is. With no field set, a
// crash loses every operation not yet durable and nothing else.
type DiskFaults struct {
	// KeepSomeUnsynced: at a crash, a seeded prefix of the operations not yet
	// durable survives (as if the OS had flushed them in order), instead of
	// none.
	KeepSomeUnsynced bool
	// TearLast: the first operation that did not survive whole, if it writes
	// data, survives partially (a torn write: a prefix of its bytes, maybe
	// none). With Reorder, one seeded file's first lost write is torn.
	TearLast bool
	// Reorder (requires KeepSomeUnsynced): the surviving operations are a
	// seeded subset rather than a prefix, with one rule: each file's data
	// operations survive as a prefix of that file's (a later append never
	// survives without the earlier ones), and the directory's operations
	// (create, rename, remove) as a prefix of the directory's, as in a
	// metadata journal. Across files and between data and directory, anything
	// goes: a rename can survive while the write to the file it renames did
	// not, which is the hazard of "write, rename" without a sync between.
	Reorder bool
	// Corrupt: at a crash, with probability CorruptChance, one seeded
	// non-empty file of what survived is corrupted: a flipped bit, or a lost
	// write (a 512-byte aligned sector inside the file reads as zeros). Its
	// length never changes, so a checksummed record format can tell
	// corruption from a torn tail, which is always shorter.
	Corrupt bool
}

// CorruptChance is the probability that a crash of a node whose DiskFaults
// set Corrupt corrupts a file. One half, rather than every crash, so that a
// run sees the same node come back both intact and corrupted.
const CorruptChance = 0.5

// SectorSize is the unit of a lost write (DiskFaults.Corrupt).
const SectorSize = 512

// Validate reports a fault model that is not well formed. Every field is a
// flag, so the only bad model is a combination: Reorder says which of the
// operations KeepSomeUnsynced keeps survive, so it needs it.
func (f DiskFaults) Validate() error {
	if f.Reorder && !f.KeepSomeUnsynced {
		return fmt.Errorf("disk faults: reorder needs keep-some-unsynced (it chooses which unsynced operations survive)")
	}
	return nil
}

// String lists the fault model's flags.
func (f DiskFaults) String() string {
	return fmt.Sprintf("keep-some-unsynced=%v tear-last=%v reorder=%v corrupt=%v",
		f.KeepSomeUnsynced, f.TearLast, f.Reorder, f.Corrupt)
}

// crash decides what of the operations not yet durable reached the platter,
// corrupts durable data if the fault model says so, logs what it did, and
// cancels the syncs in flight (their events die with the node's incarnation).
// Its draws come from a stream keyed by the crash, so they do not depend on
// how many syncs drew latencies before.
func (d *Disk) crash() {
	d.stats.Crashes++
	d.crashes++
	r := d.crashRand.Keyed(d.crashes)
	n := len(d.pending)
	kept, torn := 0, 0
	if n > 0 {
		d.stats.Unsynced++
		keep, tear, tearBytes := d.fates(r)
		for i := range d.pending {
			op := &d.pending[i]
			switch {
			case keep[i]:
				kept++
				d.durable.apply(op, op.dataLen(), d.partsFrom)
			case i == tear:
				torn++
				d.durable.apply(op, tearBytes, d.partsFrom)
			}
		}
	}
	corrupted := ""
	if d.faults.Corrupt && r.Chance(CorruptChance) {
		if corrupted = d.corrupt(r); corrupted != "" {
			d.stats.Corrupted++
		}
	}
	if w := d.node.w; w.Tracing() {
		note := fmt.Sprintf("disk: crash found %d unsynced ops (%d syncs in flight): kept %d, tore %d, lost %d",
			n, len(d.inflight), kept, torn, n-kept-torn)
		if corrupted != "" {
			note += "; corrupted " + corrupted
		}
		w.Logf(d.node, "%s", note)
	}
	clear(d.pending)
	d.pending = d.pending[:0]
	d.pendingSeq += uint64(n)
	clear(d.inflight) // cancelled: drop their done callbacks, keep the array
	d.inflight = d.inflight[:0]
	// The crash cancelled every sync event still scheduled: all are free.
	d.freeSyncs = append(d.freeSyncs[:0], d.syncEvents...)
	d.lastDone, d.dirty = 0, 0
	d.durable.collect()
	d.viewBooted = false // durable changed: the view must be rebuilt
	d.boot()             // until the restart, readers (checkers) see only what survived
}

// fates draws which pending operations survive whole (keep), and which one,
// if any, is torn to its first tearBytes bytes (tear, or -1).
func (d *Disk) fates(r *Rand) (keep []bool, tear, tearBytes int) {
	n := len(d.pending)
	keep = make([]bool, n)
	tear = -1
	tearable := func(i int) bool { return d.pending[i].isData() && d.pending[i].dataLen() > 0 }
	var candidates []int // operations a tear may keep part of
	switch {
	case d.faults.Reorder:
		// Each file (and the directory) keeps a prefix of its operations:
		// every operation survives with a per-crash probability until the
		// first of its file's that does not.
		p := r.Float64()
		lost := map[uint64]bool{} // by file; 0 is the directory
		for i, op := range d.pending {
			file := uint64(0)
			if op.isData() {
				file = op.ino
			}
			if lost[file] {
				continue
			}
			if r.Chance(p) {
				keep[i] = true
				continue
			}
			lost[file] = true
			if tearable(i) {
				candidates = append(candidates, i)
			}
		}
	default:
		k := 0
		if d.faults.KeepSomeUnsynced {
			k = r.IntN(n + 1)
		}
		for i := range k {
			keep[i] = true
		}
		if k < n {
			// A write to a new file is a create and a write: tearing that
			// write keeps the create too.
			if op := d.pending[k]; op.kind == opCreate && k+1 < n && d.pending[k+1].isData() && d.pending[k+1].ino == op.ino {
				if d.faults.TearLast && tearable(k+1) {
					keep[k] = true
					candidates = append(candidates, k+1)
				}
			} else if tearable(k) {
				candidates = append(candidates, k)
			}
		}
	}
	if d.faults.TearLast && len(candidates) > 0 {
		tear = candidates[r.IntN(len(candidates))]
		tearBytes = r.IntN(d.pending[tear].dataLen())
	}
	return keep, tear, tearBytes
}

// corrupt damages one seeded non-empty durable file without changing its
// length, and describes what it did ("" if every file is empty).
func (d *Disk) corrupt(r *Rand) string {
	var names []string
	for _, e := range d.durable.names {
		if d.durable.get(e.ino).len() > 0 {
			names = append(names, e.name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	name := names[r.IntN(len(names))]
	ino, _ := d.durable.lookup(name)
	b := d.durable.get(ino).appendTo(nil) // the old arrays may be shared with the view
	d.durable.set(ino, whole(b))
	if r.Chance(0.5) {
		lo := r.IntN((len(b)+SectorSize-1)/SectorSize) * SectorSize
		hi := min(lo+SectorSize, len(b))
		for _, c := range b[lo:hi] {
			if c != 0 {
				clear(b[lo:hi])
				return fmt.Sprintf("%s bytes %d-%d (lost write: the sector reads as zeros)", name, lo, hi)
			}
		}
		// The sector holds zeros already: losing its write would change
		// nothing, so flip a bit instead.
	}
	at := r.IntN(len(b))
	b[at] ^= 1 << r.IntN(8)
	return fmt.Sprintf("%s at byte %d (bit flip)", name, at)
}
