package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestHardStateRoundTrip(t *testing.T) {
	for _, h := range []HardState{{Term: 0, Vote: -1}, {Term: 1, Vote: 0}, {Term: 1 << 40, Vote: 4}} {
		got, err := DecodeHardState(EncodeHardState(h))
		require.NoError(t, err)
		require.Equal(t, h, got)
	}
	fresh, err := DecodeHardState(nil)
	require.NoError(t, err)
	require.Equal(t, HardState{Vote: -1}, fresh)

	b := EncodeHardState(HardState{Term: 5, Vote: 2})
	for n := 1; n < len(b); n++ {
		_, err := DecodeHardState(b[:n])
		require.ErrorIs(t, err, ErrCorrupt, "torn hard state of %d bytes must not decode", n)
	}
	b[len(b)-1] ^= 1
	_, err = DecodeHardState(b)
	require.ErrorIs(t, err, ErrCorrupt)
	_, err = DecodeHardState(EncodeSnapshotMeta(SnapshotMeta{Index: 1, Term: 1}))
	require.ErrorIs(t, err, ErrCorrupt, "a record of another kind")
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := SnapshotState{Meta: SnapshotMeta{Index: 9, Term: 3}, Data: []byte("state")}
	got, err := DecodeSnapshot(EncodeSnapshot(s))
	require.NoError(t, err)
	require.Equal(t, s, got)

	m, err := DecodeSnapshotMeta(EncodeSnapshotMeta(s.Meta))
	require.NoError(t, err)
	require.Equal(t, s.Meta, m)

	none, err := DecodeSnapshot(nil)
	require.NoError(t, err)
	require.Equal(t, SnapshotState{}, none)

	// The data is the file's own bytes, capped: an append to it cannot write into b.
	b := EncodeSnapshot(s)
	got, err = DecodeSnapshot(b)
	require.NoError(t, err)
	require.Same(t, &b[len(b)-len(s.Data)], &got.Data[0])
	require.Equal(t, len(got.Data), cap(got.Data))
}

// TestLengthCRCIsTheChecksum: the header's CRC computed in line is the CRC-32C the records'
// format names.
func TestLengthCRCIsTheChecksum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "length")
		require.Equal(t, Checksum(b), lengthCRC(b))
	})
}

// TestSnapshotRecordHeadAndSizes: the head followed by the data is EncodeSnapshot's record,
// byte for byte, appended behind anything as it is alone, and EncodeSnapshot,
// SnapshotRecordHead and EntryRecordSize size their records exactly.
func TestSnapshotRecordHeadAndSizes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := SnapshotState{
			Meta: SnapshotMeta{Index: rapid.IntRange(0, 1<<40).Draw(t, "index"), Term: rapid.IntRange(0, 1<<20).Draw(t, "term")},
			Data: rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "data"),
		}
		whole := EncodeSnapshot(s)
		require.Equal(t, len(whole), cap(whole), "EncodeSnapshot sizes its buffer exactly")
		head := SnapshotRecordHead(s)
		require.Equal(t, whole, append(head, s.Data...))
		require.Equal(t, len(head), cap(head), "SnapshotRecordHead sizes its buffer exactly")
		require.LessOrEqual(t, len(head), MaxSnapshotRecordHead)
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "prefix")
		require.Equal(t, append(append([]byte{}, prefix...), head...), AppendSnapshotRecordHead(append([]byte{}, prefix...), s))
		e := Entry{Term: s.Meta.Term, Index: s.Meta.Index + 1, Command: s.Data}
		require.Equal(t, len(AppendEntryRecord(nil, e)), EntryRecordSize(e))
	})
}

// TestAppendEntryRecordsIsEachRecord: AppendEntryRecords appends what AppendEntryRecord of
// each entry appends, behind what buf holds, and the records decode to the entries.
func TestAppendEntryRecordsIsEachRecord(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "prefix")
		first := rapid.IntRange(1, 1<<40).Draw(t, "first")
		var ents []Entry
		for i := range rapid.IntRange(0, 12).Draw(t, "entries") {
			ents = append(ents, Entry{Term: rapid.IntRange(0, 1<<20).Draw(t, "term"), Index: first + i,
				Command: rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "cmd")})
		}
		want := append([]byte{}, prefix...)
		for _, e := range ents {
			want = AppendEntryRecord(want, e)
		}
		got := AppendEntryRecords(append([]byte{}, prefix...), ents)
		require.Equal(t, want, got)
		recs, valid, err := DecodeLogRecords(got[len(prefix):])
		require.NoError(t, err)
		require.Equal(t, len(got)-len(prefix), valid)
		require.Len(t, recs, len(ents))
		for i, r := range recs {
			require.Equal(t, ents[i].Term, r.Entry.Term)
			require.Equal(t, ents[i].Index, r.Entry.Index)
			require.Equal(t, string(ents[i].Command), string(r.Entry.Command))
		}
	})
}

