package raft

// Storage encoding for a host that keeps a node's durable state in three files:
//
//	hard state  rewritten whole on every Ready.Hard (write a temp file, sync, rename):
//	            one HardState record
//	snapshot    rewritten whole on every Ready.Snapshot (temp file, sync, rename):
//	            one snapshot record (meta and data)
//	log         append-only: entry records and truncate records, synced per Ready
//
// Every record, in every file, is framed the same way (integers little-endian):
//
//	offset 0  uint32  n    length of the body, 1 <= n <= MaxRecordSize
//	offset 4  uint32  crc  CRC-32C (Castagnoli) of the 4 length bytes followed by the body
//	offset 8  [n]byte body: one kind byte, then the kind's payload
//
//	kind 1  entry     uvarint term, uvarint index, command bytes (the rest of the body)
//	kind 2  truncate  uvarint index: drop every entry with index >= it
//	kind 3  hard      uvarint term, varint vote (-1 = none)
//	kind 4  snapshot  uvarint index, uvarint term, data bytes (the rest of the body)
//
// The CRC covers the length, so a torn write (a prefix of the last record, or its header
// with garbage behind it) is detected and dropped, never misread as a record: a reader
// stops at the first record that is incomplete or fails its CRC. DecodeLogRecords returns
// how many bytes were valid; the host must cut the file to that length before appending,
// or records written after the torn one would be unreachable.
//
// Writing one Ready (see Ready for the full order): write the snapshot file if
// Ready.Snapshot is set; then append a truncate record if Ready.Truncate > 0, then one entry
// record per Ready.Entries; sync the log; then write the hard state file if Ready.Hard is
// set. Only then send Ready.Messages. The log file may be rewritten at any time to drop
// entries through the snapshot index (write the surviving records to a temp file, sync,
// rename).
//
// Recovering: DecodeHardState(hard file), DecodeSnapshot(snapshot file),
// DecodeLogRecords(log file) then ReplayLog(records, snapshot meta), which applies the
// truncates, drops entries the snapshot covers, and drops the whole remaining log if it does
// not continue the snapshot (a crash between writing an installed snapshot and its truncate
// record leaves entries of a different term at the snapshot index; they are stale).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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

const recordHeaderSize = 8

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("raft: corrupt record")

// appendRecord frames body (which starts with its kind byte) onto buf.
func appendRecord(buf []byte, body []byte) []byte {
	var hdr [recordHeaderSize]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(body)))
	crc := crc32.Update(0, crcTable, hdr[0:4])
	crc = crc32.Update(crc, crcTable, body)
	binary.LittleEndian.PutUint32(hdr[4:8], crc)
	buf = append(buf, hdr[:]...)
	return append(buf, body...)
}

// nextRecord reads the framed record at the start of buf. ok is false if buf does not start
// with a complete record whose CRC matches.
func nextRecord(buf []byte) (body []byte, size int, ok bool) {
	if len(buf) < recordHeaderSize {
		return nil, 0, false
	}
	n := binary.LittleEndian.Uint32(buf[0:4])
	if n < 1 || n > MaxRecordSize || uint64(len(buf)-recordHeaderSize) < uint64(n) {
		return nil, 0, false
	}
	body = buf[recordHeaderSize : recordHeaderSize+int(n)]
	crc := crc32.Update(0, crcTable, buf[0:4])
	crc = crc32.Update(crc, crcTable, body)
	if crc != binary.LittleEndian.Uint32(buf[4:8]) {
		return nil, 0, false
	}
	return body, recordHeaderSize + int(n), true
}

// AppendEntryRecord appends the framed record of entry e to buf.
func AppendEntryRecord(buf []byte, e Entry) []byte {
	body := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(e.Command))
	body = append(body, byte(RecordEntry))
	body = binary.AppendUvarint(body, uint64(e.Term))
	body = binary.AppendUvarint(body, uint64(e.Index))
	body = append(body, e.Command...)
	return appendRecord(buf, body)
}

// AppendTruncateRecord appends a record meaning "drop every entry with index >= index".
func AppendTruncateRecord(buf []byte, index int) []byte {
	body := []byte{byte(RecordTruncate)}
	body = binary.AppendUvarint(body, uint64(index))
	return appendRecord(buf, body)
}

// AppendReadyRecords appends the log records for one Ready: its truncate, then its entries.
func AppendReadyRecords(buf []byte, rd Ready) []byte {
	if rd.Truncate > 0 {
		buf = AppendTruncateRecord(buf, rd.Truncate)
	}
	for _, e := range rd.Entries {
		buf = AppendEntryRecord(buf, e)
	}
	return buf
}

// LogRecord is one decoded log-file record.
type LogRecord struct {
	Kind         RecordKind // RecordEntry or RecordTruncate
	Entry        Entry      // RecordEntry
	TruncateFrom int        // RecordTruncate
}

// DecodeLogRecords decodes the records of a log file. It stops at the first record that is
// incomplete or fails its CRC (a torn tail) and returns the records before it and valid,
// the length of the prefix they occupy; bytes after valid must be discarded. err is non-nil
// only for a record whose CRC matches but whose content is malformed, which a torn write
// cannot produce.
func DecodeLogRecords(buf []byte) (recs []LogRecord, valid int, err error) {
	for valid < len(buf) {
		body, size, ok := nextRecord(buf[valid:])
		if !ok {
			break
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
		e.Command = append([]byte{}, d.b...)
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
	var ents []Entry // contiguous, ents[0].Index arbitrary
	for _, rec := range recs {
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
			return nil, fmt.Errorf("%w: kind %d in log records", ErrCorrupt, rec.Kind)
		}
	}
	// Drop what the snapshot covers, checking that the log continues it.
	for len(ents) > 0 && ents[0].Index <= snap.Index {
		if ents[0].Index == snap.Index && snap.Index > 0 && ents[0].Term != snap.Term {
			return nil, nil
		}
		ents = ents[1:]
	}
	if len(ents) > 0 && ents[0].Index != snap.Index+1 {
		return nil, nil
	}
	return append([]Entry(nil), ents...), nil
}

// EncodeHardState returns the framed record of h.
func EncodeHardState(h HardState) []byte {
	body := []byte{byte(RecordHard)}
	body = binary.AppendUvarint(body, uint64(h.Term))
	body = binary.AppendVarint(body, int64(h.Vote))
	return appendRecord(nil, body)
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

// EncodeSnapshot returns the framed record of a snapshot with its data.
func EncodeSnapshot(s SnapshotState) []byte {
	body := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(s.Data))
	body = append(body, byte(RecordSnapshot))
	body = binary.AppendUvarint(body, uint64(s.Meta.Index))
	body = binary.AppendUvarint(body, uint64(s.Meta.Term))
	body = append(body, s.Data...)
	return appendRecord(nil, body)
}

// DecodeSnapshot decodes a snapshot file. An empty file is "no snapshot".
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
	s.Data = append([]byte{}, d.b...)
	return s, nil
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
func wholeRecord(b []byte, k RecordKind) ([]byte, error) {
	body, size, ok := nextRecord(b)
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: torn or damaged record (%d bytes)", ErrCorrupt, len(b))
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
