package sim

import (
	"fmt"
	"strings"
	"time"
)

// Storage is the durable storage a node writes to: named files in one flat
// directory, behind a page cache. Every call but Sync takes effect at once
// in the cache (reads see it) and none is durable when it returns.
//
// Sync(done) asks for every operation issued before it to become durable and
// returns at once; done (nil: nobody waits) runs later, as an event of the
// node, once they are. Syncs complete in the order they were issued. A crash
// cancels every sync still in flight, so done never runs for them, and loses
// every operation not yet durable, or, as the node's DiskFaults say, keeps
// some of them, tears one, and corrupts durable data (see DiskFaults). Hence
// two rules for code on this interface:
//   - acknowledge nothing before the done of a Sync issued after it;
//   - replace a file atomically by writing a temporary file, syncing,
//     renaming it over the target, and syncing again before relying on the
//     rename. Without the first sync, a crash may keep the rename and lose
//     the write it renames: the target is then empty, and its old contents
//     are gone (DiskFaults.Reorder).
//
// A real adapter over a POSIX file system meets this contract if: WriteFile
// opens with O_CREAT|O_TRUNC and writes, AppendFile opens with O_APPEND,
// Rename is rename(2), Remove is unlink(2); and Sync fsyncs every file
// written since the previous Sync and then, if any file was created, renamed
// or removed since, the directory (fsync of a file does not make its name
// durable, nor does rename(2) make the new name durable until the directory
// is synced); it may do so in the background but must call done only after
// those fsyncs returned, one sync after the other in issue order. With
// DiskFaults.Reorder, the model is no stronger than that adapter in what
// survives a crash, with one exception: a file's operations survive as a
// prefix of that file's operations, with at most a torn tail, whereas a real
// file system may also expose a tail of zeros or stale blocks after an
// append whose size update reached the disk before its data (a record format
// with lengths and checksums tells both from a complete record). Without
// Reorder, unsynced operations survive in issue order, which no POSIX file
// system promises.
type Storage interface {
	ReadFile(name string) ([]byte, bool)
	WriteFile(name string, data []byte)  // replace the whole file (truncate and write)
	AppendFile(name string, data []byte) // append to the file (create if absent)
	Rename(from, to string)              // atomic replace of to; absent from is a no-op
	Remove(name string)
	Size(name string) int
	// WriteFileOwned replaces the whole file with head followed by tail
	// (tail may be nil), handing both over rather than lending them: the
	// storage may keep their arrays instead of a copy, so the caller must
	// never write to them again. Without a tail, the storage may also fill
	// head's spare capacity with later appends to the file, so the caller
	// must not hand any part of that array over again either. It saves the
	// copy of a buffer encoded only to be written, and of a large payload
	// behind a small header (a framed record). A real adapter implements it
	// as WriteFile of the two, or one writev(2).
	//
	// The storage gives the arrays back once the file they were written to
	// (under whatever name renames gave it since) is replaced, by a write to
	// it or a rename over it, or removed, and a Sync issued after that
	// operation completed: from then on the storage holds no part of them,
	// and the caller owns them again. A crash of the node ends the caller, not
	// the storage's hold: a new instance must not count on arrays the old one
	// handed over.
	WriteFileOwned(name string, head, tail []byte)
	// Sync makes every operation issued before it durable, later: done runs
	// as an event of the node once they are (never inside Sync itself), and
	// never if the node crashes first.
	Sync(done func())
	List() []string
}

// SharedReader is a Storage that can read a file without copying it. ReadFileShared
// is ReadFile, but the bytes it returns may be the storage's own: the caller must
// never write to them, nor hand their array over (WriteFileOwned). Their capacity
// is clipped, so an append to them copies. The storage never changes them either,
// so they go on showing what was read, whatever the file and the node go through.
// It saves the copy of a file read only to be decoded, whose decoded values may
// share its bytes (a Raft log at boot). It is a separate interface, which callers
// look for and fall back to ReadFile without, so that a wrapper that embeds a
// Storage and overrides ReadFile (to inject a fault) is not bypassed by a method
// it did not know about; a real adapter need not implement it (a read-only mmap(2)
// would not do: a crash may lose what it showed, and a later write put other bytes
// there).
type SharedReader interface {
	ReadFileShared(name string) ([]byte, bool)
}

