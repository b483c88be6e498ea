package shardkv

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
)

// TestSizeIsTheEncodingsLength: every message's Size, counted without encoding, is the
// length of its encoding (what Digest hashes).
func TestSizeIsTheEncodingsLength(t *testing.T) {
	cfg := ctrler.Config{Num: 300, Groups: map[int][]string{100: {"a", "bb"}, 101: {}, -7: {"ccc"}}}
	for i := range cfg.Shards {
		cfg.Shards[i] = 100 + i%3
	}
	data := []ShardData{
		{Shard: 3, Data: map[string]string{"k": "v", "key": string(make([]byte, 200))}, Sessions: map[int64]int64{1: 5, -2: 1 << 40}},
		{Shard: 9, Data: map[string]string{}, Sessions: map[int64]int64{}},
	}
	for _, a := range []*OpArgs{
		{Op: OpGet, Client: 1, Seq: 2, Key: "k"},
		{Op: OpPut, Client: -1 << 50, Seq: 1 << 40, Key: "k", Value: string(make([]byte, 300))},
		{Op: OpAppend, Client: 3, Seq: 4, Key: "", Value: "x"},
	} {
		require.Equal(t, len(a.Command().Encode()), a.Size(), "%v", a)
		require.Equal(t, a.Command().Encode(), a.Clone().(*OpArgs).encoded(), "%v", a)
	}
	for _, c := range []Command{
		{Op: OpConfig, Config: cfg},
		{Op: OpInsert, Num: 200, Data: data},
		{Op: OpDelete, Num: 7, Shards: []int{1, 2, 300}},
		{Op: OpGCDone, Num: -1},
	} {
		require.Equal(t, len(c.Encode()), c.size(), "%v", c)
	}
	sa := &ShardArgs{Num: 150, Shards: []int{0, 9, -1}}
	require.Equal(t, len(sa.encode()), sa.Size())
	sr := &ShardReply{Err: ErrWrongGroup, Shards: data}
	require.Equal(t, len(sr.encode()), sr.Size())
}
