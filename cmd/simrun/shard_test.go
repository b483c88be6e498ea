package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The shards of a sweep (passing and failing runs alike), for several N, are the sweep: every run of the
// unsharded sweep is in exactly one shard, with the same trace hash, and no
// shard runs anything else. (TestGitHubActionsWorkflow and
// TestKubernetesIndexedJob check the same through the CI files' commands
// and merge, for 4 and 8 shards.)
func TestShardUnionIsTheSweep(t *testing.T) {
	for _, sweep := range [][]string{
		{"-scenario", "example/*", "-seeds", "1-12"},
		{"-scenario", "raft/*2A", "-seeds", "5-7"},
	} {
		code, out, _ := simrun(append([]string{"run", "-json"}, sweep...)...)
		require.Contains(t, []int{0, 1}, code, out) // example/RegisterBrokenSync fails some seeds
		whole, _ := runKeys(t, out)
		require.NotEmpty(t, whole)
		for _, n := range []int{2, 3, 5} {
			seen := map[string]int{}
			var union []string
			for i := 0; i < n; i++ {
				code, out, _ := simrun(append([]string{"run", "-json", "-shard", fmt.Sprintf("%d/%d", i, n)}, sweep...)...)
				require.Contains(t, []int{0, 1}, code, out)
				runs, summary := runKeys(t, out)
				require.EqualValues(t, len(runs), summary["runs"])
				for _, r := range runs {
					seen[r]++
					require.Equal(t, 1, seen[r], "%v, %d shards: %s in two shards", sweep, n, r)
				}
				union = append(union, runs...)
				// Shards are within one run of each other in size.
				require.InDelta(t, float64(len(whole))/float64(n), float64(len(runs)), 1, "%v shard %d/%d", sweep, i, n)
			}
			require.ElementsMatch(t, whole, union, "%v, %d shards", sweep, n)
		}
	}
}

// The partition docs/sweeps.md describes, pinned: run k of the sweep
// (scenarios by name, seeds ascending) belongs to shard k mod N. A change
// here moves runs between the shards of sweeps already split over
// machines, so it must be deliberate.
func TestShardPartitionIsTheDocumented(t *testing.T) {
	want := map[string][]string{
		"0/2": {"raft/InitialElection2A seed 1", "raft/InitialElection2A seed 3", "raft/ReElection2A seed 2"},
		"1/2": {"raft/InitialElection2A seed 2", "raft/ReElection2A seed 1", "raft/ReElection2A seed 3"},
	}
	for shard, runs := range want {
		code, out, _ := simrun("run", "-v", "-scenario", "raft/*2A", "-seeds", "1-3", "-shard", shard)
		require.Equal(t, 0, code, out)
		var got []string
		for _, line := range strings.Split(out, "\n") {
			if rest, ok := strings.CutPrefix(line, "ok   "); ok {
				got = append(got, rest[:strings.Index(rest, ":")])
			}
		}
		require.Equal(t, runs, got, "shard %s", shard)
	}
}
