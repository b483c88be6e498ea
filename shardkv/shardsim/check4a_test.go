package shardsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
)

func cfg(num int, shards [ctrler.NShards]int, gids ...int) ctrler.Config {
	c := ctrler.Config{Num: num, Shards: shards, Groups: map[int][]string{}}
	for _, g := range gids {
		c.Groups[g] = []string{"s"}
	}
	return c
}

func TestCheckConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cf     ctrler.Config
		groups []int
		err    string // "" for a pass
	}{
		{"config 0", cfg(0, [10]int{}), nil, ""},
		{"balanced", cfg(3, [10]int{1, 1, 1, 1, 2, 2, 2, 3, 3, 3}, 1, 2, 3), []int{3, 2, 1}, ""},
		{"more groups than shards", cfg(3, [10]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, ""},
		{"a group too many", cfg(3, [10]int{1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, 1, 2, 3), []int{1, 2}, "wanted 2 groups, got 3"},
		{"a different group", cfg(3, [10]int{1, 1, 1, 1, 1, 2, 2, 2, 2, 2}, 1, 2), []int{1, 3}, "missing group 3"},
		{"a shard on a group that left", cfg(3, [10]int{1, 1, 1, 1, 1, 2, 2, 2, 2, 9}, 1, 2), []int{1, 2}, "shard 9 -> invalid group 9"},
		{"a shard unassigned", cfg(3, [10]int{1, 1, 1, 1, 1, 2, 2, 2, 2, 0}, 1, 2), []int{1, 2}, "shard 9 -> invalid group 0"},
		{"a group with no shards", cfg(3, [10]int{1, 1, 1, 1, 1, 1, 2, 2, 2, 2}, 1, 2, 3), []int{1, 2, 3}, "max 6 too much larger than min 0"},
		{"unbalanced counts", cfg(3, [10]int{1, 1, 1, 1, 1, 1, 2, 2, 3, 3}, 1, 2, 3), []int{1, 2, 3}, "max 6 too much larger than min 2"},
		{"a group with no shards while another has two", cfg(3, [10]int{1, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "max 2 too much larger than min 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckConfig(tc.cf, tc.groups)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestMinimalTransferChecks(t *testing.T) {
	ten := cfg(20, [10]int{100, 110, 120, 130, 140, 150, 160, 170, 180, 190}, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190)
	joined := []int{11, 12, 13, 14, 15}

	// The original's check looks at GIDs 1..10 only: a swap between two live groups
	// (100 and 110) passes it, which is why it is called vacuous; Unmoved catches it.
	swapped := ten.Clone()
	swapped.Num++
	swapped.Shards[0], swapped.Shards[1] = 110, 100
	require.NoError(t, MinimalAsWritten(10, ten, swapped, true))
	require.NoError(t, MinimalAsWritten(10, ten, swapped, false))
	require.ErrorContains(t, Unmoved(ten, swapped, joined, "Join()s"), "shard 0 moved from group 100 to group 110")

	// The original's check does fire on GIDs 1..10 when they hold shards.
	low := cfg(1, [10]int{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, 1, 2, 3, 4, 5)
	took := low.Clone()
	took.Shards[0] = 2
	require.ErrorContains(t, MinimalAsWritten(10, low, took, true), "non-minimal transfer after Join()s")
	require.ErrorContains(t, MinimalAsWritten(10, low, took, false), "non-minimal transfer after Leave()s")

	// Moves to or from a group that joined or left are allowed; so are moves off GID 0.
	toNew := ten.Clone()
	toNew.Shards[3] = 12
	require.NoError(t, Unmoved(ten, toNew, joined, "Join()s"))
	require.NoError(t, Unmoved(toNew, ten, joined, "Leave()s"))
	require.NoError(t, Unmoved(cfg(0, [10]int{}), ten, nil, "Join()s"))
}