// SyncProc syncs s from a process written in blocking style: it issues a
// Sync and suspends p until it completed. If the storage's node crashes
// first, the sync never completes: a process on that node dies with it, but
// a process elsewhere waits forever (a deadlock the run reports).
func SyncProc(p *Proc, s Storage) {
	p.Suspend("sync", func(resume func()) { s.Sync(resume) })
}

// The sync latency model, drawn per Sync from the disk's own stream: a base
// latency uniform in [SyncLatencyMin, SyncLatencyMax] (a flush with a device
// cache flush on an SSD: about 0.1 ms on NVMe, 1 ms on SATA); with
// probability SyncStallChance a stall uniform in [SyncLatencyMax,
// SyncStallMax] instead (the long tail of fsync: journal commits, garbage
// collection inside the device); plus SyncCostPerByte for every byte written
// since the previous Sync (500 MB/s). A sync completes no earlier than the
// one issued before it, so syncs complete in issue order, as behind one
// device queue. The stalls are what give a crash a fair chance to land
// between an acknowledgement and the end of a sync it did not wait for.
const (
	SyncLatencyMin  = 100 * time.Microsecond
	SyncLatencyMax  = time.Millisecond
	SyncStallChance = 0.05
	SyncStallMax    = 50 * time.Millisecond
	SyncCostPerByte = 2 * time.Nanosecond
)

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

type diskOpKind uint8

const (
	opCreate diskOpKind = iota // directory: name now refers to a new, empty file
	opWrite                    // file data: truncate and write
	opAppend                   // file data: append
	opRename                   // directory
	opRemove                   // directory
)

// diskOp is one storage operation as the file system sees it. Writing to an
// absent file is two operations, a create (a directory operation) and the
// write (a data operation on the new file), which a crash may separate.
type diskOp struct {
	kind diskOpKind
	name string   // create, rename (from), remove
	to   string   // rename
	ino  uint64   // create, write, append: the file
	data contents // write: the file's new contents; append: see appended
	// appended (append) is how many bytes it appended, which are the last
	// ones of data, the whole file just after it, as reads saw it
	// (AppendFile): the file the durable state holds once this append is
	// durable in order (makeDurable). The capacity of data's last part runs
	// to the end of that part's array, whose spare part what reads see owns
	// while the node runs (see apply); its list of full parts is clipped.
	appended int
}

// dataLen returns how many bytes op writes: 0 for a directory operation.
func (op *diskOp) dataLen() int {
	if op.kind == opAppend {
		return op.appended
	}
	return op.data.len()
}

// appendedBytes returns the bytes an append appended.
func (op *diskOp) appendedBytes() []byte {
	n := len(op.data.last)
	return op.data.last[n-op.appended : n : n]
}

func (op *diskOp) isData() bool { return op.kind == opWrite || op.kind == opAppend }