// TestDecodeLogIsDecodeThenReplay: for any log file (entry and truncate records, a snapshot
// anywhere, a torn or corrupted tail), DecodeLog gives what DecodeLogRecords then ReplayLog
// give; countRecords, which sizes its entries, counts an undamaged log's records exactly.
func TestDecodeLogIsDecodeThenReplay(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var buf []byte
		next := 1
		n := rapid.IntRange(0, 30).Draw(t, "records")
		for i := 0; i < n; i++ {
			switch rapid.IntRange(0, 5).Draw(t, "kind") {
			case 0:
				buf = AppendTruncateRecord(buf, rapid.IntRange(1, next+1).Draw(t, "truncate"))
			case 1:
				next = rapid.IntRange(1, next+3).Draw(t, "jump") // a gap, or back over the log
				fallthrough
			default:
				buf = AppendEntryRecord(buf, entry(rapid.IntRange(1, 3).Draw(t, "term"), next, "c"))
				next++
			}
		}
		require.Equal(t, n, countRecords(buf), "records of an undamaged log")
		if len(buf) > 0 {
			switch rapid.IntRange(0, 2).Draw(t, "damage") {
			case 1:
				buf = buf[:rapid.IntRange(0, len(buf)-1).Draw(t, "cut")]
			case 2:
				buf[rapid.IntRange(0, len(buf)-1).Draw(t, "flip")] ^= 1
			}
		}
		snap := SnapshotMeta{Index: rapid.IntRange(0, next).Draw(t, "snapIndex"), Term: rapid.IntRange(0, 3).Draw(t, "snapTerm")}
		recs, validRecs, errRecs := DecodeLogRecords(buf)
		ents, valid, err := DecodeLog(buf, snap)
		require.Equal(t, validRecs, valid)
		require.Equal(t, errRecs, err)
		if err != nil {
			require.Nil(t, ents)
			return
		}
		want, err := ReplayLog(recs, snap)
		require.NoError(t, err)
		require.Equal(t, want, ents)
	})
}

func entry(term, index int, cmd string) Entry {
	return Entry{Term: term, Index: index, Command: []byte(cmd)}
}

func TestReplayLog(t *testing.T) {
	e := func(term, index int) LogRecord {
		return LogRecord{Kind: RecordEntry, Entry: entry(term, index, "")}
	}
	tr := func(i int) LogRecord { return LogRecord{Kind: RecordTruncate, TruncateFrom: i} }
	tests := []struct {
		name string
		recs []LogRecord
		snap SnapshotMeta
		want []Entry // as (term, index) only
	}{
		{"empty", nil, SnapshotMeta{}, nil},
		{"plain appends", []LogRecord{e(1, 1), e(1, 2), e(2, 3)}, SnapshotMeta{}, []Entry{entry(1, 1, ""), entry(1, 2, ""), entry(2, 3, "")}},
		{"truncate then append", []LogRecord{e(1, 1), e(1, 2), e(1, 3), tr(2), e(3, 2)}, SnapshotMeta{}, []Entry{entry(1, 1, ""), entry(3, 2, "")}},
		{"overwrite without truncate record", []LogRecord{e(1, 1), e(1, 2), e(1, 3), e(2, 2)}, SnapshotMeta{}, []Entry{entry(1, 1, ""), entry(2, 2, "")}},
		{"truncate beyond end is a no-op", []LogRecord{e(1, 1), tr(5)}, SnapshotMeta{}, []Entry{entry(1, 1, "")}},
		{"snapshot covers a prefix", []LogRecord{e(1, 1), e(1, 2), e(2, 3)}, SnapshotMeta{Index: 2, Term: 1}, []Entry{entry(2, 3, "")}},
		{"snapshot covers everything", []LogRecord{e(1, 1), e(1, 2)}, SnapshotMeta{Index: 5, Term: 2}, nil},
		{"compacted file starts after snapshot", []LogRecord{e(2, 6), e(2, 7)}, SnapshotMeta{Index: 5, Term: 2}, []Entry{entry(2, 6, ""), entry(2, 7, "")}},
		{"stale entries: term differs at snapshot index", []LogRecord{e(1, 1), e(1, 2), e(1, 3)}, SnapshotMeta{Index: 2, Term: 2}, nil},
		{"gap: snapshot installed beyond the log", []LogRecord{e(1, 1), e(1, 2), e(2, 8), e(2, 9)}, SnapshotMeta{Index: 7, Term: 2}, []Entry{entry(2, 8, ""), entry(2, 9, "")}},
		{"stale entries: gap after snapshot", []LogRecord{e(1, 8), e(1, 9)}, SnapshotMeta{Index: 5, Term: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReplayLog(tt.recs, tt.snap)
			require.NoError(t, err)
			require.Equal(t, len(tt.want), len(got), "got %v", got)
			for i := range got {
				require.Equal(t, tt.want[i].Term, got[i].Term)
				require.Equal(t, tt.want[i].Index, got[i].Index)
			}
		})
	}
	_, err := ReplayLog([]LogRecord{{Kind: RecordHard}}, SnapshotMeta{})
	require.ErrorIs(t, err, ErrCorrupt, "a hard state record does not belong in the log")
}

