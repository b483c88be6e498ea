package register

import "github.com/lockstep-dst/lockstep/sim"

// example/planted/AckBeforeSync is the register under the swarm profile with a planted
// bug, for grading checkers and tools (simrun shrink) against a bug known to be there: it
// is expected to fail, and '*' does not match it (sim.Match).
func init() {
	const bug = "register.Config.SkipSync: replicas acknowledge a write before its sync completes, " +
		"so a crash between the acknowledgement and the end of the sync loses an acknowledged write"
	sim.Register(sim.Scenario{
		Name:        "example/planted/AckBeforeSync",
		Description: "example system: the register under the swarm fault profile with a planted bug (expected to fail): " + bug,
		Faults:      "swarm",
		Planted:     bug,
		Main:        Main(Config{SkipSync: true}),
	})
}