// Disk is a node's simulated durable storage. Every byte slice is copied on
// the way in and out, so no memory is shared with the node's volatile state
// (a crash could otherwise "persist" a later mutation); inside, that one copy
// is shared by the pending operation, the read view and the durable state
// (see apply).
type Disk struct {
	node      *Node
	latency   *Rand // sync latencies, one draw per Sync
	crashRand *Rand // crash decisions, keyed by crash
	durable   fsys
	view      fsys // durable plus pending: what reads see
	// partsFrom is growDoubleFrom, or less on the disks of tests of short
	// files (SmallFileParts), which must reach the parts code.
	partsFrom int
	pending   []diskOp // issued, not yet durable, in issue order
	// pendingSeq is the issue number of pending[0]; inflight syncs name the
	// issue number up to which they make operations durable.
	pendingSeq uint64
	inflight   []inflightSync
	lastDone   time.Duration // completion time of the last sync issued
	dirty      int           // data bytes issued since the last Sync
	nextIno    uint64
	syncIDs    uint64
	// syncEvents are every sync completion event allocated so far and
	// freeSyncs those not scheduled now (see syncEvent).
	syncEvents []*syncEvent
	freeSyncs  []*syncEvent
	crashes    uint64
	// viewBooted: view is what boot built from durable, and nothing was
	// issued since (boot keeps it).
	viewBooted bool
	faults     DiskFaults
	syncs      int
	stats      StorageStats
	// appendName is the name AppendFile appended to last and appendIno the file it
	// referred to then, if appendKnown: until a directory operation (issueDir) or a boot
	// changes what names refer to, the next append to the name, nearly every append (a Raft
	// peer's log), needs no lookup of it.
	appendName  string
	appendIno   uint64
	appendKnown bool
	// sharedReads are the files ReadFileShared showed the disk's own bytes
	// of since the last boot, by inode, whatever happened to the file since:
	// boot must not hand over room a read showed (see boot).
	sharedReads []sharedRead
}

type inflightSync struct {
	id   uint64
	upto uint64 // operations with issue number < upto become durable
	done func()
}

var (
	_ Storage      = (*Disk)(nil)
	_ SharedReader = (*Disk)(nil)
)

func newDisk(n *Node, r *Rand) *Disk {
	return &Disk{node: n, latency: r.Fork("latency"), crashRand: r.Fork("crash"), partsFrom: growDoubleFrom}
}

// SetFaults sets the disk's fault model. It panics on a model Validate
// rejects: plans are validated before they are installed.
func (d *Disk) SetFaults(f DiskFaults) {
	if err := f.Validate(); err != nil {
		panic(fmt.Sprintf("sim: disk of %s: %v", d.node.Name, err))
	}
	d.faults = f
}

// Faults returns the disk's fault model.
func (d *Disk) Faults() DiskFaults { return d.faults }

// checkUp reports whether the node's code may write now. Code of a crashed
// node, or of an instance that has restarted since, must not: the write is
// not made and the run fails with the check "down-node" (Node.CheckUp).
// what is a constant (a concatenation here was an allocation per storage operation).
func (d *Disk) checkUp(what string) bool { return d.node.CheckUp(what) }

// ReadFile returns a copy of the file's current contents.
func (d *Disk) ReadFile(name string) ([]byte, bool) {
	ino, ok := d.view.lookup(name)
	if !ok {
		return nil, false
	}
	c := d.view.get(ino)
	return c.appendTo(make([]byte, 0, c.len())), true
}

// ReadFileShared returns the file's current contents, the disk's own bytes,
// moved into one array first if the file is in parts (flatten). What reads
// see is never changed within its length while the node runs (see apply),
// and the caller promises not to write to it (Storage), so a slice of it,
// clipped, shows the same bytes for as long as the caller keeps it, but for
// one case, which boot rules out: a crash that loses some of the bytes read
// hands the array's room from the end of what survived to the next
// instance, whose appends would write over them (sharedReads). The copy
// ReadFile makes of a log at every boot was a tenth of the bytes
// kv/PersistConcurrent3A allocated.
func (d *Disk) ReadFileShared(name string) ([]byte, bool) {
	ino, ok := d.view.lookup(name)
	if !ok {
		return nil, false
	}
	c := d.view.get(ino)
	if c.pre > 0 {
		c = d.flatten(ino, c)
	}
	d.sharedRead(ino, len(c.last))
	return c.last[:len(c.last):len(c.last)], true
}

