package kv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/raft"
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

// TestReplyDigestWithKeptSum: the CRC-32C a store keeps of each value as it grows (the sum
// a Get's result carries) is raft.Checksum of the value, across Appends, Puts, restores
// and repeated Gets, and a reply that carries it digests as one that does not.
func TestReplyDigestWithKeptSum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewStore()
		seq := int64(0)
		for range rapid.IntRange(1, 80).Draw(t, "steps") {
			key := rapid.SampledFrom([]string{"a", "b"}).Draw(t, "key")
			switch rapid.IntRange(0, 5).Draw(t, "action") {
			case 0:
				r, err := restoreStore(s.Encode())
				require.NoError(t, err)
				s = r
				continue
			case 1:
				seq++
				s.Apply(Command{Op: OpPut, Client: 1, Seq: seq, Key: key, Value: rapid.StringMatching(`[xy]{0,30}`).Draw(t, "value")})
				continue
			case 2, 3:
				seq++
				s.Apply(Command{Op: OpAppend, Client: 1, Seq: seq, Key: key, Value: rapid.StringMatching(`[xy]{0,12}`).Draw(t, "value")})
				continue
			}
			seq++
			res := s.Apply(Command{Op: OpGet, Client: 1, Seq: seq, Key: key})
			var want uint32
			if len(res.Value) > 16 {
				want = raft.Checksum([]byte(res.Value))
			}
			require.Equal(t, want, res.sum, "%q", res.Value)
			require.Equal(t, (&OpReply{Value: res.Value}).Digest(), (&OpReply{Value: res.Value, sum: res.sum}).Digest())
		}
	})
}
