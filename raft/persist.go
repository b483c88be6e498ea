package raft

// Storage encoding for a host that keeps a node's durable state in three files:
//
//	hard state  replaced whole on every Ready.Hard: one HardState record
//	snapshot    replaced whole on every Ready.Snapshot: one snapshot record (meta and data)
//	log         append-only: entry records and truncate records; replaced whole when a
//	            snapshot compacts it (or to drop a torn tail)
//
// Every record, in every file, is framed the same way (integers little-endian):
//
//	offset 0   uint32  n     length of the body, 1 <= n <= MaxRecordSize
//	offset 4   uint32  hcrc  CRC-32C (Castagnoli) of the 4 length bytes
//	offset 8   uint32  crc   CRC-32C of the body
//	offset 12  [n]byte body: one kind byte, then the kind's payload
//
//	kind 1  entry     uvarint term, uvarint index, command bytes (the rest of the body)
//	kind 2  truncate  uvarint index: drop every entry with index >= it
//	kind 3  hard      uvarint term, varint vote (-1 = none)
//	kind 4  snapshot  uvarint index, uvarint term, data bytes (the rest of the body)
//
// Torn versus corrupt. A crash in the middle of an append leaves a prefix of what was
// appended: the file ends inside the last record, in its header or its body. Corruption of
// data that was already synced (a flipped bit, a lost sector write that reads as zeros)
// keeps the file's length. So a reader tells them apart by length first: a record cut short
// by the end of the file is a torn tail (never synced, so nothing was acknowledged on its
// strength; DecodeLogRecords reports where the valid prefix ends), while a record whose
// header, or whose whole body, is present but fails its CRC is corruption (ErrCorrupt),
// wherever it is, the last record included. The length has its own CRC for this: if one
// CRC covered length and body, a bit flip that enlarged the length of the last record
// would make it look cut short, a torn tail, and the reader would silently drop a synced
// record. A file of zeros where records should be is corruption too (the header CRC of a
// zero length is not zero): a host on a real file system that can expose a zeroed tail
// after a crash must not append without syncing the file's size, or must tell such a tail
// apart itself.
//
// Writing one Ready (see Ready for the full order) on a file system that, like a real one
// and the simulator's, may persist unsynced operations in any order (a rename without the
// write it renames): a whole file is replaced by writing a temporary file, syncing, renaming
// it over the target and syncing again; an append is followed by a sync. The hard state
// goes first, then the snapshot, then the log: each must be durable before the next is
// relied on, because recovery refuses a log or snapshot holding a term beyond the recovered
// hard state's (a follower that learns term 5 from an AppendEntries persists term 5 and
// the term-5 entries in one Ready; with the entries durable first, a crash would leave a
// log from the future), and because a log compacted by a snapshot must not replace the old
// log before the snapshot is durable. Only when all of it is synced may Ready.Messages be
// sent.
//
// Recovering: DecodeHardState(hard file), DecodeSnapshot(snapshot file),
// DecodeLogRecords(log file) then ReplayLog(records, snapshot meta), or both in one pass,
// DecodeLog(log file, snapshot meta), which applies the truncates, drops entries the
// snapshot covers, and drops the whole remaining log if it does not continue the snapshot
// (a crash between writing an installed snapshot and its truncate record leaves entries of
// a different term at the snapshot index; they are stale). The host
// must not append after a torn tail: records behind it would be unreachable; it replaces the
// log instead (write the valid records to a temporary file, sync, rename, sync).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// RecordKind is the kind byte of a storage record.
type RecordKind byte

// Record kinds.
const (
	RecordEntry    RecordKind = 1
	RecordTruncate RecordKind = 2
	RecordHard     RecordKind = 3
	RecordSnapshot RecordKind = 4
)

// MaxRecordSize bounds a record body, so that a corrupt length cannot make a reader
// allocate or skip gigabytes.
const MaxRecordSize = 1 << 30

// RecordHeaderSize is the length of a record's header: the body's length, the length's
// CRC-32C and the body's CRC-32C, 4 bytes each, little-endian.
const RecordHeaderSize = 12

// RecordHeader returns the body length and the body's CRC-32C from the header at the
// start of b (at least RecordHeaderSize bytes), unchecked: for a writer that reads back
// the records it just encoded.
func RecordHeader(b []byte) (length, bodyCRC uint32) {
	return binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint32(b[8:12])
}

