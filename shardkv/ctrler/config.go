// Package ctrler is the shard controller of the sharded key/value store (the 2020 6.824
// handout's "shardmaster", Lab 4A): a replicated configuration service on Raft whose
// configurations say which replica group serves which of the NShards shards. Join adds
// groups, Leave removes them, Move assigns one shard by hand, and Query reads a
// configuration by number. Each Join or Leave rebalances the shards over the groups
// evenly while moving as few as possible (Rebalance), deterministically: the result is a
// function of the previous assignment and the set of groups, never of map order.
//
// The service's state (State) is every configuration so far and the duplicate table; it
// is replicated through the Raft log by package rsm and travels whole in snapshots. The
// package registers no scenarios: they and their harness live in shardkv/shardsim.
package ctrler

import (
	"fmt"
	"slices"
	"strings"
)

// NShards is the number of shards (6.824's shardmaster.NShards).
const NShards = 10

// Config is one configuration: which group serves each shard, and each group's servers.
// Config 0 is the initial one: no groups, every shard assigned to GID 0 (no group).
// Every Join, Leave and Move makes the next one.
type Config struct {
	Num    int
	Shards [NShards]int     // shard -> GID; 0 means unassigned
	Groups map[int][]string // GID -> server names, in the order they joined with
}

// Clone returns a deep copy: configurations cross node boundaries in replies, and a
// caller that edits its copy must not change a server's history.
//
// The groups' server lists share one array, cut with capped slices so that an append to
// one list reallocates it rather than overwrite the next: a configuration is copied for
// every Query reply (groups poll every 100 ms), and one allocation per group was most of
// the copy's cost.
func (c Config) Clone() Config {
	d := Config{Num: c.Num, Shards: c.Shards, Groups: make(map[int][]string, len(c.Groups))}
	n := 0
	for _, servers := range c.Groups {
		n += len(servers)
	}
	all := make([]string, 0, n)
	// Map order decides only where each list sits in the shared array, which no reader
	// can see: every list is a capped slice holding its own names, in their order.
	for gid, servers := range c.Groups { //lockstep:allow order only places lists in one array (see above)
		if servers == nil {
			d.Groups[gid] = nil
			continue
		}
		i := len(all)
		all = append(all, servers...)
		d.Groups[gid] = all[i:len(all):len(all)]
	}
	return d
}

// GIDs returns the configuration's groups in ascending order.
func (c Config) GIDs() []int {
	gids := make([]int, 0, len(c.Groups))
	for gid := range c.Groups {
		gids = append(gids, gid)
	}
	slices.Sort(gids)
	return gids
}

// Equal reports whether c and d are the same configuration: number, shards, groups and
// each group's servers in order (the original's check_same_config).
func (c Config) Equal(d Config) bool {
	if c.Num != d.Num || c.Shards != d.Shards || len(c.Groups) != len(d.Groups) {
		return false
	}
	for gid, servers := range c.Groups {
		other, ok := d.Groups[gid]
		if !ok || !slices.Equal(servers, other) {
			return false
		}
	}
	return true
}

// Counts returns how many shards each group of the configuration serves (0 for a group
// with none).
func (c Config) Counts() map[int]int {
	counts := make(map[int]int, len(c.Groups))
	for gid := range c.Groups {
		counts[gid] = 0
	}
	for _, gid := range c.Shards {
		if _, ok := c.Groups[gid]; ok {
			counts[gid]++
		}
	}
	return counts
}

func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config %d: shards %v groups {", c.Num, c.Shards)
	for i, gid := range c.GIDs() {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d:%v", gid, c.Groups[gid])
	}
	b.WriteString("}")
	return b.String()
}
