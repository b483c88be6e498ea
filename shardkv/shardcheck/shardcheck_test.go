package shardcheck

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
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

var (
	all100 = [10]int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100}
	split  = [10]int{100, 100, 100, 100, 100, 101, 101, 101, 101, 101}
)

// replica applies commands to one replica's state and reports them to a checker, as the
// harness does; index counts the log.
type replica struct {
	gid, id, index int
	st             *shardkv.State
}

func newReplica(gid, id int) *replica { return &replica{gid: gid, id: id, st: shardkv.NewState(gid)} }

func (r *replica) apply(c *Checker, cmd shardkv.Command) error {
	a := shardkv.Applied{GID: r.gid, Replica: r.id, Cmd: cmd}
	for i := range a.Before {
		a.Before[i] = r.st.Status(i)
	}
	r.index++
	a.Index = r.index
	a.Res = r.st.Apply(cmd)
	a.State = r.st
	return c.Applied(a)
}

func check(t *testing.T, err error, name string) {
	t.Helper()
	var v *Violation
	require.True(t, errors.As(err, &v), "want a %s violation, got %v", name, err)
	require.Equal(t, name, v.Check, "%v", err)
}

func put(key, value string, seq int64) shardkv.Command {
	return shardkv.Command{Op: shardkv.OpPut, Client: 1, Seq: seq, Key: key, Value: value}
}

// A correct migration of shards 5-9 from group 100 to 101 passes every check.
func TestMigrationPasses(t *testing.T) {
	c := New()
	a, b := newReplica(100, 0), newReplica(101, 0)
	for _, r := range []*replica{a, b} {
		require.NoError(t, r.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	}
	require.NoError(t, a.apply(c, put("7", "x", 1))) // "7" is shard 5
	for _, r := range []*replica{a, b} {
		require.NoError(t, r.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(2, split)}))
	}
	var data []shardkv.ShardData
	for sh := 5; sh < 10; sh++ {
		data = append(data, a.st.ShardData(sh))
	}
	require.NoError(t, b.apply(c, shardkv.Command{Op: shardkv.OpInsert, Num: 2, Data: data}))
	require.NoError(t, b.apply(c, put("7", "y", 2)))
	require.NoError(t, a.apply(c, shardkv.Command{Op: shardkv.OpDelete, Num: 2, Shards: []int{5, 6, 7, 8, 9}}))
	require.NoError(t, b.apply(c, shardkv.Command{Op: shardkv.OpGCDone, Num: 2, Shards: []int{5, 6, 7, 8, 9}}))
	// A second replica of b replaying the same log agrees.
	b2 := newReplica(101, 1)
	require.NoError(t, b2.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	require.NoError(t, b2.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(2, split)}))
	require.NoError(t, b2.apply(c, shardkv.Command{Op: shardkv.OpInsert, Num: 2, Data: data}))
}

func TestOneOwner(t *testing.T) {
	c := New()
	a, b := newReplica(100, 0), newReplica(101, 0)
	require.NoError(t, a.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	// Group 101 was told a different config 1 (a controller that forked), in which it owns
	// everything too.
	all101 := [10]int{101, 101, 101, 101, 101, 101, 101, 101, 101, 101}
	require.NoError(t, b.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all101)}))
	require.NoError(t, a.apply(c, put("2", "a", 1)))
	check(t, b.apply(c, put("2", "b", 2)), "one-owner")
}

func TestServedWithData(t *testing.T) {
	c := New()
	b := newReplica(101, 0)
	require.NoError(t, b.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	require.NoError(t, b.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(2, split)}))
	require.Equal(t, shardkv.Pulling, b.st.Status(5))
	// A hand-built application of a Put to the Pulling shard 5, answered OK.
	a := shardkv.Applied{GID: 101, Index: 3, Cmd: put("7", "x", 1), State: b.st}
	for i := range a.Before {
		a.Before[i] = b.st.Status(i)
	}
	check(t, c.Applied(a), "served-with-data")
}

