package faults

import (
	"fmt"
	"strings"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Target is what a plan acts on: a world, its network and the nodes the plan
// numbers 0..n-1.
type Target struct {
	World *sim.World
	Net   *netsim.Network
	Nodes []*sim.Node
	// Leader returns the index of the current leader, or -1, for
	// isolate-leader actions; nil if the system has no leader.
	Leader func() int
	// Spare lists target nodes that crash and restart actions leave alone
	// (a coordinator whose state is only in memory). Install drops those
	// actions from the plan it returns, so the printed plan is the applied one.
	Spare []int
}

// FromOptions makes the plan the run's options ask for: a profile name, or a
// JSON plan (a string starting with '{'). The empty string is no faults. A
// profile draws from the stream "faults/<profile>" of the run's seed. An
// unknown profile, an invalid plan or a plan for another number of nodes is
// an error matching sim.ErrBadInput.
func FromOptions(w *sim.World, s Shape) (Plan, error) {
	spec := strings.TrimSpace(w.Options().Faults)
	switch {
	case spec == "":
		return Plan{Profile: "none", Nodes: s.Nodes}, nil
	case strings.HasPrefix(spec, "{"):
		p, err := ParsePlan([]byte(spec))
		if err != nil {
			return Plan{}, err
		}
		if p.Nodes != s.Nodes {
			return Plan{}, badPlan("nodes is %d, the scenario has %d", p.Nodes, s.Nodes)
		}
		return p, nil
	default:
		// The stream is keyed by the profile's name alone: parameters
		// change what is drawn, not the seed's stream, so
		// crashes:maxdown=majority makes the plan crashes makes.
		sp, err := ParseSpec(spec)
		if err != nil {
			return Plan{}, err
		}
		return sp.Generate(w.Rand("faults/"+sp.Profile.Name), s)
	}
}

// CheckSpec reports whether spec names a profile or holds a valid JSON plan,
// so that a command line can reject a bad -faults before running anything.
// The empty string (no faults) is valid here; a plan read from a file should
// go through ParsePlan, for which empty input is an error.
func CheckSpec(spec string) error {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil
	}
	if strings.HasPrefix(spec, "{") {
		_, err := ParsePlan([]byte(spec))
		return err
	}
	_, err := ParseSpec(spec)
	return err
}

func unknownProfile(name string) error {
	return &PlanError{msg: fmt.Sprintf("unknown fault profile %q (known: %s)", name, Names())}
}

// Install schedules every action of p on t, as world events labelled with
// the fault kind, so faults appear in the trace and its hash. A plan's times
// count from the moment it is installed, so a scenario can install one after
// its setup without shifting it. A restart action restarts only nodes this
// plan crashed: a node the scenario stopped on purpose stays down.
//
// A plan that does not fit t (made for another number of nodes, or naming a
// node t does not have) or is otherwise invalid is an error matching
// sim.ErrBadInput, naming the action and the field, and nothing is
// installed.
func Install(t Target, p Plan) error {
	_, err := InstallPlan(t, p)
	return err
}

// MarkPlan is the kind of the trace mark Install logs (while tracing) with
// the plan it installs: the mark's Text is the plan in its readable JSON form,
// node names filled in, which ParsePlan reads back. `simrun plan` prints it;
// PlanFromRecord decodes it.
const MarkPlan sim.MarkKind = "plan"

// PlanFromRecord returns the plan a trace record carries, if it is the mark
// Install logs (kind MarkPlan).
func PlanFromRecord(r sim.Record) (Plan, bool) {
	if r.Mark == nil || r.Mark.Kind != MarkPlan {
		return Plan{}, false
	}
	p, err := ParsePlan([]byte(r.Mark.Text))
	if err != nil {
		return Plan{}, false
	}
	return p, true
}

