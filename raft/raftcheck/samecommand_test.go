package raftcheck

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSameCommandIsBytesEqual: sameCommand compares commands of 4 to 16 bytes as two
// overlapping words, so it must agree with bytes.Equal for every length around and in
// that range, for a difference in any one byte, and for equal bytes in other arrays at
// any offset.
func TestSameCommandIsBytesEqual(t *testing.T) {
	buf := make([]byte, 48)
	for i := range buf {
		buf[i] = byte(0x3d + 11*i)
	}
	for n := 0; n <= 24; n++ {
		for off := 0; off < 8; off++ {
			a := buf[off : off+n]
			b := bytes.Clone(a)
			require.True(t, sameCommand(a, b), "length %d at offset %d: equal bytes", n, off)
			for i := range b {
				for _, flip := range []byte{1, 0x80, 0xff} {
					b[i] ^= flip
					require.False(t, sameCommand(a, b), "length %d at offset %d: byte %d xor %#x", n, off, i, flip)
					require.False(t, sameCommand(b, a), "length %d at offset %d: byte %d xor %#x", n, off, i, flip)
					b[i] ^= flip
				}
			}
			if n > 0 {
				require.False(t, sameCommand(a, b[:n-1]), "length %d: a prefix", n)
				require.False(t, sameCommand(a[:n-1], b), "length %d: a prefix", n)
			}
		}
	}
	require.True(t, sameCommand(nil, []byte{}), "nil and empty")
}