// flatten copies file ino, c as reads see it and in parts, into one array
// with as much room again for appends, which becomes the file as reads see
// it (the file moves, as an append that did not fit once moved it), and
// from then on grows in one part (whole), so that this read and the next
// share it rather than copy again. When nothing was issued since boot, the
// durable state holds it too (as it holds an append's file, see apply), so
// that a crash before the next append boots the same array. A log that grew
// by appends is in parts when its peer reads it at boot: kept in parts, it
// would be copied at every boot, as a copy of the log at every boot was a
// tenth of the bytes kv/PersistConcurrent3A allocated.
func (d *Disk) flatten(ino uint64, c contents) contents {
	n := c.len()
	flat := contents{last: c.appendTo(make([]byte, 0, 2*n)), whole: true}
	d.view.set(ino, flat)
	if d.viewBooted {
		d.durable.set(ino, flat)
	}
	return flat
}

// sharedRead notes that ReadFileShared showed the first n bytes of file ino.
func (d *Disk) sharedRead(ino uint64, n int) {
	for i := range d.sharedReads {
		if r := &d.sharedReads[i]; r.ino == ino {
			r.n = max(r.n, n)
			return
		}
	}
	d.sharedReads = append(d.sharedReads, sharedRead{ino: ino, n: n})
}

// sharedLen returns how many bytes of file ino ReadFileShared showed at most
// since the last boot (0: none).
func (d *Disk) sharedLen(ino uint64) int {
	for _, r := range d.sharedReads {
		if r.ino == ino {
			return r.n
		}
	}
	return 0
}

// sharedRead is the longest read of one file (any array it was in) that
// ReadFileShared made since the last boot.
type sharedRead struct {
	ino uint64
	n   int
}

// Size returns the file's current size in bytes (0 if absent).
func (d *Disk) Size(name string) int {
	ino, ok := d.view.lookup(name)
	if !ok {
		return 0
	}
	return d.view.get(ino).len()
}

// TotalSize returns the sum of the sizes of the files whose name has prefix.
func (d *Disk) TotalSize(prefix string) int {
	total := 0
	for _, e := range d.view.names {
		if strings.HasPrefix(e.name, prefix) {
			total += d.view.get(e.ino).len()
		}
	}
	return total
}

// List returns the current file names, sorted.
func (d *Disk) List() []string { return d.view.list() }

// newOp appends a zero operation to pending and returns it, to be filled in
// place, which costs fewer instructions than an append of an operation built
// first (kv/SnapshotRecoverManyClients3B: AppendFile 3.0M -> 2.8M). Within
// pending's capacity it only extends the slice: every operation pending drops
// is zeroed as it goes, by makeDurable and by a crash (which must drop their
// references to file data anyway), so the slots past its length are zero
// already, and an append of a zero operation stored all 144 bytes of it again.
func (d *Disk) newOp() *diskOp {
	n := len(d.pending)
	if n < cap(d.pending) {
		d.pending = d.pending[:n+1]
	} else {
		d.pending = append(d.pending, diskOp{})
	}
	return &d.pending[n]
}

// issueDir records the directory operation kind on name (to: a rename's
// target) as pending, once it was applied to what reads see, and returns it.
func (d *Disk) issueDir(kind diskOpKind, name, to string) *diskOp {
	d.viewBooted, d.appendKnown = false, false
	op := d.newOp()
	op.kind, op.name, op.to = kind, name, to
	return op
}

// file returns the file name refers to, creating it (unsynced) if absent.
func (d *Disk) file(name string) uint64 {
	if ino, ok := d.view.lookup(name); ok {
		return ino
	}
	// The name goes into the view without bind's scan for it: lookup found
	// none.
	d.nextIno++
	d.view.add(name, d.nextIno)
	d.issueDir(opCreate, name, "").ino = d.nextIno
	return d.nextIno
}

// WriteFile replaces the file's contents (unsynced).
func (d *Disk) WriteFile(name string, data []byte) {
	if !d.checkUp("write on its disk") {
		return
	}
	// The one copy of data: the operation, what reads see and, once synced,
	// the durable state all share it (see apply).
	d.write(name, whole(append(make([]byte, 0, len(data)), data...)))
}

