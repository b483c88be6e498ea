package raftcheck

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHashBytesSeesEveryByte: the checks compare commands by hashBytes, so two commands of
// one length that differ in any single byte must hash differently, at every position of
// the lanes taken 8 bytes at a time (from 32 bytes on) and of the tail, and equal bytes
// in different arrays must hash equally.
func TestHashBytesSeesEveryByte(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 31, 32, 33, 63, 64, 100, 5000} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*131 + 7)
		}
		h := hashBytes(b)
		require.Equal(t, h, hashBytes(bytes.Clone(b)), "length %d: equal bytes", n)
		for i := range b {
			for _, flip := range []byte{1, 0x80, 0xff} {
				b[i] ^= flip
				require.NotEqual(t, h, hashBytes(b), "length %d: byte %d xor %#x", n, i, flip)
				b[i] ^= flip
			}
		}
	}
}

// longCommand is a command of n bytes whose byte at diff is changed by tag: the commands
// of raft/RPCBytes2B are 5,000 bytes, hashed in lanes.
func longCommand(n, diff int, tag byte) string {
	b := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	b[diff] ^= tag
	return string(b)
}
