// Package faultgen is property testing of systems under generated fault
// plans, with rapid (pgregory.net/rapid): generators of faults.Plan for a
// given set of nodes and fault kinds (Plan, Action), and Check, which runs a
// scenario under generated plans inside rapid.Check and, when one fails,
// writes the plan rapid shrank it to as a corpus entry (seeds.Entry) that
// the runner replays.
//
// A plan is data, and the simulator keys its random choices by what they
// decide, so rapid can shrink a failing plan action by action and value by
// value, and every candidate is a deterministic run: the plan rapid ends
// with is a minimal one that still fails, on the same seed.
//
// This package is apart from faults so that the runner (sim/cli), which
// imports faults, does not pull rapid into a user's module.
package faultgen

import (
	"slices"
	"time"

	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Config says what plans to generate.
type Config struct {
	// Names names the target nodes, in the order the scenario's faults.Target
	// lists them: plans then name their nodes, and Install checks the names
	// against the scenario's. Nodes is the number of nodes; with Names it
	// may be left 0.
	Names []string
	Nodes int
	// Kinds are the kinds of action to draw. rapid shrinks a choice towards
	// the first, so list the most benign first: a shrunk plan then keeps only
	// the faults its failure needs. Default: DefaultKinds.
	Kinds []faults.Kind
	// Duration is when faults end: actions fall in [0, Duration), and at
	// Duration the plan heals everything (faults.HealAll). Default 4 s.
	Duration time.Duration
	// MaxActions bounds the drawn actions (the final healing not counted).
	// Default 24.
	MaxActions int
	// Base is the network the final healing restores, and the one network
	// actions vary: the scenario's Shape.Base.
	Base netsim.Conditions
	// Step is the resolution of action times. Default 1 ms.
	Step time.Duration
}

// DefaultKinds are every kind of action, the most benign first.
var DefaultKinds = []faults.Kind{
	faults.Heal, faults.Resume, faults.Restart, faults.Network, faults.Clock, faults.Pause, faults.Disk,
	faults.Crash, faults.OneWay, faults.Isolate, faults.IsolateLdr, faults.Partition,
}

func (c Config) withDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = len(c.Names)
	}
	if len(c.Kinds) == 0 {
		c.Kinds = DefaultKinds
	}
	if c.Duration <= 0 {
		c.Duration = 4 * time.Second
	}
	if c.MaxActions <= 0 {
		c.MaxActions = 24
	}
	if c.Step <= 0 {
		c.Step = time.Millisecond
	}
	return c
}

func (c Config) shape() faults.Shape {
	return faults.Shape{Nodes: c.Nodes, Duration: c.Duration, Base: c.Base}
}

// healing is how many actions faults.HealAll puts at the end of a plan.
var healing = len(faults.HealAll(0, faults.Shape{}))

// Drawn returns the actions of a generated plan without the healing every
// plan ends with: what rapid drew, and shrinks.
func Drawn(p faults.Plan) []faults.Action {
	if len(p.Actions) < healing {
		return nil
	}
	return p.Actions[:len(p.Actions)-healing]
}

// Plan generates plans: up to MaxActions actions in time order, then
// faults.HealAll at Duration. It panics if the config names no nodes.
func Plan(c Config) *rapid.Generator[faults.Plan] {
	c = c.withDefaults()
	if c.Nodes <= 0 || (c.Names != nil && len(c.Names) != c.Nodes) {
		panic("faultgen: Config needs Names or Nodes (and len(Names) == Nodes)")
	}
	action := Action(c)
	return rapid.Custom(func(t *rapid.T) faults.Plan {
		acts := rapid.SliceOfN(action, 0, c.MaxActions).Draw(t, "actions")
		slices.SortStableFunc(acts, func(a, b faults.Action) int { return int(a.At - b.At) })
		acts = append(acts, faults.HealAll(c.Duration, c.shape())...)
		return faults.Plan{Profile: "faultgen", Nodes: c.Nodes, Names: c.Names, Actions: acts, Until: c.Duration}
	})
}

// Action generates one action of the config's kinds at a multiple of Step
// in [0, Duration). Each value shrinks towards the harmless: rates and
// delays towards the base network's, clock skew towards none, partitions
// towards everyone on one side, one-way cuts and single nodes towards node 0.
func Action(c Config) *rapid.Generator[faults.Action] {
	c = c.withDefaults()
	steps := max(int(c.Duration/c.Step), 1)
	node := rapid.IntRange(0, c.Nodes-1)
	return rapid.Custom(func(t *rapid.T) faults.Action {
		a := faults.Action{
			At:   time.Duration(rapid.IntRange(0, steps-1).Draw(t, "at_step")) * c.Step,
			Kind: rapid.SampledFrom(c.Kinds).Draw(t, "kind"),
		}
		switch a.Kind {
		case faults.Crash, faults.Restart, faults.Pause, faults.Resume, faults.Isolate:
			a.Nodes = []int{node.Draw(t, "node")}
		case faults.Partition:
			sides := [2][]int{{}, {}}
			for i := 0; i < c.Nodes; i++ {
				side := rapid.IntRange(0, 1).Draw(t, "side")
				sides[side] = append(sides[side], i)
			}
			a.Groups = [][]int{sides[0], sides[1]}
		case faults.OneWay:
			if c.Nodes < 2 {
				a.Kind = faults.Heal // no link to cut
				break
			}
			a.From = node.Draw(t, "from")
			a.To = rapid.IntRange(0, c.Nodes-2).Draw(t, "to")
			if a.To >= a.From {
				a.To++ // a link to another node
			}
		case faults.Network:
			n := c.Base
			n.DelayMax = n.DelayMin + time.Duration(rapid.IntRange(0, 30).Draw(t, "delay_ms"))*time.Millisecond
			n.DropRequest = float64(rapid.IntRange(0, 30).Draw(t, "drop_req_pct")) / 100
			n.DropReply = float64(rapid.IntRange(0, 30).Draw(t, "drop_rep_pct")) / 100
			n.Duplicate = float64(rapid.IntRange(0, 10).Draw(t, "dup_pct")) / 100
			a.Net = &n
		case faults.Clock:
			a.Nodes = []int{node.Draw(t, "node")}
			a.Offset = time.Duration(rapid.IntRange(-60_000, 60_000).Draw(t, "offset_ms")) * time.Millisecond
			a.Drift = float64(rapid.IntRange(-100, 100).Draw(t, "drift_1e-4")) / 10_000
		case faults.Disk:
			a.Nodes = []int{node.Draw(t, "node")}
			d := sim.DiskFaults{KeepSomeUnsynced: rapid.Bool().Draw(t, "keep_some_unsynced")}
			d.TearLast = rapid.Bool().Draw(t, "tear_last")
			d.Reorder = d.KeepSomeUnsynced && rapid.Bool().Draw(t, "reorder")
			d.Corrupt = rapid.Bool().Draw(t, "corrupt")
			a.Disk = &d
		}
		return a
	})
}
