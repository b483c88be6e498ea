package raft

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestCRCIsHashCRC32: crcChecksum and crcUpdate give hash/crc32's CRC-32C for any input,
// short (the direct loop: every length modulo 8, any alignment) or long (hash/crc32 itself),
// from any running CRC.
func TestCRCIsHashCRC32(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 2*crcDirectLimit).Draw(t, "bytes")
		from := rapid.IntRange(0, len(b)).Draw(t, "from") // any alignment
		crc := rapid.Uint32().Draw(t, "crc")
		require.Equal(t, crc32.Checksum(b[from:], crcTable), crcChecksum(b[from:]))
		require.Equal(t, crc32.Update(crc, crcTable, b[from:]), crcUpdate(crc, b[from:]))
	})
}

// TestUpdateChecksumContinuesChecksum: UpdateChecksum of Checksum(a) over b is the Checksum
// of a followed by b, for any split (kv keeps a growing value's sum this way).
func TestUpdateChecksumContinuesChecksum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 0, 2*crcDirectLimit).Draw(t, "bytes")
		at := rapid.IntRange(0, len(b)).Draw(t, "at")
		require.Equal(t, Checksum(b), UpdateChecksum(Checksum(b[:at]), b[at:]))
	})
}

// TestCRCDirect: on a CPU with SSE4.2 the direct loop gives hash/crc32's value for every
// length of a few words.
func TestCRCDirect(t *testing.T) {
	if !haveCRCDirect {
		t.Skip("no direct CRC-32C on this machine")
	}
	for n := range 40 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		require.Equal(t, crc32.Update(12345, crcTable, b), crcUpdateDirect(12345, b), "length %d", n)
	}
}

// TestPutHeaderDirect: on a CPU with SSE4.2 the header putHeaderDirect writes is the one the
// format says (the body's length, the CRC-32C of its 4 bytes, the body's CRC-32C), for bodies
// of every length of a few words and any bytes before and after the record.
func TestPutHeaderDirect(t *testing.T) {
	if !haveCRCDirect {
		t.Skip("no direct CRC-32C on this machine")
	}
	for n := range 40 {
		b := make([]byte, 3+RecordHeaderSize+n+5)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		want := append([]byte(nil), b...)
		rec := want[3 : 3+RecordHeaderSize+n]
		binary.LittleEndian.PutUint32(rec[0:4], uint32(n))
		binary.LittleEndian.PutUint32(rec[4:8], crc32.Checksum(rec[0:4], crcTable))
		binary.LittleEndian.PutUint32(rec[8:12], crc32.Checksum(rec[RecordHeaderSize:], crcTable))
		putHeaderDirect(b[3 : 3+RecordHeaderSize+n])
		require.Equal(t, want, b, "body of %d bytes", n)
	}
}

// TestAppendEntryRecordHeader: the record AppendEntryRecordHeader appends is the format's
// (the body's kind, uvarint term, uvarint index and command, framed by its length, the
// length's CRC-32C and the body's CRC-32C) with the header's length and CRC, after any bytes
// already in the buffer, for terms and indexes of every length of uvarint around the bounds
// of the routine of the CRC32 instruction on amd64 (a term of one byte, an index of one or
// two) and commands of every length of a few words and around its bound, into a buffer with
// the room or without. With the room it writes nothing past the record, and on a CPU with
// SSE4.2 it appends in place.
func TestAppendEntryRecordHeader(t *testing.T) { checkAppendEntryRecordHeader(t) }

// checkAppendEntryRecordHeader is TestAppendEntryRecordHeader, which the test of the
// general encoding on amd64 repeats with the direct routine turned off.
func checkAppendEntryRecordHeader(t *testing.T) {
	lengths := []int{crcDirectLimit - 5, crcDirectLimit - 4, crcDirectLimit}
	for n := range 40 {
		lengths = append(lengths, n)
	}
	for _, term := range []int{0, 1, 0x7f, 0x80, 300} {
		for _, index := range []int{1, 0x7f, 0x80, 0x1234, 1<<14 - 1, 1 << 14, 1 << 30} {
			for _, n := range lengths {
				cmd := make([]byte, n)
				for i := range cmd {
					cmd[i] = byte(i*13 + n + index)
				}
				body := append([]byte{byte(RecordEntry)}, binary.AppendUvarint(binary.AppendUvarint(nil, uint64(term)), uint64(index))...)
				body = append(body, cmd...)
				want := []byte{7, 7, 7}
				want = binary.LittleEndian.AppendUint32(want, uint32(len(body)))
				want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(want[3:7], crcTable))
				want = binary.LittleEndian.AppendUint32(want, crc32.Checksum(body, crcTable))
				want = append(want, body...)
				e := &Entry{Term: term, Index: index, Command: cmd}
				what := fmt.Sprintf("term %d, index %d, command of %d bytes", term, index, n)

				buf := make([]byte, 3, len(want)+8)
				for i := range buf[:cap(buf)] {
					buf[:cap(buf)][i] = 7
				}
				got, length, crc := AppendEntryRecordHeader(buf, e)
				require.Equal(t, want, got, what)
				require.Equal(t, uint32(len(body)), length, what)
				require.Equal(t, crc32.Checksum(body, crcTable), crc, what)
				require.Equal(t, []byte{7, 7, 7, 7, 7, 7, 7, 7}, got[len(got):cap(got)], "%s: bytes past the record", what)
				if haveCRCDirect {
					require.Same(t, &buf[0], &got[0], "%s: in place", what)
				}

				short := append(make([]byte, 0, len(want)-1), 7, 7, 7)
				got, length, crc = AppendEntryRecordHeader(short, e)
				require.Equal(t, want, got, "%s: grown", what)
				require.Equal(t, uint32(len(body)), length, what)
				require.Equal(t, crc32.Checksum(body, crcTable), crc, what)
			}
		}
	}
}