// WriteFileOwned replaces the file's contents with head followed by tail
// themselves (unsynced): the disk keeps their arrays, for the operation,
// what reads see and the durable state, as WriteFile keeps its copy. The
// caller must not write to them until the disk gives them back; without a
// tail, appends to the file go into head's spare capacity. The disk gives
// them back as Storage says: the operation that replaces or removes the file
// drops them from what reads see at once; the Sync after it makes every
// operation before it durable, which drops the pending operations that
// referred to them (makeDurable), and replaces or removes the file in the
// durable state too.
func (d *Disk) WriteFileOwned(name string, head, tail []byte) {
	if !d.checkUp("write on its disk") {
		return
	}
	c := whole(head)
	if len(tail) > 0 {
		c = contents{head: head[:len(head):len(head)], pre: len(head), last: tail[:len(tail):len(tail)]}
	}
	d.write(name, c)
}

// write issues the write of c, the disk's own arrays, as name's contents.
// The pending operation (and so, once synced, the durable state) holds c
// with its capacity clipped; what reads see holds it whole, so that appends
// to the file fill its spare capacity instead of moving the file to a new
// array (see apply for why that is safe).
func (d *Disk) write(name string, c contents) {
	d.viewBooted = false
	ino := d.file(name)
	n := c.len()
	op := d.newOp()
	op.kind, op.ino, op.data = opWrite, ino, c.prefix(n)
	d.view.set(ino, c)
	d.dirty += n
}

// AppendFile appends to the file (unsynced).
func (d *Disk) AppendFile(name string, data []byte) {
	if !d.checkUp("append on its disk") {
		return
	}
	// The one copy of data is the append to what reads see; the pending
	// operation refers to the whole file there, whose last bytes are the
	// appended ones, which never change (see apply), rather than to copies of
	// its own.
	d.viewBooted = false
	ino := d.appendIno
	if !d.appendKnown || name != d.appendName {
		ino = d.file(name)
		d.appendName, d.appendIno, d.appendKnown = name, ino, true // after file's create, if any
	}
	f := d.view.appended(ino)
	if f == nil {
		f = d.view.appendSlot(ino)
	}
	if cap(f.c.last)-len(f.c.last) >= len(data) {
		f.c.last = append(f.c.last, data...) // appendData's first case, the usual one, in place
	} else {
		f.c = f.c.appendData(data, d.partsFrom)
	}
	file := f.c
	file.full = file.full[:len(file.full):len(file.full)] // view's alone to append to (see apply)
	op := d.newOp()
	op.kind, op.ino, op.data, op.appended = opAppend, ino, file, len(data)
	d.dirty += len(data)
}

// Rename atomically replaces to with from (unsynced). An absent from, or
// from equal to to, changes nothing, as POSIX rename does (the first fails).
func (d *Disk) Rename(from, to string) {
	if !d.checkUp("rename on its disk") {
		return
	}
	// The view's rename finds from itself: a lookup of it beforehand would
	// scan the names once more.
	if from != to && d.view.rename(from, to) {
		d.issueDir(opRename, from, to)
	}
}

// Remove deletes the file (unsynced).
func (d *Disk) Remove(name string) {
	if !d.checkUp("remove on its disk") {
		return
	}
	if d.view.remove(name) {
		d.issueDir(opRemove, name, "")
	}
}

// Sync makes every operation issued so far durable after the latency of the
// model above, then calls done as an event of the node; a crash first
// cancels it.
func (d *Disk) Sync(done func()) {
	if !d.checkUp("sync on its disk") {
		return
	}
	d.syncs++
	now := d.node.w.now
	lat := d.latency.Duration(SyncLatencyMin, SyncLatencyMax)
	if d.latency.Chance(SyncStallChance) {
		lat = d.latency.Duration(SyncLatencyMax, SyncStallMax)
	}
	at := now + lat + time.Duration(d.dirty)*SyncCostPerByte
	d.dirty = 0
	at = max(at, d.lastDone)
	d.lastDone = at
	d.syncIDs++
	id := d.syncIDs
	d.inflight = append(d.inflight, inflightSync{id: id, upto: d.pendingSeq + uint64(len(d.pending)), done: done})
	d.node.After(at-now, "disk sync", d.syncEvent(id).fire)
}

