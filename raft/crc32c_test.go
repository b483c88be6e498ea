package raft

import (
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
