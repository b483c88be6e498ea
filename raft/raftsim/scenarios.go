package raftsim

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// Setup is what one run of a Raft scenario is configured with beyond its seed and
// options. It travels with the scenario value (see scenarioWith), never in package state,
// so that tests building variants cannot leak one run's settings into another, also under
// t.Parallel or simrun -parallel.
type Setup struct {
	// Broken, if set, adjusts every peer's core configuration before it boots: the
	// deliberately unsafe variants (raft.Config's Unsafe options) with which tests show
	// that the scenarios' checks can fail. The registered scenarios run with it nil.
	Broken func(*raft.Config)
}

// def is a Raft scenario: sim.Scenario's fields with a Run that takes the Setup.
type def struct {
	Name        string
	Description string
	Faults      string
	Run         func(p *sim.Proc, setup Setup) error
}

// defs holds every registered Raft scenario by name. It is written only by the init
// functions, like sim's registry, and read-only afterwards.
var defs = map[string]def{}

// register registers d with the zero Setup.
func register(d def) {
	if _, dup := defs[d.Name]; dup {
		panic(fmt.Sprintf("raftsim: scenario %q registered twice", d.Name))
	}
	defs[d.Name] = d
	sim.Register(d.scenario(Setup{}))
}

// scenario returns d as a sim.Scenario that runs with setup.
func (d def) scenario(setup Setup) sim.Scenario {
	run := d.Run
	return sim.Scenario{Name: d.Name, Description: d.Description, Faults: d.Faults,
		Main: func(p *sim.Proc) error { return run(p, setup) }}
}

// scenarioWith returns the registered Raft scenario name running with setup (tests).
func scenarioWith(name string, setup Setup) (sim.Scenario, bool) {
	d, ok := defs[name]
	if !ok {
		return sim.Scenario{}, false
	}
	return d.scenario(setup), true
}
