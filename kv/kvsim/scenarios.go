package kvsim

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Config is what a kv scenario runs with besides its seed and fault plan. The registered
// scenarios run with the zero Config; tests build a scenario with another one (Scenario),
// so that a broken server or a tighter bound never leaks into another run through a
// package variable.
type Config struct {
	// UnsafeLocalGets and UnsafeVolatileDedup deliberately break every server (see the
	// kv.ServerConfig fields of the same names): tests show that the checks catch them.
	UnsafeLocalGets     bool
	UnsafeVolatileDedup bool
	// Bounds limit the linearizability check; zero fields take the defaults.
	Bounds Bounds
	// OnCluster, if set, sees every cluster the scenario builds, once it runs (tests and
	// benchmarks read its history and Raft checker).
	OnCluster func(*Cluster)
}

// scenarioMaxTime backs up the scenarios' own kv/liveness checks (TestTimeout).
const scenarioMaxTime = TestTimeout + 30*time.Second

// def is a scenario before it is given its Config.
type def struct {
	sim.Scenario // without Main
	main         func(p *sim.Proc, cfg Config) error
}

func defs() []def {
	var all []def
	add := func(d def) { all = append(all, d) }
	register3A(add)
	register3B(add)
	registerSwarm(add)
	return all
}

// Scenarios returns every kv scenario, running with cfg.
func Scenarios(cfg Config) []sim.Scenario {
	var out []sim.Scenario
	for _, d := range defs() {
		sc, main := d.Scenario, d.main
		sc.Main = func(p *sim.Proc) error { return main(p, cfg) }
		out = append(out, sc)
	}
	return out
}

// Scenario returns the kv scenario named name, running with cfg.
func Scenario(name string, cfg Config) (*sim.Scenario, bool) {
	for _, sc := range Scenarios(cfg) {
		if sc.Name == name {
			return &sc, true
		}
	}
	return nil, false
}

func init() {
	for _, sc := range Scenarios(Config{}) {
		sim.Register(sc)
	}
}
