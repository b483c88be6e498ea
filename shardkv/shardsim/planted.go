package shardsim

import (
	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// Planted bugs: shardkv/Swarm with deliberately broken group servers (ServerConfig's
// Unsafe options, the ones broken_test.go runs), registered as shardkv/planted/<Bug> so
// that users can grade checkers and tools (simrun shrink) against a bug known to be there.
// They are expected to fail, and '*' does not match them (sim.Match):
// `simrun run -scenario 'shardkv/planted/*'` runs them.

// plantedBugs are the broken servers, each with what is broken.
var plantedBugs = []struct {
	name, bug string
	broken    func(*shardkv.ServerConfig)
}{
	{"ServeWhilePulling", "shardkv.ServerConfig.UnsafeServeWhilePulling: a shard a group gains answers clients at once, " +
		"from an empty map, before its data arrived from its previous owner",
		func(c *shardkv.ServerConfig) { c.UnsafeServeWhilePulling = true }},
	{"DropSessions", "shardkv.ServerConfig.UnsafeDropSessions: a shard moves without its duplicate table, " +
		"so its new owner applies again a retried Append the old owner applied",
		func(c *shardkv.ServerConfig) { c.UnsafeDropSessions = true }},
}

func registerPlanted() {
	swarm, ok := sim.Lookup("shardkv/Swarm")
	if !ok {
		panic("shardsim: no shardkv/Swarm to plant a bug in")
	}
	for _, b := range plantedBugs {
		s := *swarm
		broken := b.broken
		s.Name = "shardkv/planted/" + b.name
		s.Description = "shardkv/Swarm with a planted bug (expected to fail): " + b.bug
		s.Planted = b.bug
		s.Main = func(p *sim.Proc) error { return Swarm(p, Setup{Server: broken}) }
		sim.Register(s)
	}
}