func TestArrivesWhole(t *testing.T) {
	setup := func() (*Checker, *replica, *replica) {
		c := New()
		a, b := newReplica(100, 0), newReplica(101, 0)
		for _, r := range []*replica{a, b} {
			require.NoError(t, r.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
		}
		require.NoError(t, a.apply(c, put("7", "x", 1)))
		for _, r := range []*replica{a, b} {
			require.NoError(t, r.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(2, split)}))
		}
		return c, a, b
	}

	// Other data than was given up.
	c, a, b := setup()
	d := a.st.ShardData(5)
	d.Data["7"] = "changed"
	check(t, b.apply(c, shardkv.Command{Op: shardkv.OpInsert, Num: 2, Data: []shardkv.ShardData{d}}), "arrives-whole")

	// The data without its duplicate table.
	c, a, b = setup()
	d = a.st.ShardData(5)
	d.Sessions = map[int64]int64{}
	check(t, b.apply(c, shardkv.Command{Op: shardkv.OpInsert, Num: 2, Data: []shardkv.ShardData{d}}), "arrives-whole")

	// A shard nobody gave up in that configuration: group 100 never applied config 2.
	c = New()
	a, b = newReplica(100, 0), newReplica(101, 0)
	require.NoError(t, a.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	require.NoError(t, b.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	require.NoError(t, b.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(2, split)}))
	check(t, b.apply(c, shardkv.Command{Op: shardkv.OpInsert, Num: 2, Data: []shardkv.ShardData{a.st.ShardData(6)}}), "arrives-whole")

	// Inserted at two log indexes of one group: a replica whose log had the insert at
	// index 4 and another at index 5.
	c, a, b = setup()
	ins := shardkv.Command{Op: shardkv.OpInsert, Num: 2, Data: []shardkv.ShardData{a.st.ShardData(5)}}
	require.NoError(t, b.apply(c, ins))
	b2 := newReplica(101, 1)
	require.NoError(t, b2.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	require.NoError(t, b2.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(2, split)}))
	b2.index++ // a no-op
	check(t, b2.apply(c, ins), "arrives-whole")
}

func TestConfigOrder(t *testing.T) {
	// Replicas that disagree on the configuration after one index: a applied config 1 at
	// index 1, a2 a Put (at config 0).
	c := New()
	a, a2 := newReplica(100, 0), newReplica(100, 1)
	require.NoError(t, a.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	check(t, a2.apply(c, put("2", "x", 1)), "config-order")

	// A configuration that skips one: hand-built, since State refuses to.
	c = New()
	a = newReplica(100, 0)
	require.NoError(t, a.apply(c, shardkv.Command{Op: shardkv.OpConfig, Config: config(1, all100)}))
	skipped := shardkv.Applied{GID: 100, Index: 2, Cmd: put("2", "x", 1), State: stateAt(t, 3)}
	check(t, c.Applied(skipped), "config-order")

	// And one that goes back.
	c = New()
	require.NoError(t, c.Applied(shardkv.Applied{GID: 100, Index: 7, Cmd: put("2", "x", 1), State: stateAt(t, 3)}))
	check(t, c.Applied(shardkv.Applied{GID: 100, Index: 8, Cmd: put("2", "x", 2), State: stateAt(t, 2)}), "config-order")
}

// stateAt returns group 100's state after configurations 1..num, all its shards.
func stateAt(t *testing.T, num int) *shardkv.State {
	st := shardkv.NewState(100)
	for n := 1; n <= num; n++ {
		st.Apply(shardkv.Command{Op: shardkv.OpConfig, Config: config(n, all100)})
	}
	require.Equal(t, num, st.Config().Num)
	return st
}

func TestDeleted(t *testing.T) {
	// Group 100 serving every shard, relabelled as group 101 through its snapshot: a state
	// that holds keys of shards its configuration gives another group, and not Leaving.
	st := stateAt(t, 1)
	st.Apply(put("2", "x", 1))
	snap := st.Encode()
	gid, n := binary.Varint(snap)
	require.Equal(t, int64(100), gid)
	forged := binary.AppendVarint(nil, 101)
	require.Len(t, forged, n)
	bad, err := shardkv.DecodeState(append(forged, snap[n:]...))
	require.NoError(t, err)
	require.False(t, bad.Owns(0))
	require.Equal(t, 1, bad.Keys(0))
	c := New()
	check(t, c.Applied(shardkv.Applied{GID: 101, Index: 1, Cmd: shardkv.Command{Op: shardkv.OpGCDone, Num: 1}, State: bad}), "deleted")
}