// Checksum is the CRC-32C of b, the checksum the records carry. Hosts and messages use it
// as the content digest they fold into a simulation's trace hash: hardware-assisted, it
// costs a fraction of a byte-wise hash over snapshots and log records (crc32c.go).
func Checksum(b []byte) uint32 { return crcChecksum(b) }

// UpdateChecksum is the Checksum of a's bytes followed by b's, given sum, Checksum(a): for a
// caller that keeps the checksum of bytes that grow, summing only what was added.
func UpdateChecksum(sum uint32, b []byte) uint32 { return crcUpdate(sum, b) }

// ErrCorrupt is wrapped by every decoding error: a record that is present whole but fails
// its CRC, or is malformed. A torn tail is not an error (see DecodeLogRecords).
var ErrCorrupt = errors.New("raft: corrupt record")

// beginRecord starts a record of kind k on buf: it reserves the header, which endRecord
// fills in once the body (the kind byte, then what the caller appends) is complete.
// Encoding in place saves a copy and an allocation per record.
func beginRecord(buf []byte, k RecordKind) (_ []byte, start int) {
	var hdr [RecordHeaderSize]byte
	start = len(buf)
	buf = append(buf, hdr[:]...)
	return append(buf, byte(k)), start
}

// endRecord fills in the header of the record that starts at start and ends buf.
func endRecord(buf []byte, start int) []byte {
	putHeader(buf[start:])
	return buf
}

// putHeader fills in the header of rec, one record: its header, then its body.
func putHeader(rec []byte) {
	_ = rec[RecordHeaderSize-1] // putHeaderDirect writes the header without a check
	if haveCRCDirect && len(rec)-RecordHeaderSize < crcDirectLimit {
		putHeaderDirect(rec)
		return
	}
	hdr, body := rec[:RecordHeaderSize], rec[RecordHeaderSize:]
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(body)))
	binary.LittleEndian.PutUint32(hdr[4:8], lengthCRC(hdr[0:4]))
	binary.LittleEndian.PutUint32(hdr[8:12], crcChecksum(body))
}

// lengthCRC is crc32.Checksum(b, crcTable) of a record's 4 length bytes, in line: through
// crc32.Checksum (its dispatch to the SSE4.2 code, which pays off only for longer input) the
// header CRC cost as much as the body's of a small entry. The four bytes are folded at once,
// slicing-by-4 (lengthTables): a byte-at-a-time loop over crcTable was 46 instructions a
// header, a sixth of what a peer spent encoding a record of kv/SnapshotRecoverManyClients3B.
func lengthCRC(b []byte) uint32 {
	crc := ^binary.LittleEndian.Uint32(b[:4]) // the initial all-ones register, xored with the bytes
	t := &lengthTables
	return ^(t[3][byte(crc)] ^ t[2][byte(crc>>8)] ^ t[1][byte(crc>>16)] ^ t[0][crc>>24])
}

// lengthTables are lengthCRC's tables: lengthTables[k][v] is the CRC-32C register (no final
// inversion) that byte v followed by k zero bytes leaves from a zero register, so that the
// register after four bytes is the xor of one lookup per byte. Filled once at init and only
// read after, as crcTable is.
var lengthTables = makeLengthTables()

func makeLengthTables() (t [4][256]uint32) {
	t[0] = *crcTable
	for k := 1; k < 4; k++ {
		for v := range 256 {
			c := t[k-1][v]
			t[k][v] = crcTable[byte(c)] ^ c>>8
		}
	}
	return t
}

// recordStatus is what nextRecord found at the start of a buffer.
type recordStatus int

const (
	recordOK      recordStatus = iota
	recordTorn                 // cut short by the end of the buffer
	recordCorrupt              // present whole (header, or header and body), but fails a CRC or a bound
)

