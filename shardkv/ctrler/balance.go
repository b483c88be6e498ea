package ctrler

import (
	"cmp"
	"slices"
)

// Rebalance assigns the shards over gids, starting from the assignment shards, so that
//   - every shard goes to one of gids (to GID 0 when gids is empty);
//   - the groups' shard counts differ by at most one;
//   - as few shards as possible change group: a shard stays where it is unless its group
//     is not in gids or holds more than its share, and it moves only to a group below its
//     share. From a balanced assignment, then, a Join moves shards only to the joining
//     groups and a Leave only from the leaving ones: never between two groups that stay;
//   - the result depends only on shards and the set gids, not on the order of gids.
//
// With n groups each gets NShards/n shards and NShards%n of them one more. Which ones get
// the extra shard decides how many must move: the groups that already hold the most (ties
// to the lower GID) get it. Counterexample for "the lowest GIDs get it": groups 1, 2, 3
// holding 3, 3 and 4 shards are balanced already, yet targets 4, 3, 3 by GID would move
// one shard from group 3 to group 1. Giving the extra slots by count keeps as many shards
// as any balanced assignment can: Σ min(count, NShards/n), plus one for each extra slot
// that goes to a group holding more than NShards/n (TestRebalanceMinimal checks the bound).
//
// Freed shards are reassigned in ascending shard order to the groups below their target
// in ascending GID order; a group above its target gives up its highest-numbered shards.
func Rebalance(shards [NShards]int, gids []int) [NShards]int {
	if len(gids) == 0 {
		return [NShards]int{}
	}
	gids = slices.Clone(gids)
	slices.Sort(gids)
	gids = slices.Compact(gids)
	count := make(map[int]int, len(gids))
	for _, g := range gids {
		count[g] = 0
	}
	var free []int // shards to reassign, in ascending order once sorted
	for s, g := range shards {
		if _, ok := count[g]; ok {
			count[g]++
		} else {
			free = append(free, s)
		}
	}
	// Targets: the extra shards go to the groups that hold the most, ties to the lower GID.
	order := slices.Clone(gids)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(count[b], count[a]) })
	base, extra := NShards/len(gids), NShards%len(gids)
	target := make(map[int]int, len(gids))
	for i, g := range order {
		target[g] = base
		if i < extra {
			target[g]++
		}
	}
	out := shards
	for _, g := range gids {
		for s := NShards - 1; s >= 0 && count[g] > target[g]; s-- {
			if out[s] == g {
				free = append(free, s)
				count[g]--
			}
		}
	}
	slices.Sort(free)
	for _, g := range gids {
		for count[g] < target[g] {
			out[free[0]] = g
			free = free[1:]
			count[g]++
		}
	}
	if len(free) != 0 {
		panic("ctrler: rebalance left shards unassigned")
	}
	return out
}
