package ctrler

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSizeIsTheEncodingsLength: a request's and a reply's Size, counted without encoding,
// is the length of the encoding Digest hashes.
func TestSizeIsTheEncodingsLength(t *testing.T) {
	groups := map[int][]string{1: {"x", "yy"}, 300: {"z"}, 2: {}}
	for _, c := range []Command{
		{Op: OpJoin, Client: 1, Seq: 1 << 35, Servers: groups},
		{Op: OpLeave, Client: 2, Seq: 3, GIDs: []int{1, 300, -5}},
		{Op: OpMove, Client: 3, Seq: 4, Shard: 9, GID: 300},
		{Op: OpQuery, Client: 4, Seq: 5, Num: -1},
	} {
		require.Equal(t, len(c.Encode()), (&OpArgs{Command: c}).Size(), "%v", c)
	}
	cfg := Config{Num: 1 << 20, Groups: groups}
	cfg.Shards[3] = 300
	for _, r := range []*OpReply{{Err: OK, Config: cfg, Leader: -1}, {Err: ErrWrongLeader, Leader: 12345}} {
		require.Equal(t, len(r.encode()), r.Size())
	}
}
