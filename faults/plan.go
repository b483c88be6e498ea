// Package faults makes fault plans: timed lists of fault actions that are
// data, so a plan can be printed, saved, edited, shrunk and replayed against
// the same seed. Named profiles turn a seed into a plan.
package faults

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Kind names a fault action.
type Kind string

const (
	Partition  Kind = "partition" // Groups: links inside a group up, across down
	OneWay     Kind = "one-way"   // From -> To cut, the other direction untouched
	Isolate    Kind = "isolate"   // Nodes[0] cut off from everyone
	IsolateLdr Kind = "isolate-leader"
	Heal       Kind = "heal" // every link up
	Crash      Kind = "crash"
	Restart    Kind = "restart"
	Pause      Kind = "pause"
	Resume     Kind = "resume"
	Network    Kind = "network" // Net replaces the loss/latency/duplication rates
	Clock      Kind = "clock"   // Nodes get Offset and Drift
	Disk       Kind = "disk"    // Nodes' storage fault model becomes Disk
)

var kinds = []Kind{Partition, OneWay, Isolate, IsolateLdr, Heal, Crash, Restart, Pause, Resume, Network, Clock, Disk}

// Action is one fault at one virtual time. Node numbers index the plan's
// target nodes (0..n-1), not world node IDs, so a plan fits any cluster of
// the same size.
type Action struct {
	At     time.Duration      `json:"at"`
	Kind   Kind               `json:"kind"`
	Nodes  []int              `json:"nodes,omitempty"`
	Groups [][]int            `json:"groups,omitempty"`
	From   int                `json:"from,omitempty"`
	To     int                `json:"to,omitempty"`
	Net    *netsim.Conditions `json:"net,omitempty"`
	Offset time.Duration      `json:"offset,omitempty"`
	Drift  float64            `json:"drift,omitempty"`
	Disk   *sim.DiskFaults    `json:"disk,omitempty"`
}

func (a Action) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%9v %s", a.At, a.Kind)
	switch a.Kind {
	case Partition:
		fmt.Fprintf(&b, " %v", a.Groups)
	case OneWay:
		fmt.Fprintf(&b, " %d->%d", a.From, a.To)
	case Network:
		c := a.Net
		fmt.Fprintf(&b, " delay=%v..%v drop=%.2f/%.2f dup=%.2f longreorder=%v faildelay=%v",
			c.DelayMin, c.DelayMax, c.DropRequest, c.DropReply, c.Duplicate, c.LongReordering, c.FailDelay)
	case Clock:
		fmt.Fprintf(&b, " %v offset=%v drift=%v", a.Nodes, a.Offset, a.Drift)
	case Disk:
		fmt.Fprintf(&b, " %v keep-some-unsynced=%v tear-last=%v", a.Nodes, a.Disk.KeepSomeUnsynced, a.Disk.TearLast)
	default:
		if len(a.Nodes) > 0 {
			fmt.Fprintf(&b, " %v", a.Nodes)
		}
	}
	return b.String()
}

// Plan is a complete fault schedule for one run.
type Plan struct {
	Profile string   `json:"profile"`
	Nodes   int      `json:"nodes"` // how many target nodes the plan is for
	Actions []Action `json:"actions"`
	// Until is when faults stop: by then the plan has healed the network,
	// restored reliable conditions, and restarted and resumed every node, so
	// liveness checks can start.
	Until time.Duration `json:"until"`
}

// String prints the plan one action per line.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fault plan %q for %d nodes, faults until %v:\n", p.Profile, p.Nodes, p.Until)
	for _, a := range p.Actions {
		b.WriteString("  " + a.String() + "\n")
	}
	return b.String()
}

// JSON encodes the plan.
func (p Plan) JSON() []byte {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic(err) // a Plan has no unencodable fields
	}
	return b
}

// ParsePlan decodes and validates a JSON plan.
func ParsePlan(data []byte) (Plan, error) {
	var p Plan
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Plan{}, fmt.Errorf("fault plan: %w", err)
	}
	if err := p.Validate(); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// Validate checks that every action is well formed for the plan's nodes.
func (p Plan) Validate() error {
	var i int // the action being checked
	node := func(n int, a Action) error {
		if n < 0 || n >= p.Nodes {
			return fmt.Errorf("fault plan: action %d (%s) names node %d, plan has %d nodes", i, a.Kind, n, p.Nodes)
		}
		return nil
	}
	var last time.Duration
	for idx, a := range p.Actions {
		i = idx
		known := false
		for _, k := range kinds {
			known = known || a.Kind == k
		}
		if !known {
			return fmt.Errorf("fault plan: action %d has unknown kind %q", i, a.Kind)
		}
		if a.At < last {
			return fmt.Errorf("fault plan: action %d at %v is before the previous one at %v", i, a.At, last)
		}
		last = a.At
		for _, n := range a.Nodes {
			if err := node(n, a); err != nil {
				return err
			}
		}
		for _, g := range a.Groups {
			for _, n := range g {
				if err := node(n, a); err != nil {
					return err
				}
			}
		}
		if a.Kind == OneWay {
			if err := node(a.From, a); err != nil {
				return err
			}
			if err := node(a.To, a); err != nil {
				return err
			}
		}
		if a.Kind == Network && a.Net == nil {
			return fmt.Errorf("fault plan: action %d (network) has no net conditions", i)
		}
		if a.Kind == Disk && a.Disk == nil {
			return fmt.Errorf("fault plan: action %d (disk) has no disk faults", i)
		}
		if (a.Kind == Crash || a.Kind == Restart || a.Kind == Pause || a.Kind == Resume ||
			a.Kind == Isolate || a.Kind == Clock || a.Kind == Disk) && len(a.Nodes) == 0 {
			return fmt.Errorf("fault plan: action %d (%s) names no nodes", i, a.Kind)
		}
	}
	return nil
}
