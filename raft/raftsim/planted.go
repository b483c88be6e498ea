package raftsim

import (
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// Planted bugs: raft/Swarm with a deliberately broken core (raft.Config's Unsafe
// options), registered as raft/planted/<Bug> so that users can grade checkers and tools
// (simrun shrink) against a bug known to be there. They are expected to fail, and '*'
// does not match them (sim.Match): `simrun run -scenario 'raft/planted/*'` runs them.

// plantedBugs are the broken cores, each with what is broken.
var plantedBugs = []struct {
	name, bug string
	broken    func(*raft.Config)
}{
	{"CommitOldTerms", "raft.Config.UnsafeCommitOldTerms: a leader commits an entry of an earlier term by counting replicas " +
		"(Raft §5.4.2 broken), so a later leader can overwrite it",
		func(c *raft.Config) { c.UnsafeCommitOldTerms = true }},
	{"ForgetVote", "raft.Config.UnsafeForgetVote: the vote is never persisted (Raft §5.1 durability broken), " +
		"so a peer restarted in a term can vote again in it",
		func(c *raft.Config) { c.UnsafeForgetVote = true }},
}

func init() {
	// raft/Swarm's def is looked up when a run starts, not here: this file's init may run
	// before the one that registers it.
	swarm := def{Name: "raft/Swarm", Faults: "swarm", Run: func(p *sim.Proc, setup Setup) error {
		return defs["raft/Swarm"].Run(p, setup)
	}}
	for _, b := range plantedBugs {
		s := swarm.scenario(Setup{Broken: b.broken})
		s.Name = "raft/planted/" + b.name
		s.Description = "raft/Swarm with a planted bug (expected to fail): " + b.bug
		s.Planted = b.bug
		sim.Register(s)
	}
}
