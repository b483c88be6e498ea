package shardsim

import (
	"maps"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// Coverage probes: the situations the sharded store's hard cases need, counted per run
// from every command every replica applies (simrun prints how often each was reached).
var (
	ProbeServedDuringMigration = sim.NewProbe("shardkv/served-during-migration",
		"a group answered a client for one shard while another of its shards was still on its way (Challenge 2)")
	ProbeRetryAfterMigration = sim.NewProbe("shardkv/retry-after-migration",
		"a group recognised a retried Put or Append as applied by the shard's previous owner (duplicate table moved with the shard)")
	ProbeCatchUp = sim.NewProbe("shardkv/catch-up-through-configs",
		"a replica applied a configuration change more than 1 s of virtual time after its group first did (a restarted or cut-off server catching up)")
)

// probes counts what one applied command reached. arrived holds, per group and shard, the
// duplicate table the shard arrived with; firstConfig when each group first applied each
// configuration.
type probes struct {
	w           *sim.World
	arrived     map[[2]int]map[int64]int64
	firstConfig map[[2]int]int64
}

func newProbes(w *sim.World) *probes {
	return &probes{w: w, arrived: map[[2]int]map[int64]int64{}, firstConfig: map[[2]int]int64{}}
}

func (pr *probes) applied(a shardkv.Applied) {
	switch a.Cmd.Op {
	case shardkv.OpGet, shardkv.OpPut, shardkv.OpAppend:
		if a.Res.Err != shardkv.OK {
			return
		}
		pulling := false
		for sh := range a.Before {
			pulling = pulling || a.State.Status(sh) == shardkv.Pulling
		}
		pr.w.Sometimes(ProbeServedDuringMigration, pulling)
		if a.Res.Duplicate {
			sess := pr.arrived[[2]int{a.GID, shardkv.Key2Shard(a.Cmd.Key)}]
			pr.w.Sometimes(ProbeRetryAfterMigration, sess != nil && sess[a.Cmd.Client] >= a.Cmd.Seq)
		}
	case shardkv.OpInsert:
		for _, d := range a.Cmd.Data {
			if a.Before[d.Shard] == shardkv.Pulling {
				// A copy: the state keeps the command's map as the shard's table, and
				// updates it as it applies the shard's next writes.
				pr.arrived[[2]int{a.GID, d.Shard}] = maps.Clone(d.Sessions)
			}
		}
	case shardkv.OpConfig:
		k := [2]int{a.GID, a.Cmd.Config.Num}
		now := int64(pr.w.Now())
		if first, ok := pr.firstConfig[k]; !ok {
			pr.firstConfig[k] = now
		} else {
			pr.w.Sometimes(ProbeCatchUp, now-first > int64(1e9))
		}
	}
}