// InstallPlan is Install returning the plan as applied: without the actions
// on spared nodes, with node indices those of t, and named after t's nodes.
func InstallPlan(t Target, p Plan) (Plan, error) {
	if p.Nodes != 0 && p.Nodes != len(t.Nodes) {
		return Plan{}, badPlan("nodes is %d, the target has %d", p.Nodes, len(t.Nodes))
	}
	// A plan for no particular size (Nodes 0) must fit this target.
	sized := p
	sized.Nodes = len(t.Nodes)
	if err := sized.Validate(); err != nil {
		return Plan{}, err
	}
	p, err := t.byName(sized)
	if err != nil {
		return Plan{}, err
	}
	p = spare(p, t.Spare)
	if w := t.World; w.Tracing() {
		w.Mark(sim.Mark{Kind: MarkPlan, Text: string(p.JSON())})
	}
	crashed := make([]bool, len(t.Nodes)) // by this plan, so restartable by it
	var marks markState
	// Actions due at the same instant run as one event, in plan order: the
	// seeded tiebreak must not reorder "crash 0; restart 0" at one time.
	for i := 0; i < len(p.Actions); {
		j := i + 1
		for j < len(p.Actions) && p.Actions[j].At == p.Actions[i].At {
			j++
		}
		batch := p.Actions[i:j]
		t.World.Schedule(batch[0].At, "fault "+string(batch[0].Kind), func() {
			var m *markState
			if t.World.Tracing() {
				m = &marks
			}
			for _, a := range batch {
				t.apply(a, crashed, m)
			}
		})
		i = j
	}
	return p, nil
}

// byName returns p with its node numbers those of t's nodes: a plan that
// names its nodes is matched to t by name (so a plan written for nodes in
// another order still acts on the nodes it names); a plan that numbers them
// takes t's order, and t's names.
func (t Target) byName(p Plan) (Plan, error) {
	names := make([]string, len(t.Nodes))
	index := map[string]int{}
	for i, n := range t.Nodes {
		names[i] = n.Name
		index[n.Name] = i
	}
	if p.Names == nil {
		p.Names = names
		return p, nil
	}
	perm := make([]int, len(p.Names))
	for i, name := range p.Names {
		j, ok := index[name]
		if !ok {
			return Plan{}, badPlan("nodes[%d]: the plan names node %q, the scenario's nodes are %s", i, name, strings.Join(names, ", "))
		}
		perm[i] = j
	}
	out := p
	out.Names = names
	out.Actions = make([]Action, len(p.Actions))
	mapped := func(nodes []int) []int {
		if nodes == nil {
			return nil
		}
		m := make([]int, len(nodes))
		for k, n := range nodes {
			m[k] = perm[n]
		}
		return m
	}
	for k, a := range p.Actions {
		a.Nodes = mapped(a.Nodes)
		if a.Groups != nil {
			groups := make([][]int, len(a.Groups))
			for g, members := range a.Groups {
				groups[g] = mapped(members)
			}
			a.Groups = groups
		}
		if a.Kind == OneWay {
			a.From, a.To = perm[a.From], perm[a.To]
		}
		out.Actions[k] = a
	}
	return out, nil
}

// spare removes the spared nodes from crash and restart actions.
func spare(p Plan, nodes []int) Plan {
	if len(nodes) == 0 {
		return p
	}
	spared := map[int]bool{}
	for _, n := range nodes {
		spared[n] = true
	}
	out := p
	out.Actions = nil
	for _, a := range p.Actions {
		if a.Kind == Crash || a.Kind == Restart {
			var keep []int
			for _, n := range a.Nodes {
				if !spared[n] {
					keep = append(keep, n)
				}
			}
			if len(keep) == 0 {
				continue
			}
			a.Nodes = keep
		}
		out.Actions = append(out.Actions, a)
	}
	return out
}

func (t Target) id(i int) int { return t.Nodes[i].ID }

func (t Target) name(i int) string { return t.Nodes[i].Name }

