package sim

import (
	"fmt"
	"sort"
)

// Storage is the durable storage a node writes to: named files with explicit
// sync, as on a real disk behind an OS page cache. Reads see every write;
// only synced writes are guaranteed to survive a crash. A real implementation
// on files (write, fsync, rename) satisfies the same contract.
type Storage interface {
	ReadFile(name string) ([]byte, bool)
	WriteFile(name string, data []byte)  // replace the whole file
	AppendFile(name string, data []byte) // append to the file (create if absent)
	Rename(from, to string)              // atomic replace of to; absent from is a no-op
	Remove(name string)
	Size(name string) int
	// Sync makes every write issued before it durable, then calls done
	// (nil: nobody waits). Until done runs, a crash may lose those writes.
	Sync(done func())
	List() []string
}

// StorageStats counts what crashes found on the nodes' storage in one run:
// a passing sweep says little about durability unless crashes really caught
// writes in flight.
type StorageStats struct {
	Crashes   int // crashes of nodes that had storage
	Unsynced  int // crashes that found writes not yet synced (and lost or tore some)
	Corrupted int // crashes after which already-synced data was corrupted
}

// StorageStats sums the storage statistics of every node so far.
func (w *World) StorageStats() StorageStats {
	var s StorageStats
	for _, n := range w.nodes {
		s.Crashes += n.Disk.stats.Crashes
		s.Unsynced += n.Disk.stats.Unsynced
		s.Corrupted += n.Disk.stats.Corrupted
	}
	return s
}

// DiskFaults is the storage fault model of one node.
type DiskFaults struct {
	// KeepSomeUnsynced: at a crash, a seeded prefix of the unsynced writes
	// reached the platter (as the OS may have flushed them), instead of none.
	KeepSomeUnsynced bool
	// TearLast: the first unsynced write that did not fully reach the platter
	// is kept partially (a torn write: a prefix of its bytes).
	TearLast bool
}

type diskOpKind uint8

const (
	opWrite diskOpKind = iota
	opAppend
	opRename
	opRemove
)

type diskOp struct {
	kind diskOpKind
	name string
	to   string
	data []byte
}

// Disk is a node's simulated durable storage. Every byte slice is copied on
// the way in and out, so no memory is shared with the node's volatile state
// (a crash could otherwise "persist" a later mutation).
type Disk struct {
	node    *Node
	rand    *Rand
	durable map[string][]byte
	view    map[string][]byte // durable plus pending: what reads see
	pending []diskOp
	faults  DiskFaults
	syncs   int
	stats   StorageStats
}

var _ Storage = (*Disk)(nil)

func newDisk(n *Node, r *Rand) *Disk {
	return &Disk{node: n, rand: r, durable: map[string][]byte{}, view: map[string][]byte{}}
}

// SetFaults sets the disk's fault model.
func (d *Disk) SetFaults(f DiskFaults) { d.faults = f }

// Faults returns the disk's fault model.
func (d *Disk) Faults() DiskFaults { return d.faults }

func (d *Disk) checkUp(op string) {
	if !d.node.up {
		panic(fmt.Sprintf("sim: %s on disk of crashed node %s", op, d.node.Name))
	}
}

// ReadFile returns a copy of the file's current contents.
func (d *Disk) ReadFile(name string) ([]byte, bool) {
	b, ok := d.view[name]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}

// Size returns the file's current size in bytes (0 if absent).
func (d *Disk) Size(name string) int { return len(d.view[name]) }

// TotalSize returns the sum of the sizes of the files whose name has prefix.
func (d *Disk) TotalSize(prefix string) int {
	total := 0
	for name, b := range d.view {
		if len(name) >= len(prefix) && name[:len(prefix)] == prefix {
			total += len(b)
		}
	}
	return total
}

