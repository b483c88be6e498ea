package shardkv

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
)

func config(num int, shards [ctrler.NShards]int) ctrler.Config {
	c := ctrler.Config{Num: num, Shards: shards, Groups: map[int][]string{}}
	for _, g := range shards {
		if g != 0 {
			c.Groups[g] = []string{"s"}
		}
	}
	return c
}

// key returns a key of shard sh (Key2Shard is the first byte mod 10: '0' is 48 -> 8).
func key(sh int) string { return string(rune('0' + (sh+2)%10)) }

func put(client, seq int64, k, v string) Command {
	return Command{Op: OpPut, Client: client, Seq: seq, Key: k, Value: v}
}

func TestKey2Shard(t *testing.T) {
	require.Equal(t, 8, Key2Shard("0"))
	require.Equal(t, 9, Key2Shard("1"))
	require.Equal(t, 0, Key2Shard("2"))
	require.Equal(t, 8, Key2Shard("0abc"), "by the first byte only")
	require.Equal(t, 0, Key2Shard(""))
	for sh := 0; sh < ctrler.NShards; sh++ {
		require.Equal(t, sh, Key2Shard(key(sh)))
	}
}

// TestMigration walks one shard from group 100 to group 101 through every status, on
// both groups' state machines, as the leaders' commands would drive them.
func TestMigration(t *testing.T) {
	a, b := NewState(100), NewState(101)
	c1 := config(1, [10]int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100})
	c2 := config(2, [10]int{100, 100, 100, 100, 100, 101, 101, 101, 101, 101})
	for _, s := range []*State{a, b} {
		s.Apply(Command{Op: OpConfig, Config: c1})
	}
	require.Equal(t, Serving, a.Status(7), "config 1: unassigned shards start empty and served")
	require.Equal(t, Absent, b.Status(7))
	require.Equal(t, Result{}, a.Apply(put(1, 1, key(7), "v7")))
	require.Equal(t, ErrWrongGroup, b.Apply(put(1, 2, key(7), "x")).Err)

	for _, s := range []*State{a, b} {
		s.Apply(Command{Op: OpConfig, Config: c2})
	}
	require.Equal(t, Leaving, a.Status(7))
	require.Equal(t, Pulling, b.Status(7))
	require.Equal(t, Serving, a.Status(0), "a shard that stays keeps serving while others move (Challenge 2)")
	require.Equal(t, ErrWrongGroup, a.Apply(put(1, 2, key(7), "x")).Err, "a Leaving shard is frozen")
	require.Equal(t, ErrWrongGroup, b.Apply(put(1, 2, key(7), "x")).Err, "a Pulling shard is not served yet")
	require.False(t, b.Stable())

	// The next configuration waits for the migration.
	c3 := config(3, c2.Shards)
	b.Apply(Command{Op: OpConfig, Config: c3})
	require.Equal(t, 2, b.Config().Num, "no configuration change while a migration is under way")

	// Pull: the data and the duplicate table move.
	data := a.ShardData(7)
	b.Apply(Command{Op: OpInsert, Num: 2, Data: []ShardData{data}})
	require.Equal(t, Arrived, b.Status(7))
	require.Equal(t, "v7", b.Apply(Command{Op: OpGet, Client: 2, Seq: 1, Key: key(7)}).Value, "served as soon as it arrives")
	b.Apply(put(1, 1, key(7), "again")) // a retry of the Put group 100 applied
	require.Equal(t, "v7", b.Get(key(7)), "the duplicate table moved with the shard")

	// A repeated insert changes nothing.
	b.Apply(put(1, 2, key(7), "v7b"))
	b.Apply(Command{Op: OpInsert, Num: 2, Data: []ShardData{data}})
	require.Equal(t, "v7b", b.Get(key(7)))

	// Delete at the old owner (Challenge 1), then GC done at the new one.
	a.Apply(Command{Op: OpDelete, Num: 1, Shards: []int{7}})
	require.Equal(t, Leaving, a.Status(7), "a delete for another configuration changes nothing")
	a.Apply(Command{Op: OpDelete, Num: 2, Shards: []int{7}})
	require.Equal(t, Absent, a.Status(7))
	require.Zero(t, a.Keys(7), "the old owner keeps nothing of a shard it gave up")
	b.Apply(Command{Op: OpGCDone, Num: 2, Shards: []int{7}})
	require.Equal(t, Serving, b.Status(7))
	require.False(t, a.Stable(), "shards 5, 6, 8, 9 still leave")
	a.Apply(Command{Op: OpDelete, Num: 2, Shards: []int{5, 6, 8, 9}})
	require.True(t, a.Stable())

	b.Apply(Command{Op: OpConfig, Config: c3})
	require.Equal(t, 2, b.Config().Num, "shards 5, 6, 8, 9 have not arrived")
	var rest []ShardData
	for _, sh := range []int{5, 6, 8, 9} {
		rest = append(rest, ShardData{Shard: sh, Data: map[string]string{}, Sessions: map[int64]int64{}})
	}
	b.Apply(Command{Op: OpInsert, Num: 2, Data: rest})
	b.Apply(Command{Op: OpGCDone, Num: 2, Shards: []int{5, 6, 8, 9}})
	b.Apply(Command{Op: OpConfig, Config: c3})
	require.Equal(t, 3, b.Config().Num)
	require.Equal(t, 2, b.Prev().Num)
}