// syncEvent is the event that completes one sync. They are reused, rather
// than a closure allocated per Sync: one is free again once its event ran,
// or once a crash of the node cancelled it (an event of an instance that
// crashed never runs), and its fire, bound once, reads the id it completes
// when it runs.
type syncEvent struct {
	d    *Disk
	id   uint64
	fire func() // complete, bound to this syncEvent
}

// syncEvent returns a free sync event set to complete sync id.
func (d *Disk) syncEvent(id uint64) *syncEvent {
	var se *syncEvent
	if n := len(d.freeSyncs); n > 0 {
		se = d.freeSyncs[n-1]
		d.freeSyncs[n-1] = nil
		d.freeSyncs = d.freeSyncs[:n-1]
	} else {
		se = &syncEvent{d: d}
		se.fire = se.complete
		d.syncEvents = append(d.syncEvents, se)
	}
	se.id = id
	return se
}

func (se *syncEvent) complete() {
	id := se.id
	se.d.freeSyncs = append(se.d.freeSyncs, se) // free before done callbacks issue new syncs
	se.d.completeThrough(id)
}

// completeThrough completes every sync in flight up to and including sync
// id, in issue order. Two syncs due at the same time run in either order
// (ties are drawn), so the first of their events completes both.
func (d *Disk) completeThrough(id uint64) {
	for len(d.inflight) > 0 && d.inflight[0].id <= id {
		s := d.inflight[0]
		// Shift rather than reslice, so the queue keeps its array: resliced from the
		// front it ran out of capacity, and Sync allocated a new one nearly every time.
		// Usually s is the only sync in flight, and there is nothing to shift.
		n := len(d.inflight) - 1
		if n > 0 {
			copy(d.inflight, d.inflight[1:])
		}
		d.inflight[n] = inflightSync{}
		d.inflight = d.inflight[:n]
		d.makeDurable(s.upto)
		if s.done != nil {
			s.done()
		}
	}
}

// SyncNow makes every operation issued so far durable at once and completes
// every sync in flight: for tests and tools that drive a disk outside the
// event loop. Simulated code uses Sync, whose latency is part of the model.
func (d *Disk) SyncNow() {
	if !d.checkUp("sync on its disk") {
		return
	}
	d.makeDurable(d.pendingSeq + uint64(len(d.pending)))
	d.dirty = 0
	d.completeThrough(d.syncIDs)
}

// makeDurable applies the pending operations with issue number < upto to the
// durable state.
func (d *Disk) makeDurable(upto uint64) {
	if upto <= d.pendingSeq {
		return
	}
	k := int(upto - d.pendingSeq)
	for i := range d.pending[:k] {
		op := &d.pending[i]
		if op.kind == opAppend {
			// Every operation issued before op is durable, in order, so the
			// durable file is the file reads saw just before op, and op makes
			// it the file they saw just after: share that instead of copying
			// the appended bytes (see apply).
			f := d.durable.appended(op.ino)
			if f == nil {
				f = d.durable.appendSlot(op.ino)
			}
			f.c = op.data
		} else {
			d.durable.apply(op, op.dataLen(), d.partsFrom)
		}
		// Drops op's references to its data here, where op is at hand: a
		// clear of the slice's tail afterwards was a runtime call per sync.
		*op = diskOp{}
	}
	if k == len(d.pending) { // the usual case: nothing was issued since the sync
		d.pending = d.pending[:0]
	} else {
		rest := copy(d.pending, d.pending[k:])
		clear(d.pending[rest:]) // drop the references to the copied data
		d.pending = d.pending[:rest]
	}
	d.pendingSeq = upto
}

// Syncs counts Sync calls (for tests and statistics).
func (d *Disk) Syncs() int { return d.syncs }

// Unsynced reports how many storage operations are not yet durable (a write
// to an absent file is two: its create and its data).
func (d *Disk) Unsynced() int { return len(d.pending) }

