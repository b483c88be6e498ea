package rafthost

import (
	"fmt"
	"slices"

	"github.com/lockstep-dst/lockstep/raft"
)

// logImage holds the encoded records of a peer's log entries, one per entry from first on,
// in index order: what the peer writes when it replaces its log file whole. A service that
// snapshots every few commands makes its peer rewrite the log at every snapshot; encoding
// the kept entries again each time (a CRC and two varints per record) was a third of the
// records a peer encoded. With the image, the entries' records are encoded once, when they
// are appended, and a rewrite drops the records a snapshot covers and copies the rest.
//
// A peer keeps an image only from its first rewrite on (ok), so one whose service never
// snapshots pays nothing for it. The image follows the log as the log file's records
// replay (raft.ReplayLog): a Ready's truncate and entries apply to it as they do to the
// file, and a rewrite compacts it to the core's first index. Before a rewrite is built from
// it, the image is checked against the core (matches): same first and last index and the
// same term at every index, which in one node's log means the same entry (an index and a
// term name one entry, §5.3's Log Matching property). Anything else (an installed snapshot
// that discarded the log, a boot) rebuilds it from the core.
//
// An image that outgrows maxImage is dropped until the next rewrite rebuilds it, and a
// rewrite that keeps fewer than minImage entries builds none (encodeLog): a log that grows
// that long between snapshots is rewritten seldom for its length, and a log that short is
// cheap to encode again, while keeping an image costs a second copy of the log, rebuilt after
// every restart (raft/Swarm, whose peers restart often, allocated 7% more bytes with images
// kept whatever their size, about 4% more with these two limits).
type logImage struct {
	ok    bool
	first int          // index of the entry whose record starts b
	b     []byte       // the records of entries first, first+1, ..., first+len(ents)-1
	ents  []imageEntry // per entry: where its record starts in b, its term and its header
}

// imageEntry notes one record of the image. head is its header's length and body CRC as
// foldRecord takes them, so that a rewrite's digest folds the kept records from here rather
// than reading every header back from b (fold).
type imageEntry struct {
	off, term int
	head      uint64
}

// maxImage is the most bytes of records a peer keeps in its image (see logImage): about
// sixteen times the log a service that snapshots at 1,000 bytes (6.824's maxraftstate in
// the 3B tests) rewrites.
const maxImage = 16 << 10

// end is the offset in b where the record of entry first+k starts, or len(b) for k past
// the last.
func (m *logImage) end(k int) int {
	if k < len(m.ents) {
		return m.ents[k].off
	}
	return len(m.b)
}

// truncate drops the entries from index i on.
func (m *logImage) truncate(i int) {
	if k := max(i-m.first, 0); k < len(m.ents) {
		m.b, m.ents = m.b[:m.ents[k].off], m.ents[:k]
	}
}

// place makes room for an entry at index i: it drops the entries from i on, or all of them
// if i leaves a gap (raft.ReplayLog's rule for an entry record), and returns the offset in b
// where the entry's record goes.
func (m *logImage) place(i int) int {
	if n := len(m.ents); n > 0 && (i > m.first+n || i < m.first) {
		m.b, m.ents = m.b[:0], m.ents[:0]
	} else {
		m.truncate(i)
	}
	if len(m.ents) == 0 {
		m.first = i
	}
	return len(m.b)
}

// appendEntries adds the records of ents, at least one and contiguous, after
// place(ents[0].Index), and returns fold with their headers folded into it (foldRecords).
// One pass: each record is encoded, noted and folded in turn, its header as the encoder
// returns it rather than read back from b. Sizing them all first to grow b once
// (raft.AppendEntryRecords) cost more than it saved (2M of kv/SnapshotRecoverManyClients3B's
// 450M instructions), since b seldom grows: rebuild gives it room for about the log a
// rewrite found, and compact keeps its array.
func (m *logImage) appendEntries(ents []raft.Entry, fold uint64) uint64 {
	n := len(m.ents)
	m.ents = slices.Grow(m.ents, len(ents))[:n+len(ents)]
	added, first := m.ents[n:], ents[0].Index
	b := m.b
	for i := range ents {
		e := &ents[i]
		if e.Index != first+i {
			panic(fmt.Sprintf("raft: invariant Ready entries are contiguous violated: index %d after %d", e.Index, ents[i-1].Index))
		}
		off := len(b)
		var length, crc uint32
		b, length, crc = raft.AppendEntryRecordHeader(b, e)
		added[i] = imageEntry{off: off, term: e.Term, head: recordHead(length, crc)}
		fold = foldRecord(fold, length, crc)
	}
	m.b = b
	return fold
}

// appendReady applies rd's truncate and entries and returns the offset in b where the
// records of rd's entries start: b[start:] is their records, in order (the core's Ready
// carries contiguous entries); and fold with their headers folded into it.
func (m *logImage) appendReady(rd *raft.Ready, fold uint64) (start int, entriesFold uint64) {
	if rd.Truncate > 0 {
		m.truncate(rd.Truncate)
	}
	if len(rd.Entries) == 0 {
		return len(m.b), fold
	}
	start = m.place(rd.Entries[0].Index)
	return start, m.appendEntries(rd.Entries, fold)
}

// compact drops the entries before index i, moving the rest to the front of b.
func (m *logImage) compact(i int) {
	k := i - m.first
	if k <= 0 {
		return
	}
	off := m.end(k)
	m.b = m.b[:copy(m.b, m.b[off:])]
	m.ents = m.ents[:copy(m.ents, m.ents[min(k, len(m.ents)):])]
	for j := range m.ents {
		m.ents[j].off -= off
	}
	m.first = i
}

// matches reports whether the image holds exactly the core's entries.
func (m *logImage) matches(core *raft.Raft) bool {
	first, last := core.FirstIndex(), core.LastIndex()
	if last-first+1 != len(m.ents) {
		return false
	}
	if len(m.ents) == 0 {
		return true
	}
	if m.first != first {
		return false
	}
	for k := range m.ents {
		if t, _ := core.Term(first + k); t != m.ents[k].term {
			return false
		}
	}
	return true
}

// rebuild encodes the core's entries into the image, in a buffer with room for size bytes
// (at most maxImage): the log grows back to about the size it had when it was rewritten
// (see encodeLog), and an image built after a restart grew to it by doubling.
func (m *logImage) rebuild(core *raft.Raft, size int) {
	if size = min(size, maxImage); cap(m.b) < size {
		m.b = make([]byte, 0, size)
	}
	m.ok, m.b, m.ents, m.first = true, m.b[:0], m.ents[:0], core.FirstIndex()
	for i := core.FirstIndex(); i <= core.LastIndex(); i++ {
		e, _ := core.Entry(i)
		off := len(m.b)
		var length, crc uint32
		m.b, length, crc = raft.AppendEntryRecordHeader(m.b, &e)
		m.ents = append(m.ents, imageEntry{off: off, term: e.Term, head: recordHead(length, crc)})
	}
}

// fold is foldRecords(fnvOffset, m.b), from the headers the image noted.
func (m *logImage) fold() uint64 {
	d := uint64(fnvOffset)
	for k := range m.ents {
		d = foldHead(d, m.ents[k].head)
	}
	return d
}