func TestStaleConfigIgnored(t *testing.T) {
	s := NewState(100)
	s.Apply(Command{Op: OpConfig, Config: config(2, [10]int{100})})
	require.Equal(t, 0, s.Config().Num, "configurations are applied in order, one at a time")
	s.Apply(Command{Op: OpConfig, Config: config(1, [10]int{100})})
	s.Apply(Command{Op: OpConfig, Config: config(1, [10]int{100, 100})})
	require.Equal(t, 1, s.Config().Num)
	require.Equal(t, Absent, s.Status(1), "the second proposal of config 1 was ignored")
}

func TestStateSnapshotRoundTrip(t *testing.T) {
	a := NewState(100)
	a.Apply(Command{Op: OpConfig, Config: config(1, [10]int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100})})
	for sh := 0; sh < 10; sh++ {
		a.Apply(put(int64(sh+1), 1, key(sh), "v"))
	}
	a.Apply(Command{Op: OpConfig, Config: config(2, [10]int{100, 100, 100, 100, 100, 101, 101, 101, 101, 101})})
	snap := a.Encode()
	r, err := DecodeState(snap)
	require.NoError(t, err)
	require.Equal(t, snap, r.Encode())
	require.Equal(t, Leaving, r.Status(7))
	require.Equal(t, a.ShardData(7), r.ShardData(7))
	require.Equal(t, 2, r.Config().Num)
	require.Equal(t, 1, r.Prev().Num)
	r.Apply(put(1, 1, key(0), "dup"))
	require.Equal(t, "v", r.Get(key(0)), "the duplicate table travels in the snapshot")
	for i := 0; i < len(snap); i++ {
		_, err := DecodeState(snap[:i])
		require.Error(t, err, "truncated at %d", i)
	}
}

func TestCommandCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := Command{Op: rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend, OpConfig, OpInsert, OpDelete, OpGCDone}).Draw(t, "op")}
		switch c.Op {
		case OpGet, OpPut, OpAppend:
			c.Client, c.Seq = rapid.Int64().Draw(t, "client"), rapid.Int64().Draw(t, "seq")
			c.Key, c.Value = rapid.String().Draw(t, "key"), rapid.String().Draw(t, "value")
		case OpConfig:
			var sh [10]int
			copy(sh[:], rapid.SliceOfN(rapid.IntRange(0, 200), 10, 10).Draw(t, "shards"))
			c.Config = config(rapid.IntRange(0, 1000).Draw(t, "num"), sh)
		case OpInsert:
			c.Num = rapid.Int().Draw(t, "num")
			for i := rapid.IntRange(0, 3).Draw(t, "n"); i > 0; i-- {
				c.Data = append(c.Data, ShardData{
					Shard:    rapid.IntRange(0, 9).Draw(t, "shard"),
					Data:     rapid.MapOf(rapid.String(), rapid.String()).Draw(t, "data"),
					Sessions: rapid.MapOf(rapid.Int64(), rapid.Int64()).Draw(t, "sessions"),
				})
			}
		default:
			c.Num, c.Shards = rapid.Int().Draw(t, "num"), rapid.SliceOf(rapid.IntRange(0, 9)).Draw(t, "shards")
		}
		b := c.Encode()
		d, err := DecodeCommand(b)
		require.NoError(t, err)
		require.Equal(t, b, d.Encode())
		for i := 0; i < len(b); i++ {
			_, err := DecodeCommand(b[:i])
			require.Error(t, err, "truncated at %d", i)
		}
	})
}

