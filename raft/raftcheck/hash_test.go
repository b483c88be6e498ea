package raftcheck

import (
	"bytes"
	"encoding/binary"
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

// TestHashBytesTailIsTheBytewiseWord: the tail of a command (its last 1-7 bytes) goes into
// the hash as one word, loaded whole; the word must be what a byte at a time builds, the
// tail's bytes from the lowest and zero above them, for every length and offset.
func TestHashBytesTailIsTheBytewiseWord(t *testing.T) {
	bytewise := func(b []byte) uint64 {
		const (
			offset = 14695981039346656037
			m      = 0xbf58476d1ce4e5b9
		)
		h := uint64(offset) ^ uint64(len(b))*m
		// The same lanes as hashBytes for 32 bytes and more: only commands shorter than
		// 32 bytes are compared here.
		for ; len(b) >= 8; b = b[8:] {
			h = (h ^ binary.LittleEndian.Uint64(b)) * m
			h ^= h >> 29
		}
		if len(b) > 0 {
			var w uint64
			for i, c := range b {
				w |= uint64(c) << (8 * i)
			}
			h = (h ^ w) * m
			h ^= h >> 29
		}
		return h * m
	}
	buf := make([]byte, 64)
	for i := range buf {
		buf[i] = byte(0xf1 - 7*i)
	}
	for n := 0; n < 32; n++ {
		for off := 0; off < 8; off++ {
			b := buf[off : off+n]
			require.Equal(t, bytewise(b), hashBytes(b), "length %d at offset %d", n, off)
		}
	}
}