func TestDecodeLogRecordsRoundTrip(t *testing.T) {
	var buf []byte
	buf = AppendEntryRecord(buf, entry(1, 1, "x"))
	buf = AppendEntryRecord(buf, entry(1, 2, ""))
	buf = AppendReadyRecords(buf, &Ready{Truncate: 2, Entries: []Entry{entry(2, 2, "yy")}})
	recs, valid, err := DecodeLogRecords(buf)
	require.NoError(t, err)
	require.Equal(t, len(buf), valid)
	require.Equal(t, []LogRecord{
		{Kind: RecordEntry, Entry: entry(1, 1, "x")},
		{Kind: RecordEntry, Entry: Entry{Term: 1, Index: 2, Command: []byte{}}},
		{Kind: RecordTruncate, TruncateFrom: 2},
		{Kind: RecordEntry, Entry: entry(2, 2, "yy")},
	}, recs)

	// Zeros after the records (a lost sector write) are corruption, not a torn tail: the
	// header CRC of a zero length is not zero.
	recs, valid, err = DecodeLogRecords(append(buf, make([]byte, 64)...))
	require.ErrorIs(t, err, ErrCorrupt)
	require.Equal(t, len(buf), valid)
	require.Len(t, recs, 4)
}

// TestDecodeLogRecordsCorruptVersusTorn is issue 8 item 3 for the record format: corruption
// of a synced record, wherever it is and whatever it hits (length, CRCs, body; a flipped
// bit or a zeroed 512-byte sector, the file's length unchanged), is reported as ErrCorrupt
// and never taken for a torn tail, which would silently drop the record; a record cut short
// by the end of the file is a torn tail. With one CRC over length and body (the old
// format), a bit flip that enlarges the last record's length made it look torn.
func TestDecodeLogRecordsCorruptVersusTorn(t *testing.T) {
	var buf []byte
	var bounds []int
	for i := 1; i <= 40; i++ {
		bounds = append(bounds, len(buf))
		buf = AppendEntryRecord(buf, entry(1, i, fmt.Sprintf("command %d", i)))
	}
	bounds = append(bounds, len(buf))
	// Every single-bit flip anywhere in the file is corruption.
	for off := range buf {
		for bit := range 8 {
			b := append([]byte(nil), buf...)
			b[off] ^= 1 << bit
			_, valid, err := DecodeLogRecords(b)
			require.ErrorIs(t, err, ErrCorrupt, "bit %d of byte %d flipped", bit, off)
			require.LessOrEqual(t, valid, off, "records after the damage are not trusted")
		}
	}
	// A zeroed sector anywhere, the last one included, is corruption.
	for sector := 0; sector*512 < len(buf); sector++ {
		b := append([]byte(nil), buf...)
		clear(b[sector*512 : min(len(b), (sector+1)*512)])
		_, _, err := DecodeLogRecords(b)
		require.ErrorIs(t, err, ErrCorrupt, "sector %d zeroed", sector)
	}
	// Every cut inside the last record is a torn tail, dropping only that record.
	last := bounds[len(bounds)-2]
	for cut := last + 1; cut < len(buf); cut++ {
		recs, valid, err := DecodeLogRecords(buf[:cut])
		require.NoError(t, err, "cut at %d", cut)
		require.Equal(t, last, valid)
		require.Len(t, recs, 39)
	}
}