// encodeUncached is State.Encode without the shards' cached encodings: every shard
// encoded from its maps.
func encodeUncached(s *State) []byte {
	e := wire.Encoder{}
	e.Int(int64(s.gid))
	e.B = ctrler.AppendConfig(e.B, s.cur)
	e.B = ctrler.AppendConfig(e.B, s.prev)
	for i, sh := range s.shards {
		e.Byte(byte(sh.status))
		ShardData{Shard: i, Data: sh.data, Sessions: sh.sessions}.encode(&e)
	}
	return e.B
}

// TestEncodeCacheFollowsWrites: after any sequence of commands, the snapshot built from
// the shards' cached encodings is the one built from their maps, and so is each shard's
// digest (a write that left a stale cache behind would fail here).
func TestEncodeCacheFollowsWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewState(100)
		seq := int64(0)
		for step := rapid.IntRange(1, 40).Draw(t, "steps"); step > 0; step-- {
			c := drawCommand(t, s, &seq, rapid.IntRange(0, 5).Draw(t, "kind"))
			s.Apply(c)
			require.Equal(t, encodeUncached(s), s.Encode(), "after %v", c)
			for sh := 0; sh < ctrler.NShards; sh++ {
				require.Equal(t, s.ShardData(sh).Digest(), s.ShardDigest(sh), "shard %d after %v", sh, c)
			}
		}
	})
}

// TestRestoredStateFollowsWrites: a state restored from a snapshot keeps its shards packed
// until they are read or written; applying the same commands to it and to the original
// gives the same snapshots, shard by shard the same data, and the same answers.
func TestRestoredStateFollowsWrites(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewState(100)
		var r *State // restored from s at some step, then fed the same commands
		seq := int64(0)
		for step := rapid.IntRange(1, 40).Draw(t, "steps"); step > 0; step-- {
			kind := rapid.IntRange(0, 6).Draw(t, "kind")
			if kind == 6 {
				var err error
				r, err = DecodeState(s.Encode())
				require.NoError(t, err)
				continue
			}
			c := drawCommand(t, s, &seq, kind)
			want := s.Apply(c)
			if r == nil {
				continue
			}
			require.Equal(t, want, r.Apply(c), "%v", c)
			require.Equal(t, s.Encode(), r.Encode(), "after %v", c)
			if sh := rapid.IntRange(-1, 9).Draw(t, "read"); sh >= 0 {
				require.Equal(t, s.ShardData(sh), r.ShardData(sh), "shard %d after %v", sh, c)
				require.Equal(t, s.Keys(sh), r.Keys(sh))
				require.Equal(t, s.Get(key(sh)), r.Get(key(sh)))
			}
		}
	})
}

// drawCommand draws a command of kind 0-5 for state s: a next configuration (0), a client
// operation under the clients' sequence numbers *seq (1, 2), an insert of the shards s
// pulls (3), a delete of those it gives up (4), the end of their migration (5).
func drawCommand(t *rapid.T, s *State, seq *int64, kind int) Command {
	switch kind {
	case 0:
		var sh [ctrler.NShards]int
		for i := range sh {
			sh[i] = rapid.SampledFrom([]int{0, 100, 101}).Draw(t, "gid")
		}
		return Command{Op: OpConfig, Config: config(s.ConfigNum()+1, sh)}
	case 1, 2:
		*seq += int64(rapid.IntRange(-1, 2).Draw(t, "dseq"))
		return Command{Op: rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend}).Draw(t, "op"),
			Client: rapid.Int64Range(1, 3).Draw(t, "client"), Seq: *seq,
			Key:   key(rapid.IntRange(0, 9).Draw(t, "shard")) + rapid.StringN(0, 2, -1).Draw(t, "suffix"),
			Value: rapid.StringN(0, 4, -1).Draw(t, "value")}
	case 3:
		c := Command{Op: OpInsert, Num: s.ConfigNum()}
		for _, sh := range s.ShardsIn(Pulling) {
			c.Data = append(c.Data, ShardData{Shard: sh,
				Data:     rapid.MapOfN(rapid.StringN(0, 3, -1), rapid.String(), 0, 3).Draw(t, "data"),
				Sessions: rapid.MapOfN(rapid.Int64Range(1, 5), rapid.Int64(), 0, 3).Draw(t, "sessions")})
		}
		return c
	case 4:
		return Command{Op: OpDelete, Num: s.ConfigNum(), Shards: s.ShardsIn(Leaving)}
	case 5:
		return Command{Op: OpGCDone, Num: s.ConfigNum(), Shards: s.ShardsIn(Arrived)}
	}
	panic(fmt.Sprintf("drawCommand: kind %d", kind))
}