// apply performs op on fs, keeping only keep bytes of its data (a torn write
// keeps fewer than all). A file that loses its name is deleted: no file has
// two names, and no later operation can refer to it.
//
// The bytes a stored slice shows are never changed, which is what lets view,
// durable and the pending operations share arrays instead of copying: a
// write stores the disk's own arrays (its copy, or the caller's head and
// tail handed over), never written to within their length, in the pending
// operation, in view and, once synced, in durable, without copying them; an
// append only writes past the end of the last part it extends, or starts a
// new part (appendData), a pending append's data is the whole of view's
// file just after it, whose last bytes it appended (AppendFile), and a sync
// makes that file the durable one (makeDurable); corrupt copies the file
// before damaging it. The same holds of a file's list of full parts: an
// append only adds entries past the end of the list it extends.
//
// Appends extend in place, amortised O(1), because copying the whole file on
// every append made a long-lived append-only log (raft) quadratic: 75% of the
// wall time of a 16 s 6.824 churn run. In place is safe because the spare
// capacity of each array (a last part's, a list of full parts') has one
// owner, the only holder that appends into it in place: while the node runs,
// view's entry (a write's data is clipped in the pending operation and in
// durable's entry, an append's file has its list of full parts clipped, and
// full parts are clipped everywhere, so appends to them start new arrays).
// An append's file, which makeDurable makes durable's entry, has a last part
// that runs to the end of its array, but durable changes only by assignment
// while the node runs. At a crash view is dropped and durable owns the spare
// capacity: the operations it keeps are applied in place, and they write the
// bytes view wrote at the same places for the same operations, or, for the
// torn one, a prefix of them, either there or, where view started a new part
// for the whole append and the prefix fits, past the end of what view showed
// of that part. boot then hands it to the new view, clipping durable's
// entries. So appends to the owner write only past the end any other holder
// can see.
func (fs *fsys) apply(op *diskOp, keep, partsFrom int) {
	switch op.kind {
	case opCreate:
		fs.bind(op.name, op.ino)
	case opWrite:
		fs.set(op.ino, op.data.prefix(keep))
	case opAppend:
		fs.set(op.ino, fs.get(op.ino).appendData(op.appendedBytes()[:keep], partsFrom))
	case opRename:
		// A crash may have lost the create of from, or an earlier rename:
		// then there is nothing to move, as a real rename would fail.
		if op.name != op.to {
			fs.rename(op.name, op.to)
		}
	case opRemove:
		fs.remove(op.name)
	}
}

// boot rebuilds the read view from what is durable, handing the spare
// capacity of durable's arrays over to it (see apply): the first append
// after a restart fills it instead of moving the whole file, which for a long
// log was a copy of it per restart. A crash boots (for readers until the
// restart) and the restart boots again; nothing changes the disk between the
// two, so the second keeps the view the first built (viewBooted).
func (d *Disk) boot() {
	if d.viewBooted {
		return
	}
	d.viewBooted, d.appendKnown = true, false
	// The old view's arrays are reused: nothing else refers to them.
	d.view.names = append(d.view.names[:0], d.durable.names...)
	clear(d.view.files)
	d.view.files = d.view.files[:0]
	for _, e := range d.durable.names {
		if f := d.durable.find(e.ino); f >= 0 {
			c := d.durable.files[f].c
			d.durable.files[f].c = c.prefix(c.len())
			if d.sharedLen(e.ino) > c.len() {
				// The crash lost bytes a shared read showed, and the room the
				// view would get starts before their end: its first append
				// starts a new part or moves the file instead (the read may
				// have been of another array of the file's, which this one's
				// room is not, but that is as rare as a crash that loses a
				// read).
				c = d.durable.files[f].c
			}
			d.view.files = append(d.view.files, inode{ino: e.ino, c: c})
		}
	}
	// The view's arrays, as built, show no more than what survived: appends
	// write only past every byte read so far.
	d.sharedReads = d.sharedReads[:0]
}