// TestDecodeLogRecordsTornTail: any prefix of an encoded record stream decodes to a prefix
// of the records, and valid ends on a record boundary. With the last byte of the prefix
// damaged as well, the damage is reported as corruption if it hit a record present whole,
// and ignored as part of the torn tail otherwise.
func TestDecodeLogRecordsTornTail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 20).Draw(t, "n")
		var want []LogRecord
		var buf []byte
		bounds := []int{0}
		for i := range n {
			var rec LogRecord
			if rapid.IntRange(0, 4).Draw(t, "kind") == 0 {
				rec = LogRecord{Kind: RecordTruncate, TruncateFrom: rapid.IntRange(1, 1<<40).Draw(t, "trunc")}
				buf = AppendTruncateRecord(buf, rec.TruncateFrom)
			} else {
				cmd := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "cmd")
				rec = LogRecord{Kind: RecordEntry, Entry: Entry{Term: rapid.IntRange(0, 1<<40).Draw(t, "term"), Index: i + 1, Command: append([]byte{}, cmd...)}}
				buf = AppendEntryRecord(buf, rec.Entry)
			}
			want = append(want, rec)
			bounds = append(bounds, len(buf))
		}
		cut := rapid.IntRange(0, len(buf)).Draw(t, "cut")
		torn := append([]byte(nil), buf[:cut]...)
		if damage := rapid.Bool().Draw(t, "damage"); damage && cut > 0 {
			torn[cut-1] ^= byte(rapid.IntRange(1, 255).Draw(t, "xor"))
		}
		damaged := cut > 0 && torn[cut-1] != buf[cut-1]
		got, valid, err := DecodeLogRecords(torn)
		// The damaged byte is in a record present whole iff the cut is on a boundary.
		wholeDamaged := damaged && slices.Contains(bounds, cut)
		if wholeDamaged != (err != nil) {
			t.Fatalf("damaged whole record %v, but err = %v", wholeDamaged, err)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v does not wrap ErrCorrupt", err)
		}
		if len(got) > len(want) {
			t.Fatalf("decoded %d records from a stream of %d", len(got), len(want))
		}
		for i := range got {
			if got[i].Kind != want[i].Kind || got[i].TruncateFrom != want[i].TruncateFrom ||
				got[i].Entry.Term != want[i].Entry.Term || got[i].Entry.Index != want[i].Entry.Index ||
				string(got[i].Entry.Command) != string(want[i].Entry.Command) {
				t.Fatalf("record %d: got %+v want %+v", i, got[i], want[i])
			}
		}
		if valid != bounds[len(got)] {
			t.Fatalf("valid = %d, want record boundary %d", valid, bounds[len(got)])
		}
		// Every complete, undamaged record before the cut must be recovered.
		complete := 0
		for complete < n && bounds[complete+1] <= cut {
			complete++
		}
		wantLen := complete
		if cut > 0 && cut == bounds[complete] && complete > 0 && len(torn) > 0 && torn[cut-1] != buf[cut-1] {
			wantLen = complete - 1 // the damaged byte belongs to the last complete record
		}
		if len(got) != wantLen {
			t.Fatalf("decoded %d records, want %d (cut %d)", len(got), wantLen, cut)
		}
	})
}

// TestRecordHeaderReadsWhatWasWritten: RecordHeader returns the body length and body CRC
// the encoder wrote, for an entry and a truncate record.
func TestRecordHeaderReadsWhatWasWritten(t *testing.T) {
	for _, rec := range [][]byte{
		AppendEntryRecord(nil, Entry{Term: 3, Index: 7, Command: []byte("a command")}),
		AppendTruncateRecord(nil, 5),
	} {
		n, crc := RecordHeader(rec)
		body := rec[RecordHeaderSize:]
		require.Equal(t, uint32(len(body)), n)
		require.Equal(t, Checksum(body), crc)
	}
}

