// Package shardcheck holds the sharded store's own safety checks, as functions of what
// the replicas apply (shardkv.Applied), independent of any harness: a Checker is fed every
// command every replica applies and returns a *Violation naming the check that failed.
//
// The checks:
//   - one-owner: in each configuration, at most one group applies client operations for
//     a shard (no two groups accept writes for the same shard at once);
//   - served-with-data: a group answers a client for a shard only once it has the
//     shard's data (Serving or Arrived), never while it is still Pulling it;
//   - arrives-whole: a shard arrives with exactly the data and duplicate table its previous
//     owner froze when it gave it up, and once per configuration change (at one log index
//     of the receiving group);
//   - config-order: along a group's log, the configuration never goes back and advances
//     one number at a time, and every replica has the same one after each index;
//   - deleted: a group holds no data for a shard it does not own, except while the shard
//     is Leaving (Challenge 1).
package shardcheck

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
)

// Violation is a failed check.
type Violation struct {
	Check string // "one-owner", "served-with-data", "arrives-whole", "config-order", "deleted"
	Err   error
}

func (v *Violation) Error() string { return v.Check + ": " + v.Err.Error() }
func (v *Violation) Unwrap() error { return v.Err }

func violation(check, format string, args ...any) error {
	return &Violation{Check: check, Err: fmt.Errorf(format, args...)}
}

type numShard struct{ num, shard int }

type groupShard struct{ gid, num, shard int }

type frozen struct {
	gid    int
	digest uint64
}

// Checker accumulates what the replicas applied. The zero value is not usable; use New.
//
// owner and numAt are slices indexed by configuration number and log index, both dense
// and counted from 0 or 1: they are looked up for every command every replica applies,
// and a map lookup (with a map per group and its growth) was most of the checker's cost.
type Checker struct {
	owner    [][ctrler.NShards]owner // config -> shard -> the group that served clients
	frozen   map[numShard]frozen     // (config, shard) -> what its previous owner gave up
	inserted map[groupShard]int      // (group, config, shard) -> log index of the insert
	numAt    map[int][]int           // group -> log index -> configuration after it, plus one (0: not seen)
}

type owner struct {
	gid int
	ok  bool
}

// New returns an empty checker.
func New() *Checker {
	return &Checker{frozen: map[numShard]frozen{}, inserted: map[groupShard]int{}, numAt: map[int][]int{}}
}

// Applied checks one applied command.
func (c *Checker) Applied(a shardkv.Applied) error {
	st := a.State
	num := st.ConfigNum()
	if err := c.configOrder(a, num); err != nil {
		return err
	}
	switch a.Cmd.Op {
	case shardkv.OpGet, shardkv.OpPut, shardkv.OpAppend:
		if a.Res.Err != shardkv.OK {
			break
		}
		sh := shardkv.Key2Shard(a.Cmd.Key)
		if s := st.Status(sh); s != shardkv.Serving && s != shardkv.Arrived {
			return violation("served-with-data", "group %d (replica %d) applied %v at index %d for shard %d, which is %v in config %d",
				a.GID, a.Replica, a.Cmd, a.Index, sh, s, num)
		}
		for len(c.owner) <= num {
			c.owner = append(c.owner, [ctrler.NShards]owner{})
		}
		if o := c.owner[num][sh]; o.ok && o.gid != a.GID {
			return violation("one-owner", "groups %d and %d both served shard %d in config %d (group %d: %v at index %d)",
				o.gid, a.GID, sh, num, a.GID, a.Cmd, a.Index)
		}
		c.owner[num][sh] = owner{gid: a.GID, ok: true}
	case shardkv.OpConfig:
		for sh := 0; sh < ctrler.NShards; sh++ {
			if a.Before[sh] == shardkv.Leaving || st.Status(sh) != shardkv.Leaving {
				continue
			}
			k := numShard{num, sh}
			f := frozen{gid: a.GID, digest: st.ShardDigest(sh)}
			if old, ok := c.frozen[k]; ok && old != f {
				return violation("arrives-whole", "shard %d given up in config %d differently by group %d and group %d (replica %d)",
					sh, num, old.gid, a.GID, a.Replica)
			}
			c.frozen[k] = f
		}
	case shardkv.OpInsert:
		for _, d := range a.Cmd.Data {
			if a.Before[d.Shard] != shardkv.Pulling || st.Status(d.Shard) != shardkv.Arrived {
				continue
			}
			k := groupShard{a.GID, a.Cmd.Num, d.Shard}
			if i, ok := c.inserted[k]; ok && i != a.Index {
				return violation("arrives-whole", "group %d inserted shard %d of config %d twice, at indexes %d and %d",
					a.GID, d.Shard, a.Cmd.Num, i, a.Index)
			}
			c.inserted[k] = a.Index
			f, ok := c.frozen[numShard{a.Cmd.Num, d.Shard}]
			if !ok {
				return violation("arrives-whole", "group %d inserted shard %d of config %d, which no group gave up", a.GID, d.Shard, a.Cmd.Num)
			}
			if got := st.ShardDigest(d.Shard); got != f.digest {
				return violation("arrives-whole", "group %d (replica %d) inserted shard %d of config %d with other data than group %d gave up (%v)",
					a.GID, a.Replica, d.Shard, a.Cmd.Num, f.gid, d)
			}
		}
	}
	return c.deleted(a)
}

// configOrder checks the configuration after index against the group's other replicas
// and the index before.
func (c *Checker) configOrder(a shardkv.Applied, num int) error {
	at := c.numAt[a.GID]
	if a.Index+1 >= len(at) {
		for a.Index+1 >= len(at) {
			at = append(at, 0)
		}
		c.numAt[a.GID] = at
	}
	// seen returns the configuration recorded after index i, if any.
	seen := func(i int) (int, bool) {
		if i < 0 || at[i] == 0 {
			return 0, false
		}
		return at[i] - 1, true
	}
	if n, ok := seen(a.Index); ok && n != num {
		return violation("config-order", "group %d: replica %d is at config %d after index %d, another replica at %d",
			a.GID, a.Replica, num, a.Index, n)
	}
	if n, ok := seen(a.Index - 1); ok && num != n && num != n+1 {
		return violation("config-order", "group %d: config %d after index %d, but %d after index %d (replica %d)",
			a.GID, num, a.Index, n, a.Index-1, a.Replica)
	}
	if n, ok := seen(a.Index + 1); ok && n != num && n != num+1 {
		return violation("config-order", "group %d: config %d after index %d, but %d after index %d (replica %d)",
			a.GID, num, a.Index, n, a.Index+1, a.Replica)
	}
	at[a.Index] = num + 1
	return nil
}

// deleted checks that the replica holds nothing of the shards it does not own but is
// still giving up.
func (c *Checker) deleted(a shardkv.Applied) error {
	for sh := 0; sh < ctrler.NShards; sh++ {
		if a.State.Owns(sh) || a.State.Status(sh) == shardkv.Leaving {
			continue
		}
		if n := a.State.Keys(sh); n > 0 {
			return violation("deleted", "group %d (replica %d) holds %d keys of shard %d, which it does not own in config %d (%v)",
				a.GID, a.Replica, n, sh, a.State.ConfigNum(), a.State.Status(sh))
		}
	}
	return nil
}
