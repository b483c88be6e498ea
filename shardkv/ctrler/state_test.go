package ctrler

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func join(client, seq int64, groups map[int][]string) Command {
	return Command{Op: OpJoin, Client: client, Seq: seq, Servers: groups}
}

func TestStateInitialConfig(t *testing.T) {
	s := NewState()
	c := s.Query(-1)
	require.Equal(t, 0, c.Num)
	require.Equal(t, [NShards]int{}, c.Shards)
	require.Empty(t, c.Groups)
	require.True(t, c.Equal(Config{}), "config 0 equals the zero Config (the 4A historical query of cfa[3] relies on it)")
}

func TestStateJoinLeaveMoveQuery(t *testing.T) {
	s := NewState()
	s.Apply(join(1, 1, map[int][]string{1: {"x", "y", "z"}}))
	s.Apply(join(1, 2, map[int][]string{2: {"a", "b", "c"}}))
	c2 := s.Apply(Command{Op: OpQuery, Client: 1, Seq: 3, Num: -1}).Config
	require.Equal(t, 2, c2.Num)
	require.Equal(t, []int{1, 2}, c2.GIDs())
	require.Equal(t, []string{"a", "b", "c"}, c2.Groups[2])
	require.Equal(t, map[int]int{1: 5, 2: 5}, c2.Counts())

	s.Apply(Command{Op: OpMove, Client: 1, Seq: 4, Shard: 0, GID: 2})
	require.Equal(t, 2, s.Query(-1).Shards[0])
	require.Equal(t, 3, s.Query(-1).Num)
	s.Apply(Command{Op: OpLeave, Client: 1, Seq: 5, GIDs: []int{2}})
	last := s.Query(-1)
	require.Equal(t, 4, last.Num)
	require.Equal(t, [NShards]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, last.Shards)

	// Historical and out-of-range queries.
	require.True(t, s.Query(2).Equal(c2))
	require.Equal(t, 4, s.Query(99).Num)
	// A returned config is a copy: editing it changes no history.
	c := s.Query(1)
	c.Groups[1][0] = "changed"
	c.Groups[42] = nil
	require.Equal(t, []string{"x", "y", "z"}, s.Query(1).Groups[1])
	require.NotContains(t, s.Query(1).Groups, 42)
}

func TestStateDuplicateDetection(t *testing.T) {
	s := NewState()
	j := join(7, 1, map[int][]string{1: {"x"}})
	require.False(t, s.Apply(j).Duplicate)
	// The retry of the same operation (same client and sequence number) changes nothing.
	require.True(t, s.Apply(j).Duplicate)
	require.Equal(t, 1, s.Query(-1).Num)
	// An older sequence number of the same client is a duplicate too.
	require.True(t, s.Apply(Command{Op: OpLeave, Client: 7, Seq: 1, GIDs: []int{1}}).Duplicate)
	require.Equal(t, []int{1}, s.Query(-1).GIDs())
	// Another client's sequence number 1 is its own operation.
	require.False(t, s.Apply(join(8, 1, map[int][]string{2: {"y"}})).Duplicate)
	require.Equal(t, 2, s.Query(-1).Num)
	// Queries are reads: answered, never recorded.
	require.False(t, s.Apply(Command{Op: OpQuery, Client: 7, Seq: 1, Num: -1}).Duplicate)
	require.Equal(t, int64(1), s.LastSeq(7))
}

// TestSnapshotRoundTrip: a restored state encodes to the same bytes, answers the same
// queries, and keeps rejecting retries applied before the snapshot.
func TestSnapshotRoundTrip(t *testing.T) {
	s := NewState()
	s.Apply(join(1, 1, map[int][]string{1: {"x", "y"}, 2: {"a"}}))
	s.Apply(join(2, 1, map[int][]string{3: {"j", "k", "l"}}))
	s.Apply(Command{Op: OpMove, Client: 1, Seq: 2, Shard: 9, GID: 1})
	s.Apply(Command{Op: OpLeave, Client: 2, Seq: 2, GIDs: []int{2}})

	snap := s.Encode()
	r, err := DecodeState(snap)
	require.NoError(t, err)
	require.Equal(t, snap, r.Encode())
	require.Equal(t, s.Len(), r.Len())
	for i := 0; i < s.Len(); i++ {
		require.True(t, s.Query(i).Equal(r.Query(i)), "config %d", i)
	}
	require.True(t, r.Apply(Command{Op: OpLeave, Client: 2, Seq: 2, GIDs: []int{3}}).Duplicate,
		"the duplicate table travels in the snapshot")
	require.True(t, r.Apply(join(1, 1, map[int][]string{9: {"z"}})).Duplicate)
	require.False(t, r.Apply(join(1, 3, map[int][]string{9: {"z"}})).Duplicate)

	// The initial state round-trips too.
	r, err = DecodeState(NewState().Encode())
	require.NoError(t, err)
	require.Equal(t, 1, r.Len())

	// Corrupt snapshots are errors, never a silently different state.
	for i := 0; i < len(snap); i++ {
		_, err := DecodeState(snap[:i])
		require.Error(t, err, "truncated at %d", i)
	}
	_, err = DecodeState(append(snap, 0))
	require.Error(t, err)
}

// TestSnapshotBytesDeterministic: the encoding does not depend on map order, so two
// replicas with equal states write equal snapshots (the same state built 20 times).
func TestSnapshotBytesDeterministic(t *testing.T) {
	build := func() []byte {
		s := NewState()
		for c := int64(1); c <= 20; c++ {
			s.Apply(join(c, 1, map[int][]string{int(c): {"a", "b"}, int(c) + 100: {"c"}}))
		}
		return s.Encode()
	}
	want := build()
	for i := 0; i < 20; i++ {
		require.Equal(t, want, build())
	}
}

func TestCommandCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := Command{
			Op:     rapid.SampledFrom([]Op{OpJoin, OpLeave, OpMove, OpQuery}).Draw(t, "op"),
			Client: rapid.Int64Range(1, 1<<40).Draw(t, "client"),
			Seq:    rapid.Int64Range(1, 1<<40).Draw(t, "seq"),
		}
		switch c.Op {
		case OpJoin:
			c.Servers = rapid.MapOf(rapid.IntRange(-5, 3000), rapid.SliceOf(rapid.String())).Draw(t, "servers")
		case OpLeave:
			c.GIDs = rapid.SliceOf(rapid.IntRange(-5, 3000)).Draw(t, "gids")
		case OpMove:
			c.Shard, c.GID = rapid.IntRange(-3, 12).Draw(t, "shard"), rapid.Int().Draw(t, "gid")
		case OpQuery:
			c.Num = rapid.IntRange(-1, 1<<20).Draw(t, "num")
		}
		b := c.Encode()
		d, err := DecodeCommand(b)
		require.NoError(t, err)
		require.Equal(t, b, d.Encode())
		require.Equal(t, c.String(), d.String())
		for i := 0; i < len(b); i++ {
			_, err := DecodeCommand(b[:i])
			require.Error(t, err, "truncated at %d", i)
		}
	})
}
