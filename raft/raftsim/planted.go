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

// clientsKnob is the planted scenarios' workload knob: how many clients propose
// commands (raft/Swarm's three by default). simrun shrink lowers it: a bug that needs no
// client traffic (a forgotten vote) shows in a trace without any.
var clientsKnob = sim.Knob{Name: "clients", Description: "clients proposing commands", Default: 3, Min: 0, Max: 20}

func init() {
	// raft/Swarm's body with the clients knob: with the default it is raft/Swarm's run.
	swarm := def{Name: "raft/Swarm", Faults: "swarm", Run: func(p *sim.Proc, setup Setup) error {
		o := defaultSwarm()
		o.setup = setup
		o.clients = p.World().Knob(clientsKnob)
		runSwarm(p, o)
		return nil
	}}
	for _, b := range plantedBugs {
		s := swarm.scenario(Setup{Broken: b.broken})
		s.Name = "raft/planted/" + b.name
		s.Description = "raft/Swarm with a planted bug (expected to fail): " + b.bug
		s.Planted = b.bug
		s.Knobs = []sim.Knob{clientsKnob}
		sim.Register(s)
	}
}
