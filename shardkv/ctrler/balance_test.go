package ctrler

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func shardsOf(gids ...int) [NShards]int {
	var s [NShards]int
	copy(s[:], gids)
	return s
}

func TestRebalanceTable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shards [NShards]int
		gids   []int
		want   [NShards]int
	}{
		{"no groups: every shard to GID 0", shardsOf(1, 1, 2, 2, 3, 3, 1, 1, 2, 2), nil,
			shardsOf(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
		{"first join takes everything", shardsOf(), []int{7},
			shardsOf(7, 7, 7, 7, 7, 7, 7, 7, 7, 7)},
		{"second join takes the highest five", shardsOf(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), []int{1, 2},
			shardsOf(1, 1, 1, 1, 1, 2, 2, 2, 2, 2)},
		{"third join: the extra shard stays with the group that has it", shardsOf(1, 1, 1, 1, 1, 2, 2, 2, 2, 2), []int{1, 2, 3},
			shardsOf(1, 1, 1, 1, 3, 2, 2, 2, 3, 3)},
		{"balanced 4,3,3 by GID 3 first: nothing moves", shardsOf(3, 3, 3, 3, 1, 1, 1, 2, 2, 2), []int{1, 2, 3},
			shardsOf(3, 3, 3, 3, 1, 1, 1, 2, 2, 2)},
		{"leave: the leaver's shards go to the groups below their share", shardsOf(1, 1, 1, 1, 3, 2, 2, 2, 3, 3), []int{1, 2},
			shardsOf(1, 1, 1, 1, 1, 2, 2, 2, 2, 2)},
		{"more groups than shards: holders keep one each", shardsOf(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
			shardsOf(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)},
		{"more groups than shards: a doubled holder gives one to the lowest empty group", shardsOf(1, 1, 3, 4, 5, 6, 7, 8, 9, 10), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
			shardsOf(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)},
		{"after Moves: imbalance between staying groups is repaired", shardsOf(1, 1, 1, 1, 1, 1, 1, 1, 2, 2), []int{1, 2},
			shardsOf(1, 1, 1, 1, 1, 2, 2, 2, 2, 2)},
		{"duplicate GIDs count once", shardsOf(), []int{5, 5, 6},
			shardsOf(5, 5, 5, 5, 5, 6, 6, 6, 6, 6)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Rebalance(tc.shards, tc.gids))
		})
	}
}

// genGIDs draws a set of 0..max GIDs among 1..maxGID, in a random order.
func genGIDs(t *rapid.T, label string, maxGroups, maxGID int) []int {
	return rapid.SliceOfNDistinct(rapid.IntRange(1, maxGID), 0, maxGroups, rapid.ID[int]).Draw(t, label)
}

func genShards(t *rapid.T, label string, maxGID int) [NShards]int {
	var s [NShards]int
	copy(s[:], rapid.SliceOfN(rapid.IntRange(0, maxGID), NShards, NShards).Draw(t, label))
	return s
}

func moved(a, b [NShards]int) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// TestRebalanceBalanced: every shard goes to a group of gids, and counts differ by <= 1.
func TestRebalanceBalanced(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gids := genGIDs(t, "gids", 14, 20)
		out := Rebalance(genShards(t, "shards", 20), gids)
		if len(gids) == 0 {
			require.Equal(t, [NShards]int{}, out)
			return
		}
		count := map[int]int{}
		for _, g := range out {
			require.Contains(t, gids, g)
			count[g]++
		}
		lo, hi := NShards, 0
		for _, g := range gids {
			lo, hi = min(lo, count[g]), max(hi, count[g])
		}
		require.LessOrEqual(t, hi-lo, 1, "%v over %v", out, gids)
	})
}

// TestRebalanceMinimal: the number of shards that change group is the least any balanced
// assignment over gids needs. The bound is computed independently of Rebalance: each group
// can keep up to NShards/n of its shards, and NShards%n groups one more if they have more.
func TestRebalanceMinimal(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gids := genGIDs(t, "gids", 14, 20)
		if len(gids) == 0 {
			t.Skip("no groups")
		}
		shards := genShards(t, "shards", 20)
		count := map[int]int{}
		for _, g := range shards {
			count[g]++
		}
		base, extra := NShards/len(gids), NShards%len(gids)
		keep, above := 0, 0
		for _, g := range gids {
			keep += min(count[g], base)
			if count[g] > base {
				above++
			}
		}
		keep += min(extra, above)
		require.Equal(t, NShards-keep, moved(shards, Rebalance(shards, gids)))
	})
}

// TestRebalanceDeterministic: the result does not depend on the order of gids (nor on
// duplicates in it).
func TestRebalanceDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gids := genGIDs(t, "gids", 14, 20)
		shards := genShards(t, "shards", 20)
		perm := rapid.Permutation(gids).Draw(t, "perm")
		require.Equal(t, Rebalance(shards, gids), Rebalance(shards, append(perm, perm...)))
	})
}

// TestRebalanceJoinLeaveMoveOnlyChangedGroups: from an assignment Rebalance made, a Join
// moves shards only to joining groups, and a Leave only away from leaving groups: shards
// of groups that neither joined nor left never move.
func TestRebalanceJoinLeaveMoveOnlyChangedGroups(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		before := genGIDs(t, "before", 14, 30)
		start := Rebalance(genShards(t, "shards", 30), before)
		var after []int
		var changed []int
		if rapid.Bool().Draw(t, "join") {
			joining := genGIDs(t, "joining", 6, 30)
			after = append(slices.Clone(before), joining...)
			for _, g := range joining {
				if !slices.Contains(before, g) {
					changed = append(changed, g)
				}
			}
		} else {
			for _, g := range before {
				if rapid.Bool().Draw(t, "leaves") {
					changed = append(changed, g)
				} else {
					after = append(after, g)
				}
			}
		}
		out := Rebalance(start, after)
		for s := range out {
			a, b := start[s], out[s]
			if a == b || a == 0 || slices.Contains(changed, a) || slices.Contains(changed, b) {
				continue
			}
			t.Fatalf("shard %d moved %d -> %d, neither joined nor left (%v over %v -> %v over %v)", s, a, b, start, before, out, after)
		}
	})
}
