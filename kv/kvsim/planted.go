package kvsim

import "github.com/lockstep-dst/lockstep/sim"

// Planted bugs: kv/Swarm with deliberately broken servers (Config's Unsafe options),
// registered as kv/planted/<Bug> so that users can grade checkers and tools (simrun
// shrink) against a bug known to be there. They are expected to fail, and '*' does not
// match them (sim.Match): `simrun run -scenario 'kv/planted/*'` runs them.

// plantedBugs are the broken servers, each with what is broken.
var plantedBugs = []struct {
	name, bug string
	cfg       Config
}{
	{"LocalGets", "kv.ServerConfig.UnsafeLocalGets: a server that believes it leads answers Get from its own state " +
		"without going through the log, so a deposed or lagging leader serves stale reads",
		Config{UnsafeLocalGets: true}},
	{"VolatileDedup", "kv.ServerConfig.UnsafeVolatileDedup: the duplicate table lives outside the replicated state, " +
		"so a restart or a snapshot install forgets it and a retried Append is applied twice",
		Config{UnsafeVolatileDedup: true}},
}

func init() {
	for _, b := range plantedBugs {
		sc, ok := Scenario("kv/Swarm", b.cfg)
		if !ok {
			panic("kvsim: no kv/Swarm to plant a bug in")
		}
		s := *sc
		s.Name = "kv/planted/" + b.name
		s.Description = "kv/Swarm with a planted bug (expected to fail): " + b.bug
		s.Planted = b.bug
		sim.Register(s)
	}
}