// List returns the current file names, sorted.
func (d *Disk) List() []string {
	names := make([]string, 0, len(d.view))
	for name := range d.view {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// WriteFile replaces the file's contents (unsynced).
func (d *Disk) WriteFile(name string, data []byte) {
	d.checkUp("write")
	op := diskOp{kind: opWrite, name: name, data: append([]byte(nil), data...)}
	d.pending = append(d.pending, op)
	apply(d.view, op, len(op.data))
}

// AppendFile appends to the file (unsynced).
func (d *Disk) AppendFile(name string, data []byte) {
	d.checkUp("append")
	op := diskOp{kind: opAppend, name: name, data: append([]byte(nil), data...)}
	d.pending = append(d.pending, op)
	apply(d.view, op, len(op.data))
}

// Rename atomically replaces to with from (unsynced).
func (d *Disk) Rename(from, to string) {
	d.checkUp("rename")
	op := diskOp{kind: opRename, name: from, to: to}
	d.pending = append(d.pending, op)
	apply(d.view, op, 0)
}

// Remove deletes the file (unsynced).
func (d *Disk) Remove(name string) {
	d.checkUp("remove")
	op := diskOp{kind: opRemove, name: name}
	d.pending = append(d.pending, op)
	apply(d.view, op, 0)
}

// Sync makes every earlier write durable, then calls done.
func (d *Disk) Sync(done func()) {
	d.checkUp("sync")
	for _, op := range d.pending {
		apply(d.durable, op, len(op.data))
	}
	d.pending = d.pending[:0]
	d.syncs++
	if done != nil {
		done()
	}
}

// Syncs counts Sync calls (for tests and statistics).
func (d *Disk) Syncs() int { return d.syncs }

// Unsynced reports how many writes are not yet durable.
func (d *Disk) Unsynced() int { return len(d.pending) }

// apply performs op on files, keeping only keep bytes of its data (a torn
// write keeps fewer than all). The bytes a stored slice shows are never
// changed: a write stores a fresh copy, and an append only writes past the
// end of the slice it extends. Appends extend in place, amortised O(1),
// because copying the whole file on every append made a long-lived
// append-only log (raft/peer.go) quadratic: 75% of the wall time of a 16 s
// 6.824 churn run. In place is safe because each backing array's spare
// capacity belongs to one map entry: the only slices shared between durable
// and view are those boot copies over, and it clips their capacity in view,
// so view's next append to them reallocates, while durable's appends write
// only past the end view can see.
func apply(files map[string][]byte, op diskOp, keep int) {
	switch op.kind {
	case opWrite:
		files[op.name] = append([]byte(nil), op.data[:keep]...)
	case opAppend:
		files[op.name] = append(files[op.name], op.data[:keep]...)
	case opRename:
		if b, ok := files[op.name]; ok && op.name != op.to { // rename(f, f) keeps f, as POSIX does
			files[op.to] = b
			delete(files, op.name)
		}
	case opRemove:
		delete(files, op.name)
	}
}

// crash decides what of the unsynced writes reached the platter.
func (d *Disk) crash() {
	d.stats.Crashes++
	if len(d.pending) > 0 {
		d.stats.Unsynced++
		kept := 0
		if d.faults.KeepSomeUnsynced {
			kept = d.rand.IntN(len(d.pending) + 1)
		}
		for _, op := range d.pending[:kept] {
			apply(d.durable, op, len(op.data))
		}
		if d.faults.TearLast && kept < len(d.pending) {
			op := d.pending[kept]
			if (op.kind == opWrite || op.kind == opAppend) && len(op.data) > 0 {
				apply(d.durable, op, d.rand.IntN(len(op.data)))
			}
		}
	}
	d.pending = nil
	d.boot() // until the restart, readers (checkers) see only what survived
}

// boot rebuilds the read view from what is durable.
func (d *Disk) boot() {
	d.view = make(map[string][]byte, len(d.durable))
	for name, b := range d.durable {
		d.view[name] = b[:len(b):len(b)] // see apply: view must not append into durable's array
	}
}
