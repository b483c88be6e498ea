package shardsim

import (
	"fmt"
	"slices"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
)

// The checks of the 4A scenarios, by name:
const (
	// CheckCtrler is the original's check(): Query(-1) has exactly the expected groups,
	// every shard is on one of them, and max - min shards per group <= 1.
	CheckCtrler = "shardkv/ctrler-check"
	// CheckServers: a group's server list is kept, in order.
	CheckServers = "shardkv/ctrler-servers"
	// CheckHistory is check_same_config: a historical Query returns the configuration
	// as it was first read.
	CheckHistory = "shardkv/ctrler-history"
	// CheckMove: a Move that changes a shard's owner makes a new configuration, and the
	// Moves' final mapping is exact.
	CheckMove = "shardkv/ctrler-move"
	// CheckMinimal is the original's "minimal transfers" check, kept as written: it looks
	// at GIDs 1..10, which do not exist at that point, so it cannot fail.
	CheckMinimal = "shardkv/ctrler-minimal"
	// CheckUnmoved is the minimal-transfer check the original meant: across Joins, a shard
	// that ends on a group that was there before was on that group before; across Leaves,
	// a shard on a group that stays does not move.
	CheckUnmoved = "shardkv/ctrler-unmoved"
	// CheckLiveness: the steps did not finish within the original's 120 s test limit.
	CheckLiveness = "shardkv/liveness"
)

// Check is the original's check(t, groups, ck): Query(-1), then CheckConfig.
func (c *Ctrlers) Check(ck *ctrler.Clerk, groups []int) {
	if err := CheckConfig(c.Query(ck, -1), groups); err != nil {
		c.Fatalf(CheckCtrler, "%v", err)
	}
}

// CheckConfig is the body of the original's check(): cf has exactly the groups groups;
// if there are any, every shard is on one of them; and the groups' shard counts differ by
// at most one.
func CheckConfig(cf ctrler.Config, groups []int) error {
	if len(cf.Groups) != len(groups) {
		return fmt.Errorf("wanted %v groups, got %v (%v)", len(groups), len(cf.Groups), cf)
	}
	for _, g := range groups {
		if _, ok := cf.Groups[g]; !ok {
			return fmt.Errorf("missing group %v (%v)", g, cf)
		}
	}
	if len(groups) > 0 {
		for s, g := range cf.Shards {
			if _, ok := cf.Groups[g]; !ok {
				return fmt.Errorf("shard %v -> invalid group %v (%v)", s, g, cf)
			}
		}
	}
	counts := cf.Counts()
	lo, hi := 257, 0
	for _, g := range cf.GIDs() {
		lo, hi = min(lo, counts[g]), max(hi, counts[g])
	}
	if hi > lo+1 {
		return fmt.Errorf("max %v too much larger than min %v (%v)", hi, lo, cf)
	}
	return nil
}

// CheckSameConfig is check_same_config(t, c1, c2).
func (c *Ctrlers) CheckSameConfig(got, want ctrler.Config) {
	if !got.Equal(want) {
		c.Fatalf(CheckHistory, "historical query: got %v, first read %v", got, want)
	}
}

// CheckServersOf fails unless cf lists servers for gid, in that order (the original's
// "wrong servers for gid" check).
func (c *Ctrlers) CheckServersOf(cf ctrler.Config, gid int, servers ...string) {
	if !slices.Equal(cf.Groups[gid], servers) {
		c.Fatalf(CheckServers, "wrong servers for gid %v: %v", gid, cf.Groups[gid])
	}
}

// MinimalAsWritten is the original's minimal-transfer loop over GIDs 1..npara: after the
// Joins (before = c1, after = c2) a shard on group i must have been on it before; after
// the Leaves (before = c2, after = c3) a shard of group i must stay on it.
func MinimalAsWritten(npara int, before, after ctrler.Config, joins bool) error {
	for i := 1; i <= npara; i++ {
		for j := range before.Shards {
			if joins && after.Shards[j] == i && before.Shards[j] != i {
				return fmt.Errorf("non-minimal transfer after Join()s")
			}
			if !joins && before.Shards[j] == i && after.Shards[j] != i {
				return fmt.Errorf("non-minimal transfer after Leave()s")
			}
		}
	}
	return nil
}

// Unmoved is the real minimal-transfer check: changed are the groups that joined or left
// between before and after, and no shard may move between two groups outside changed
// (an unassigned shard, on GID 0, may go anywhere).
func Unmoved(before, after ctrler.Config, changed []int, what string) error {
	for s := range before.Shards {
		b, a := before.Shards[s], after.Shards[s]
		if b == a || b == 0 || slices.Contains(changed, b) || slices.Contains(changed, a) {
			continue
		}
		return fmt.Errorf("non-minimal transfer after %s: shard %d moved from group %d to group %d, neither of which joined or left (%v -> %v)",
			what, s, b, a, before, after)
	}
	return nil
}

// checkMinimal runs both minimal-transfer checks, each under its own name.
func (c *Ctrlers) checkMinimal(npara int, before, after ctrler.Config, changed []int, joins bool) {
	if err := MinimalAsWritten(npara, before, after, joins); err != nil {
		c.Fatalf(CheckMinimal, "%v", err)
	}
	what := "Leave()s"
	if joins {
		what = "Join()s"
	}
	if err := Unmoved(before, after, changed, what); err != nil {
		c.Fatalf(CheckUnmoved, "%v", err)
	}
}
