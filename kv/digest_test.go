package kv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDigestsCoverContents: the RPC messages and the applied results digest their
// contents, so that two runs differing only in a value differ in trace hash (netsim folds a
// message without a Digest method by its size alone, which equal-length values share).
func TestDigestsCoverContents(t *testing.T) {
	put := func(v string) *OpArgs {
		return &OpArgs{Command{Op: OpPut, Client: 1, Seq: 2, Key: "k", Value: v}}
	}
	require.Equal(t, put("aaaa").Digest(), put("aaaa").Digest())
	require.NotEqual(t, put("aaaa").Digest(), put("bbbb").Digest())
	require.NotEqual(t, (&OpArgs{Command{Op: OpGet, Key: "ab"}}).Digest(), (&OpArgs{Command{Op: OpGet, Key: "ba"}}).Digest())
	// Key and value are length-prefixed: moving a byte from one to the other changes it.
	require.NotEqual(t, (&OpArgs{Command{Op: OpPut, Key: "ab", Value: "c"}}).Digest(),
		(&OpArgs{Command{Op: OpPut, Key: "a", Value: "bc"}}).Digest())

	require.NotEqual(t, (&OpReply{Value: "x"}).Digest(), (&OpReply{Value: "y"}).Digest())
	require.NotEqual(t, (&OpReply{Err: ErrWrongLeader, Leader: 1}).Digest(), (&OpReply{Err: ErrWrongLeader, Leader: 2}).Digest())

	require.NotEqual(t, duplicateDigest(3), duplicateDigest(4))

	// A long value: every byte counts, not only the length or a prefix.
	long := strings.Repeat("0123456789", 300)
	require.NotEqual(t, put(long).Digest(), put(long[:2999]+"x").Digest())
	require.NotEqual(t, put(long).Digest(), put("x"+long[1:]).Digest())
	require.NotEqual(t, (&OpReply{Value: long}).Digest(), (&OpReply{Value: long[:1500] + "x" + long[1501:]}).Digest())
}

// TestDigestsAllocateNothing: the digests read a message's strings in place.
func TestDigestsAllocateNothing(t *testing.T) {
	a := &OpArgs{Command{Op: OpAppend, Client: 1, Seq: 2, Key: "k", Value: strings.Repeat("v", 4000)}}
	r := &OpReply{Value: strings.Repeat("v", 4000)}
	var sink uint64
	require.Zero(t, testing.AllocsPerRun(10, func() { sink ^= a.Digest() ^ r.Digest() }))
}

// TestHashStringEveryByte: a string's digest changes with any one of its bytes, at every
// length around the short-string cases' boundaries, and with its length.
func TestHashStringEveryByte(t *testing.T) {
	seen := map[uint64]string{}
	for n := 0; n <= 40; n++ {
		base := []byte(strings.Repeat("k", n))
		d := hashString(fnvOffset, string(base))
		if prev, ok := seen[d]; ok {
			t.Fatalf("%q and %q digest alike", prev, base)
		}
		seen[d] = string(base)
		for i := range base {
			changed := append([]byte(nil), base...)
			changed[i] = 'x'
			require.NotEqual(t, d, hashString(fnvOffset, string(changed)), "length %d, byte %d", n, i)
		}
	}
}