// nextRecord reads the framed record at the start of buf.
func nextRecord(buf []byte) (body []byte, size int, st recordStatus, err error) {
	if len(buf) < RecordHeaderSize {
		return nil, 0, recordTorn, nil
	}
	if lengthCRC(buf[0:4]) != binary.LittleEndian.Uint32(buf[4:8]) {
		return nil, 0, recordCorrupt, fmt.Errorf("%w: header CRC mismatch", ErrCorrupt)
	}
	n := binary.LittleEndian.Uint32(buf[0:4])
	if n < 1 || n > MaxRecordSize {
		return nil, 0, recordCorrupt, fmt.Errorf("%w: length %d outside [1, %d]", ErrCorrupt, n, MaxRecordSize)
	}
	if uint64(len(buf)-RecordHeaderSize) < uint64(n) {
		return nil, 0, recordTorn, nil
	}
	body = buf[RecordHeaderSize : RecordHeaderSize+int(n)]
	if crcChecksum(body) != binary.LittleEndian.Uint32(buf[8:12]) {
		return nil, 0, recordCorrupt, fmt.Errorf("%w: body CRC mismatch (%d bytes)", ErrCorrupt, n)
	}
	return body, RecordHeaderSize + int(n), recordOK, nil
}

// AppendEntryRecord appends the framed record of entry e to buf. rafthost encodes records
// with AppendEntryRecordHeader, which also returns the header, and AppendEntryRecords; this
// form, the entry by value, is left for tests and other hosts.
func AppendEntryRecord(buf []byte, e Entry) []byte {
	buf, _, _ = AppendEntryRecordHeader(buf, &e)
	return buf
}

// AppendEntryRecords appends the framed records of ents to buf, in order (AppendEntryRecord
// of each), moving buf to a larger array at most once: a host appends a Ready's records to a
// buffer it reuses (AppendReadyRecords), and a follower's Ready carries tens of them. The
// records are sized exactly only if a bound from the commands' lengths says buf may be short:
// it seldom is, and sizing them every time was a third of this function's own instructions
// in kv/Concurrent3A (1.34M, now 0.91M), whose peers append without a log image.
func AppendEntryRecords(buf []byte, ents []Entry) []byte {
	bound := len(ents) * (RecordHeaderSize + 1 + 2*binary.MaxVarintLen64)
	for i := range ents {
		bound += len(ents[i].Command)
	}
	if cap(buf)-len(buf) < bound {
		n := 0
		for i := range ents {
			n += entryRecordSize(&ents[i])
		}
		buf = slices.Grow(buf, n)
	}
	for i := range ents {
		buf, _, _ = AppendEntryRecordHeader(buf, &ents[i])
	}
	return buf
}

// AppendEntryRecordHeader appends the framed record of *e to buf (AppendEntryRecord) and
// returns its header's body length and body CRC (RecordHeader of it): a host that folds
// every record's header into a digest as it encodes it (rafthost's log image) need not read
// it back.
func AppendEntryRecordHeader(buf []byte, e *Entry) (_ []byte, length, bodyCRC uint32) {
	// In line, so that a host calls appendEntryRecordHeader itself: on amd64 a routine of
	// the CRC32 instruction (crc32c_amd64.s), which writes the record of nearly every entry
	// (a term of one byte, an index of one or two, into a buffer with room) in place,
	// folding the command into the CRC as it copies it, and leaves the others to
	// appendEntryRecordOf. An append for each part, a copy of the command, then the CRC over
	// the record was 140 instructions a record in kv/SnapshotRecoverManyClients3B; this,
	// with the call, 100.
	return appendEntryRecordHeader(buf, e.Term, e.Index, e.Command)
}

// appendEntryRecordOf is AppendEntryRecordHeader of the entry of term, index and cmd, for
// any entry.
func appendEntryRecordOf(buf []byte, term, index int, cmd []byte) (_ []byte, length, bodyCRC uint32) {
	start := len(buf)
	// The header, filled in by putHeader, and the kind, in one append (beginRecord's two).
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(RecordEntry))
	buf = appendUvarint(buf, uint64(term))
	buf = appendUvarint(buf, uint64(index))
	buf = append(buf, cmd...)
	rec := buf[start:]
	putHeader(rec)
	return buf, uint32(len(rec) - RecordHeaderSize), binary.LittleEndian.Uint32(rec[8:12])
}

// appendUvarint is binary.AppendUvarint with the one-byte case (a term below 128) and the
// two-byte case (an index below 16384, nearly every index of a log that snapshots) in line:
// through binary.AppendUvarint's loop an index was 18 instructions.
func appendUvarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	if v < 1<<14 {
		return append(b, byte(v)|0x80, byte(v>>7))
	}
	return binary.AppendUvarint(b, v)
}