// apply runs one action; marks, if non-nil (only while tracing), gets the
// trace marks of what it did.
func (t Target) apply(a Action, crashed []bool, marks *markState) {
	w := t.World
	switch a.Kind {
	case Partition:
		side := make([]int, len(t.Nodes)) // 0: in no group, cut off from every target
		for g, members := range a.Groups {
			for _, i := range members {
				side[i] = g + 1
			}
		}
		t.setLinks(func(i, j int) bool { return side[i] != 0 && side[i] == side[j] })
		if marks != nil {
			marks.partition(t, a, side)
		}
	case OneWay:
		t.Net.SetLink(t.id(a.From), t.id(a.To), false)
		if marks != nil {
			marks.cut(t, fmt.Sprintf("one-way %s->%s", t.name(a.From), t.name(a.To)), a.From, a.To)
		}
	case Isolate:
		t.isolate(a.Nodes[0])
		if marks != nil {
			marks.cut(t, "isolate "+t.name(a.Nodes[0]), a.Nodes[0], -1)
		}
	case IsolateLdr:
		l := -1
		if t.Leader != nil {
			l = t.Leader()
		}
		if l >= 0 {
			t.isolate(l)
		}
		if marks != nil {
			if l >= 0 {
				marks.cut(t, "isolate-leader "+t.name(l), l, -1)
			} else {
				w.Mark(sim.Mark{Kind: sim.MarkFault, Text: "isolate-leader: no leader, nothing cut"})
			}
		}
	case Heal:
		t.setLinks(func(int, int) bool { return true })
		if marks != nil {
			marks.heal(t, "heal")
		}
	case Crash:
		for _, i := range a.Nodes {
			if t.Nodes[i].Up() {
				crashed[i] = true
				marks.fault(t, i, "crash")
				w.Crash(t.Nodes[i])
			}
		}
	case Restart:
		for _, i := range a.Nodes {
			if crashed[i] && !t.Nodes[i].Up() {
				crashed[i] = false
				marks.fault(t, i, "restart")
				w.Restart(t.Nodes[i])
			}
		}
	case Pause:
		for _, i := range a.Nodes {
			marks.fault(t, i, "pause")
			w.Pause(t.Nodes[i])
		}
	case Resume:
		for _, i := range a.Nodes {
			if t.Nodes[i].Paused() { // a plan's final "resume all" marks only the paused
				marks.fault(t, i, "resume")
			}
			w.Resume(t.Nodes[i])
		}
	case Network:
		t.Net.SetConditions(*a.Net)
		if marks != nil {
			w.Mark(sim.Mark{Kind: sim.MarkFault, Text: a.describe(t.name)})
		}
	case Clock:
		for _, i := range a.Nodes {
			t.Nodes[i].SetClock(a.Offset, a.Drift)
			if marks != nil {
				w.Mark(sim.Mark{Kind: sim.MarkFault, Node: t.name(i),
					Text: fmt.Sprintf("clock %s offset=%v drift=%v", t.name(i), a.Offset, a.Drift)})
			}
		}
	case Disk:
		for _, i := range a.Nodes {
			t.Nodes[i].Disk.SetFaults(*a.Disk)
			if marks != nil {
				w.Mark(sim.Mark{Kind: sim.MarkFault, Node: t.name(i), Text: fmt.Sprintf("disk %s %v", t.name(i), *a.Disk)})
			}
		}
	}
}

// Link faults act only on links between target nodes: links to other nodes
// (clients a scenario connected to chosen servers) stay as the scenario set
// them, through partitions and heals alike.

// setLinks sets every directed link between two distinct targets to up(i, j).
func (t Target) setLinks(up func(i, j int) bool) {
	for i := range t.Nodes {
		for j := range t.Nodes {
			if i != j {
				t.Net.SetLink(t.id(i), t.id(j), up(i, j))
			}
		}
	}
}

// isolate cuts target i off from the other targets, both ways.
func (t Target) isolate(i int) {
	for j := range t.Nodes {
		if j != i {
			t.Net.SetLink(t.id(i), t.id(j), false)
			t.Net.SetLink(t.id(j), t.id(i), false)
		}
	}
}
