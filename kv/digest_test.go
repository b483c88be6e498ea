package kv

import (
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

	cmd := put("v").Encode()
	require.NotEqual(t, applyDigest(3, cmd, false), applyDigest(3, put("w").Encode(), false))
	require.NotEqual(t, applyDigest(3, cmd, false), applyDigest(4, cmd, false))
	require.NotEqual(t, applyDigest(3, cmd, false), applyDigest(3, cmd, true))
}