// EntryRecordSize is the length of e's framed record (AppendEntryRecord), for a host that
// sizes a buffer before encoding into it.
func EntryRecordSize(e Entry) int { return entryRecordSize(&e) }

func entryRecordSize(e *Entry) int {
	return RecordHeaderSize + 1 + uvarintLen(uint64(e.Term)) + uvarintLen(uint64(e.Index)) + len(e.Command)
}

// uvarintLen is the length of v's uvarint encoding.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// AppendTruncateRecord appends a record meaning "drop every entry with index >= index".
func AppendTruncateRecord(buf []byte, index int) []byte {
	buf, start := beginRecord(buf, RecordTruncate)
	buf = binary.AppendUvarint(buf, uint64(index))
	return endRecord(buf, start)
}

// AppendReadyRecords appends the log records for one Ready: its truncate, then its entries.
// It takes the Ready by pointer: a host calls it on every Ready, and a Ready is a dozen words.
func AppendReadyRecords(buf []byte, rd *Ready) []byte {
	if rd.Truncate > 0 {
		buf = AppendTruncateRecord(buf, rd.Truncate)
	}
	return AppendEntryRecords(buf, rd.Entries)
}

// LogRecord is one decoded log-file record.
type LogRecord struct {
	Kind         RecordKind // RecordEntry or RecordTruncate
	Entry        Entry      // RecordEntry
	TruncateFrom int        // RecordTruncate
}

// DecodeLogRecords decodes the records of a log file. It stops at a torn tail (a last
// record cut short by the end of the file) and returns the records before it and valid, the
// length of the prefix they occupy; the bytes after valid were never synced and must be
// discarded. err (wrapping ErrCorrupt) reports corruption: a record present whole that fails
// its CRC or is malformed, which no crash in the middle of a write produces. recs and valid
// then describe the records before it. The entries' commands share buf's bytes (a host
// reads a file into a buffer of its own): recovering a long log made a copy per entry.
func DecodeLogRecords(buf []byte) (recs []LogRecord, valid int, err error) {
	// Most records of a log are entries of a few bytes: about 20 bytes each.
	recs = make([]LogRecord, 0, len(buf)/20)
	for valid < len(buf) {
		body, size, st, err := nextRecord(buf[valid:])
		if st == recordTorn {
			break
		}
		if err != nil {
			return recs, valid, fmt.Errorf("log record at offset %d: %w", valid, err)
		}
		rec, err := decodeLogBody(body)
		if err != nil {
			return recs, valid, fmt.Errorf("log record at offset %d: %w", valid, err)
		}
		recs = append(recs, rec)
		valid += size
	}
	return recs, valid, nil
}

func decodeLogBody(body []byte) (LogRecord, error) {
	d := decoder{b: body[1:]}
	switch k := RecordKind(body[0]); k {
	case RecordEntry:
		e := Entry{Term: d.uint(), Index: d.uint()}
		if d.err == nil && e.Index < 1 {
			d.err = fmt.Errorf("%w: entry index %d", ErrCorrupt, e.Index)
		}
		e.Command = d.b[:len(d.b):len(d.b)] // capped: an append to it cannot reach the next record
		return LogRecord{Kind: k, Entry: e}, d.err
	case RecordTruncate:
		i := d.uint()
		if d.err == nil && len(d.b) != 0 {
			d.err = fmt.Errorf("%w: %d trailing bytes in truncate record", ErrCorrupt, len(d.b))
		}
		return LogRecord{Kind: k, TruncateFrom: i}, d.err
	default:
		return LogRecord{}, fmt.Errorf("%w: kind %d in log file", ErrCorrupt, k)
	}
}

// ReplayLog rebuilds the log entries after snap from decoded log records: an entry record
// at index i replaces any entry at i or beyond (and, if i leaves a gap after the last
// entry, every entry before it: a snapshot covers them), a truncate record drops entries
// from its index. Entries the snapshot covers are dropped; if the remaining entries do not continue
// the snapshot (a different term at snap.Index, or a gap after it), all of them are
// dropped, being stale entries whose truncate record was not written before a crash.
func ReplayLog(recs []LogRecord, snap SnapshotMeta) ([]Entry, error) {
	r := replay{ents: make([]Entry, 0, len(recs))} // contiguous, ents[0].Index arbitrary
	for _, rec := range recs {
		if err := r.add(rec); err != nil {
			return nil, err
		}
	}
	return r.after(snap), nil // built here from nil: the caller's own
}

