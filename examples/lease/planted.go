package lease

import "github.com/lockstep-dst/lockstep/sim"

// Bug is one planted bug: the configuration that plants it, the fault
// profile that finds it, and the seeds within which it does.
type Bug struct {
	Name   string // the Config field that plants it
	What   string // one line
	Config Config
	// Profile finds the bug on some seed in 1..Seeds of any lease scenario
	// run under it (Main(Config)); the correct system passes those runs.
	Profile string
	Seeds   uint64
	// Check is the check that fails first.
	Check string
}

// Planted lists the planted bugs. TestPlantedBugsAreFound holds every row to
// its word, and TestCorrectPassesPlantedSweeps runs the correct system over
// the same profiles and seeds. The seed counts leave room above the first
// failing seed (printed by go test -run Planted -v), so that a change
// elsewhere that reshuffles which seeds fail does not make a row false at
// once; the profiles matrix (go test ./examples/lease -run Matrix
// -lease.matrix) shows how often each profile finds each bug.
var Planted = []Bug{
	{Name: "NoRestartGrace", What: "the lock server grants at once after a restart, while a lease of its previous instance may still run",
		Config: Config{NoRestartGrace: true}, Profile: "crashes:down=10ms..200ms", Seeds: 10, Check: CheckExclusion},
	{Name: "NoCounterSync", What: "the lock server writes its token counter but never syncs it",
		Config: Config{NoCounterSync: true}, Profile: "crashes", Seeds: 10, Check: CheckTokens},
	{Name: "CountFromReply", What: "a client counts its lease from the grant's arrival, not from its request",
		Config: Config{CountFromReply: true}, Profile: "none", Seeds: 5, Check: CheckExclusion},
	{Name: "NoDriftMargin", What: "a client trusts the whole lease, as if its clock ran at the server's rate",
		Config: Config{NoDriftMargin: true}, Profile: "swarm:only=clock", Seeds: 40, Check: CheckExclusion},
	{Name: "AcceptStaleTokens", What: "the storage applies every write, fencing none off",
		Config: Config{AcceptStaleTokens: true}, Profile: "unreliable-plus", Seeds: 20, Check: CheckFencing},
}

// Each planted bug is also a registered scenario, example/planted/Lease<Name>
// under its profile, so that the runners can sweep, replay and shrink it
// (simrun run -scenario 'example/planted/Lease*'). A planted scenario is
// expected to fail, and '*' does not match it (sim.Match): CI's sweep of
// every scenario runs the correct system only.
func init() {
	for _, bug := range Planted {
		sim.Register(sim.Scenario{
			Name:        "example/planted/Lease" + bug.Name,
			Description: "example system: the lease lock with a planted bug (expected to fail) under " + bug.Profile + ": " + bug.What,
			Faults:      bug.Profile,
			Planted:     "lease.Config." + bug.Name + ": " + bug.What,
			Main:        Main(bug.Config),
		})
	}
}