// TestUvarintAtIsUvarint: uvarintAt reads what binary.Uvarint reads at any offset of any
// bytes, and fails (a negative offset) wherever binary.Uvarint does, or the offset is outside.
func TestUvarintAtIsUvarint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 12).Draw(t, "bytes")
		if rapid.Bool().Draw(t, "a varint") {
			b = binary.AppendUvarint(b[:rapid.IntRange(0, len(b)).Draw(t, "at")], rapid.Uint64().Draw(t, "v"))
		}
		o := rapid.IntRange(-1, len(b)+1).Draw(t, "offset")
		v, next := uvarintAt(b, o)
		if o < 0 || o >= len(b) {
			require.Negative(t, next)
			return
		}
		want, n := binary.Uvarint(b[o:])
		if n <= 0 {
			require.Negative(t, next)
			return
		}
		require.Equal(t, want, v)
		require.Equal(t, o+n, next)
	})
}

// TestEntryBodyIsDecodeLogBody: for any record body (entries with any term and index, in
// one byte or several, overlong encodings and truncated ones, other kinds, noise),
// entryBody decodes exactly the entries decodeLogBody decodes without error, and refuses
// every other body.
func TestEntryBodyIsDecodeLogBody(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var body []byte
		switch rapid.IntRange(0, 3).Draw(t, "shape") {
		case 0: // a well-formed entry
			body = []byte{byte(RecordEntry)}
			body = binary.AppendUvarint(body, rapid.Uint64Range(0, 1<<20).Draw(t, "term"))
			body = binary.AppendUvarint(body, rapid.Uint64Range(0, 1<<20).Draw(t, "index"))
		case 1: // an entry whose varints are any bytes (overlong, cut short, huge)
			body = append([]byte{byte(RecordEntry)}, rapid.SliceOfN(rapid.Byte(), 0, 6).Draw(t, "varints")...)
		case 2: // another kind
			body = append([]byte{rapid.Byte().Draw(t, "kind")}, rapid.SliceOfN(rapid.Byte(), 0, 6).Draw(t, "rest")...)
		case 3: // a term and index at the bounds of entryBody's in-line case
			body = []byte{byte(RecordEntry), rapid.Byte().Draw(t, "term"), rapid.Byte().Draw(t, "index0"), rapid.Byte().Draw(t, "index1")}
		}
		body = append(body, rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "command")...)
		got, ok := entryBody(body)
		rec, err := decodeLogBody(body)
		if err != nil || rec.Kind != RecordEntry {
			require.False(t, ok, "entryBody accepted %x", body)
			return
		}
		require.True(t, ok, "entryBody refused %x", body)
		require.Equal(t, rec.Entry, got)
		require.Equal(t, len(got.Command), cap(got.Command), "capped")
	})
}

// TestEntryRecordIsItsFormat holds AppendEntryRecordHeader's in-line uvarints and header to
// the record format: the body is the kind, binary.AppendUvarint of term and index, then the
// command, framed as the format says, whatever their sizes (across the one-, two- and three-byte
// uvarints and crcDirectLimit), and the length and CRC it returns are RecordHeader's.
func TestEntryRecordIsItsFormat(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		uv := rapid.OneOf(rapid.IntRange(0, 1<<15), rapid.IntRange(0, 1<<40))
		e := Entry{Term: uv.Draw(t, "term"), Index: uv.Draw(t, "index"),
			Command: rapid.SliceOfN(rapid.Byte(), 0, 2*crcDirectLimit).Draw(t, "command")}
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "prefix")
		spare := rapid.IntRange(0, 40).Draw(t, "spare") // room for the record, or not
		buf := append(make([]byte, 0, len(prefix)+spare), prefix...)

		got, n, crc := AppendEntryRecordHeader(buf, &e)
		want := append([]byte{byte(RecordEntry)}, binary.AppendUvarint(nil, uint64(e.Term))...)
		want = binary.AppendUvarint(want, uint64(e.Index))
		body := append(want, e.Command...)
		want = binary.LittleEndian.AppendUint32(nil, uint32(len(body)))
		want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want, crcTable))
		want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(body, crcTable))
		want = append(want, body...)
		require.Equal(t, append(slices.Clone(prefix), want...), got)
		wn, wcrc := RecordHeader(want)
		require.Equal(t, wn, n)
		require.Equal(t, wcrc, crc)
	})
}