// DecodeLog is DecodeLogRecords then ReplayLog in one pass, without the records between
// them (a slice of 56-byte records for a log of 20-byte ones, at every boot): the entries
// after snap, and valid, the length of the prefix before a torn tail. err (wrapping
// ErrCorrupt) reports corruption, as DecodeLogRecords does; the entries are then nil. The
// entries' commands share buf's bytes, and their array has room past them (logRoom) for
// the node that New makes of them to append into.
func DecodeLog(buf []byte, snap SnapshotMeta) (ents []Entry, valid int, err error) {
	r := replay{ents: make([]Entry, 0, logRoom(countRecords(buf)))}
	for valid < len(buf) {
		body, size, st, err := nextRecord(buf[valid:])
		if st == recordTorn {
			break
		}
		if err == nil {
			if e, ok := entryBody(body); ok && (len(r.ents) == 0 || e.Index == r.ents[len(r.ents)-1].Index+1) {
				// Nearly every record of a log: a well-formed entry that continues the
				// entries before it, which replay.add would append.
				r.ents = append(r.ents, e)
				valid += size
				continue
			}
			var rec LogRecord
			if rec, err = decodeLogBody(body); err == nil {
				err = r.add(rec)
			}
		}
		if err != nil {
			return nil, valid, fmt.Errorf("log record at offset %d: %w", valid, err)
		}
		valid += size
	}
	return r.after(snap), valid, nil
}

// logRoom is the capacity DecodeLog gives the entries of n records: n and room for the
// log to grow in, which New keeps (see Persistent). Without it a restarted node's first
// append moved the whole log to an array about a quarter larger, as append does with a
// full one, and the decoded array became garbage at once: a tenth of the bytes
// kv/PersistPartitionUnreliableLinearizable3A allocated, whose servers restart with their
// whole logs. Room for half as many again, rather than a quarter, saved 5% of the bytes
// kv/PersistConcurrent3A allocated and 2% in PPUL3A (40 seeds each): fewer restarted logs
// outgrow their room before the next crash. Room for as many again allocated more than a
// quarter did. An empty log gets none: a fresh node grows its own.
func logRoom(n int) int {
	if n == 0 {
		return 0
	}
	return n + n/2 + 64
}

// entryBody decodes the body of an entry record as decodeLogBody does, with ok false for
// any other body, well formed or not (decodeLogBody then says what it is): DecodeLog's
// path for the records a log is made of, without decodeLogBody's decoder, error and
// LogRecord. A peer of a service that never snapshots decodes its whole log at every boot.
func entryBody(body []byte) (e Entry, ok bool) {
	// The commonest body by far, in line: a term below 128 and an index below 2^14.
	if len(body) >= 4 && body[0] == byte(RecordEntry) && body[1] < 0x80 {
		index, o := int(body[2]), 3
		if index >= 0x80 {
			if body[3] >= 0x80 {
				return entryBodyVarints(body)
			}
			index, o = index&0x7f|int(body[3])<<7, 4
		}
		if index >= 1 {
			return Entry{Term: int(body[1]), Index: index, Command: body[o:len(body):len(body)]}, true
		}
	}
	return entryBodyVarints(body)
}

// entryBodyVarints is entryBody for any body.
func entryBodyVarints(body []byte) (e Entry, ok bool) {
	if body[0] != byte(RecordEntry) {
		return e, false
	}
	term, o := uvarintAt(body, 1)
	index, o := uvarintAt(body, o)
	if o < 0 || term > uint64(maxInt) || index > uint64(maxInt) || index < 1 {
		return e, false
	}
	return Entry{Term: int(term), Index: int(index), Command: body[o:len(body):len(body)]}, true
}

