package raft

import (
	"encoding/binary"
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