// uvarintAt decodes the uvarint at b[o:], with its one- and two-byte cases in line, and
// returns it with the offset after it; a negative offset (from a negative o too) if it is
// cut short or overflows.
func uvarintAt(b []byte, o int) (uint64, int) {
	if o >= 0 && o < len(b) && b[o] < 0x80 {
		return uint64(b[o]), o + 1
	}
	if o >= 0 && o+1 < len(b) && b[o+1] < 0x80 {
		return uint64(b[o]&0x7f) | uint64(b[o+1])<<7, o + 2
	}
	if o < 0 || o >= len(b) {
		return 0, -1
	}
	v, n := binary.Uvarint(b[o:])
	if n <= 0 {
		return 0, -1
	}
	return v, o + n
}

// countRecords counts the records of buf by their length fields alone, stopping at the
// first that does not fit: the capacity for the entries DecodeLog replays (a guess from
// the file's size was twice too large for a log of service commands).
func countRecords(buf []byte) int {
	n := 0
	for off := 0; len(buf)-off >= RecordHeaderSize; n++ {
		size := uint64(binary.LittleEndian.Uint32(buf[off:]))
		if size > uint64(len(buf)-off-RecordHeaderSize) {
			break
		}
		off += RecordHeaderSize + int(size)
	}
	return n
}

// replay applies log records in order (ReplayLog).
type replay struct{ ents []Entry }

func (r *replay) add(rec LogRecord) error {
	ents := r.ents
	switch rec.Kind {
	case RecordEntry:
		e := rec.Entry
		if len(ents) > 0 {
			first, last := ents[0].Index, ents[len(ents)-1].Index
			switch {
			case e.Index > last+1, e.Index < first:
				// A gap: the node installed a snapshot beyond its log (the
				// snapshot file is written before these records), so everything
				// before e is covered by it. Start over from e.
				ents = ents[:0]
			default:
				ents = ents[:e.Index-first]
			}
		}
		ents = append(ents, e)
	case RecordTruncate:
		if len(ents) > 0 && rec.TruncateFrom <= ents[len(ents)-1].Index {
			ents = ents[:max(0, rec.TruncateFrom-ents[0].Index)]
		}
	default:
		return fmt.Errorf("%w: kind %d in log records", ErrCorrupt, rec.Kind)
	}
	r.ents = ents
	return nil
}

// after returns the entries after snap, checking that the log continues it.
func (r *replay) after(snap SnapshotMeta) []Entry {
	ents := r.ents
	for len(ents) > 0 && ents[0].Index <= snap.Index {
		if ents[0].Index == snap.Index && snap.Index > 0 && ents[0].Term != snap.Term {
			return nil
		}
		ents = ents[1:]
	}
	if len(ents) > 0 && ents[0].Index != snap.Index+1 {
		return nil
	}
	return ents
}

// EncodeHardState returns the framed record of h.
func EncodeHardState(h HardState) []byte {
	buf, start := beginRecord(nil, RecordHard)
	buf = binary.AppendUvarint(buf, uint64(h.Term))
	buf = binary.AppendVarint(buf, int64(h.Vote))
	return endRecord(buf, start)
}

// DecodeHardState decodes a hard state file. An empty file is a fresh node: term 0, no
// vote.
func DecodeHardState(b []byte) (HardState, error) {
	if len(b) == 0 {
		return HardState{Vote: -1}, nil
	}
	body, err := wholeRecord(b, RecordHard)
	if err != nil {
		return HardState{}, fmt.Errorf("hard state: %w", err)
	}
	d := decoder{b: body}
	h := HardState{Term: d.uint(), Vote: d.int()}
	if err := d.done(); err != nil {
		return HardState{}, fmt.Errorf("hard state: %w", err)
	}
	return h, nil
}

// EncodeSnapshot returns the framed record of a snapshot with its data, in a buffer of
// exactly its length.
func EncodeSnapshot(s SnapshotState) []byte {
	return AppendSnapshotRecord(make([]byte, 0, snapshotHeadSize(s.Meta)+len(s.Data)), s)
}

// AppendSnapshotRecord appends the framed record of a snapshot with its data to buf: a host
// that writes snapshots often reuses one buffer.
func AppendSnapshotRecord(buf []byte, s SnapshotState) []byte {
	return append(AppendSnapshotRecordHead(buf, s), s.Data...)
}

// DecodeSnapshot decodes a snapshot file. An empty file is "no snapshot". The data shares
// b's bytes (capped), as DecodeLog's commands share its buffer: a host reads the file into a
// buffer of its own, and copying the data out of it again was the second copy of every
// snapshot a node recovered.
func DecodeSnapshot(b []byte) (SnapshotState, error) {
	if len(b) == 0 {
		return SnapshotState{}, nil
	}
	body, err := wholeRecord(b, RecordSnapshot)
	if err != nil {
		return SnapshotState{}, fmt.Errorf("snapshot: %w", err)
	}
	d := decoder{b: body}
	s := SnapshotState{Meta: SnapshotMeta{Index: d.uint(), Term: d.uint()}}
	if d.err != nil {
		return SnapshotState{}, fmt.Errorf("snapshot: %w", d.err)
	}
	s.Data = d.b[:len(d.b):len(d.b)]
	return s, nil
}

// SnapshotRecordHead returns the framed snapshot record of s up to its data: the bytes that,
// followed by s.Data, are exactly EncodeSnapshot(s). A host whose storage can write a file
// in two parts writes these and s.Data as they are, instead of copying the data behind the
// header (the snapshot was the largest copy a snapshotting service's host made). It
// allocates the head; rafthost writes it into a recycled buffer (AppendSnapshotRecordHead),
// and this form is left for tests and other hosts.
func SnapshotRecordHead(s SnapshotState) []byte {
	return AppendSnapshotRecordHead(make([]byte, 0, snapshotHeadSize(s.Meta)), s)
}

// snapshotHeadSize is the length of SnapshotRecordHead's head for a snapshot at m.
func snapshotHeadSize(m SnapshotMeta) int {
	return RecordHeaderSize + 1 + uvarintLen(uint64(m.Index)) + uvarintLen(uint64(m.Term))
}

// MaxSnapshotRecordHead is the most bytes SnapshotRecordHead returns.
const MaxSnapshotRecordHead = RecordHeaderSize + 1 + 2*binary.MaxVarintLen64

// AppendSnapshotRecordHead appends SnapshotRecordHead(s) to buf, for a host that recycles
// the buffers it writes heads into.
func AppendSnapshotRecordHead(buf []byte, s SnapshotState) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, RecordHeaderSize)...)
	buf = append(buf, byte(RecordSnapshot))
	buf = binary.AppendUvarint(buf, uint64(s.Meta.Index))
	buf = binary.AppendUvarint(buf, uint64(s.Meta.Term))
	hdr, body := buf[start:start+RecordHeaderSize], buf[start+RecordHeaderSize:]
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(body)+len(s.Data)))
	binary.LittleEndian.PutUint32(hdr[4:8], lengthCRC(hdr[0:4]))
	binary.LittleEndian.PutUint32(hdr[8:12], crcUpdate(crcChecksum(body), s.Data))
	return buf
}

// EncodeSnapshotMeta returns the framed snapshot record of meta without data, for hosts
// that keep the snapshot data elsewhere.
func EncodeSnapshotMeta(m SnapshotMeta) []byte { return EncodeSnapshot(SnapshotState{Meta: m}) }

// DecodeSnapshotMeta decodes a record written by EncodeSnapshotMeta (or EncodeSnapshot,
// ignoring the data).
func DecodeSnapshotMeta(b []byte) (SnapshotMeta, error) {
	s, err := DecodeSnapshot(b)
	return s.Meta, err
}

// wholeRecord checks that b is exactly one valid record of kind k and returns its payload.
// A file replaced by rename only after a sync is never torn, so a short one is corrupt too.
func wholeRecord(b []byte, k RecordKind) ([]byte, error) {
	body, size, st, err := nextRecord(b)
	switch {
	case st == recordTorn:
		return nil, fmt.Errorf("%w: record cut short (%d bytes)", ErrCorrupt, len(b))
	case err != nil:
		return nil, err
	case size != len(b):
		return nil, fmt.Errorf("%w: %d bytes after the record", ErrCorrupt, len(b)-size)
	case RecordKind(body[0]) != k:
		return nil, fmt.Errorf("%w: kind %d, want %d", ErrCorrupt, body[0], k)
	}
	return body[1:], nil
}

// decoder reads varints, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uint() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(maxInt) {
		d.err = fmt.Errorf("%w: bad uvarint", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 || v > int64(maxInt) || v < -int64(maxInt) {
		d.err = fmt.Errorf("%w: bad varint", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return d.err
}

const maxInt = int(^uint(0) >> 1)
