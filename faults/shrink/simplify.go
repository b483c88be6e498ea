package shrink

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
)

// minGap is the shortest fault the time simplifications make: a restart,
// resume or heal is moved closer to the fault it ends only while they are at
// least 2*minGap apart.
const minGap = time.Millisecond

// simplifications returns the candidate simplifications of the fault action
// at index i of p, most useful first: none at all, fewer nodes, lower rates,
// a shorter fault, a rounder time.
func simplifications(p faults.Plan, i int) []candidate {
	a := p.Actions[i]
	var out []candidate
	add := func(b faults.Action, format string, args ...any) {
		out = append(out, candidate{plan: replace(p, i, b), what: describe(p, a) + ": " + fmt.Sprintf(format, args...)})
	}

	// No action at all: a simplification may have made it a no-op (a
	// partition with one side), or another one may have made it needless.
	// (Already judged, from memory, if nothing changed since it was tried.)
	out = append(out, candidate{plan: without(p, func(j int) bool { return j == i }), what: "remove " + describe(p, a)})

	// Fewer nodes.
	if len(a.Nodes) > 1 {
		for j, n := range a.Nodes {
			b := a
			b.Nodes = slices.Delete(slices.Clone(a.Nodes), j, j+1)
			add(b, "leave node %d out", n)
		}
	}
	if a.Kind == faults.Partition {
		for _, m := range partitionMoves(a.Groups, p.Nodes) {
			b := a
			b.Groups = m.groups
			add(b, "node %d joins the larger side", m.node)
		}
	}

	// Lower rates, toward the plan's base.
	switch a.Kind {
	case faults.Network:
		for _, c := range netSimplifications(*a.Net, base(p)) {
			b := a
			b.Net = &c.net
			add(b, "%s", c.what)
		}
	case faults.Clock:
		if a.Offset != 0 {
			b := a
			b.Offset = 0
			add(b, "offset %v -> 0", a.Offset)
			b.Offset = a.Offset / 2
			add(b, "offset %v -> %v", a.Offset, b.Offset)
		}
		if a.Drift != 0 {
			b := a
			b.Drift = 0
			add(b, "drift %v -> 0", a.Drift)
			b.Drift = a.Drift / 2
			add(b, "drift %v -> %v", a.Drift, b.Drift)
		}
	case faults.Disk:
		d := *a.Disk
		for _, f := range []struct {
			name string
			on   *bool
		}{{"corrupt", &d.Corrupt}, {"tear-last", &d.TearLast}, {"reorder", &d.Reorder}, {"keep-some-unsynced", &d.KeepSomeUnsynced}} {
			if *f.on {
				*f.on = false
				c := d
				*f.on = true
				b := a
				b.Disk = &c
				add(b, "%s off", f.name)
			}
		}
	}

	// A shorter fault: its end moved toward its start, or its start toward
	// its end. (A fault that only the plan's tail ends is left where it
	// starts: moving it later would only make the run longer to read.)
	// The shortest such fault is tried first, then one half as long.
	if start, ok := startOf(p, i); ok {
		if gap := a.At - p.Actions[start].At; gap >= 2*minGap {
			b := a
			b.At = p.Actions[start].At + minGap
			add(b, "at %v -> %v (the shortest fault)", a.At, b.At)
			b.At = p.Actions[start].At + gap/2
			add(b, "at %v -> %v (a shorter fault)", a.At, b.At)
		}
	} else if end, ok := endOf(p, i); ok {
		if gap := p.Actions[end].At - a.At; gap >= 2*minGap {
			b := a
			b.At = p.Actions[end].At - minGap
			add(b, "at %v -> %v (the shortest fault)", a.At, b.At)
			b.At = a.At + gap/2
			add(b, "at %v -> %v (a later start)", a.At, b.At)
		}
	}

	// A rounder time.
	if r := a.At.Truncate(time.Millisecond); r != a.At {
		b := a
		b.At = r
		add(b, "at %v -> %v (rounded)", a.At, r)
	}
	return out
}

// describe names an action of p for a step, as the plan prints it: its
// time, kind, nodes by name and values.
func describe(p faults.Plan, a faults.Action) string {
	one := p
	one.Actions = []faults.Action{a}
	lines := strings.Split(one.String(), "\n")
	if len(lines) < 2 {
		return string(a.Kind)
	}
	return strings.Join(strings.Fields(lines[1]), " ")
}

// replace returns p with its action i replaced by a, the fault actions
// sorted again by time (stably: actions at one instant keep their order).
func replace(p faults.Plan, i int, a faults.Action) faults.Plan {
	out := p
	out.Actions = slices.Clone(p.Actions)
	out.Actions[i] = a
	faultEnd := len(out.Actions) - Tail(p)
	sort.SliceStable(out.Actions[:faultEnd], func(x, y int) bool { return out.Actions[x].At < out.Actions[y].At })
	return out
}

// ends says which fault kinds an action of kind k ends.
func ends(k faults.Kind) []faults.Kind {
	switch k {
	case faults.Restart:
		return []faults.Kind{faults.Crash}
	case faults.Resume:
		return []faults.Kind{faults.Pause}
	case faults.Heal:
		return []faults.Kind{faults.Partition, faults.OneWay, faults.Isolate, faults.IsolateLdr}
	}
	return nil
}

// overlap reports whether an end action b can end fault a: a heal ends any
// link fault; a restart or resume ends a crash or pause of one of its nodes.
func overlap(a, b faults.Action) bool {
	if b.Kind == faults.Heal {
		return true
	}
	for _, n := range a.Nodes {
		if slices.Contains(b.Nodes, n) {
			return true
		}
	}
	return false
}

// startOf returns the fault that the end action at i ends: the latest
// earlier action of a kind it ends, on one of its nodes.
func startOf(p faults.Plan, i int) (int, bool) {
	kinds := ends(p.Actions[i].Kind)
	for j := i - 1; j >= 0 && len(kinds) > 0; j-- {
		if slices.Contains(kinds, p.Actions[j].Kind) && overlap(p.Actions[j], p.Actions[i]) {
			return j, true
		}
	}
	return 0, false
}

// endOf returns the fault action that ends the fault at i, among the fault
// actions (not the tail): the first later action that ends its kind on one of
// its nodes.
func endOf(p faults.Plan, i int) (int, bool) {
	faultEnd := len(p.Actions) - Tail(p)
	for j := i + 1; j < faultEnd; j++ {
		if slices.Contains(ends(p.Actions[j].Kind), p.Actions[i].Kind) && overlap(p.Actions[i], p.Actions[j]) {
			return j, true
		}
	}
	return 0, false
}

// base returns the network the plan restores in its tail, or nil.
func base(p faults.Plan) *netsim.Conditions {
	for j := len(p.Actions) - 1; j >= len(p.Actions)-Tail(p); j-- {
		if p.Actions[j].Kind == faults.Network {
			return p.Actions[j].Net
		}
	}
	return nil
}

// netChange is one simplification of network conditions.
type netChange struct {
	net  netsim.Conditions
	what string
}

// netSimplifications returns c with each rate moved to base's (to none of
// it when base is nil), then each rate halved toward it.
func netSimplifications(c netsim.Conditions, b *netsim.Conditions) []netChange {
	to := c
	if b != nil {
		to = *b
	} else {
		to.DelayMax, to.DropRequest, to.DropReply, to.Duplicate = c.DelayMin, 0, 0, 0
		to.LongReordering, to.LongDelayRequest, to.LateDuplicate = false, 0, 0
	}
	type rate struct {
		name     string
		val, tgt *float64
	}
	rates := func(c, t *netsim.Conditions) []rate {
		return []rate{{"drop-request", &c.DropRequest, &t.DropRequest}, {"drop-reply", &c.DropReply, &t.DropReply},
			{"duplicate", &c.Duplicate, &t.Duplicate}, {"long-delay-request", &c.LongDelayRequest, &t.LongDelayRequest},
			{"late-duplicate", &c.LateDuplicate, &t.LateDuplicate}}
	}
	var out []netChange
	for k := range rates(&c, &to) {
		n := c
		r := rates(&n, &to)[k]
		if *r.val != *r.tgt {
			old := *r.val
			*r.val = *r.tgt
			out = append(out, netChange{n, fmt.Sprintf("%s %.3f -> %.3f", r.name, old, *r.tgt)})
		}
	}
	if c.LongReordering && !to.LongReordering {
		n := c
		n.LongReordering = false
		out = append(out, netChange{n, "long-reordering off"})
	}
	if c.DelayMax != to.DelayMax && c.DelayMin == to.DelayMin {
		n := c
		n.DelayMax = to.DelayMax
		out = append(out, netChange{n, fmt.Sprintf("delay-max %v -> %v", c.DelayMax, to.DelayMax)})
	}
	for k := range rates(&c, &to) {
		n := c
		r := rates(&n, &to)[k]
		if d := *r.val - *r.tgt; d > 0.001 || d < -0.001 {
			old := *r.val
			*r.val = *r.tgt + d/2
			out = append(out, netChange{n, fmt.Sprintf("%s %.3f -> %.3f", r.name, old, *r.val)})
		}
	}
	if d := c.DelayMax - to.DelayMax; c.DelayMin == to.DelayMin && d >= 2*minGap {
		n := c
		n.DelayMax = to.DelayMax + d/2
		out = append(out, netChange{n, fmt.Sprintf("delay-max %v -> %v", c.DelayMax, n.DelayMax)})
	}
	return out
}

// partitionMove is a partition with one node moved to its largest side.
type partitionMove struct {
	node   int
	groups [][]int
}

// partitionMoves returns, for each node not on the partition's largest
// side (smaller sides first, nodes in no group last), the partition with
// that node moved to the largest side: fewer nodes cut off. A side left
// empty disappears.
func partitionMoves(groups [][]int, nodes int) []partitionMove {
	if len(groups) == 0 {
		return nil
	}
	largest := 0
	for g := range groups {
		if len(groups[g]) > len(groups[largest]) {
			largest = g
		}
	}
	order := make([]int, 0, len(groups))
	for g := range groups {
		if g != largest {
			order = append(order, g)
		}
	}
	sort.SliceStable(order, func(x, y int) bool { return len(groups[order[x]]) < len(groups[order[y]]) })
	move := func(n, from int) [][]int {
		var out [][]int
		for g, members := range groups {
			switch {
			case g == largest:
				m := append(slices.Clone(members), n)
				slices.Sort(m)
				out = append(out, m)
			case g == from:
				if rest := slices.DeleteFunc(slices.Clone(members), func(x int) bool { return x == n }); len(rest) > 0 {
					out = append(out, rest)
				}
			default:
				out = append(out, slices.Clone(members))
			}
		}
		return out
	}
	var out []partitionMove
	for _, g := range order {
		for _, n := range groups[g] {
			out = append(out, partitionMove{n, move(n, g)})
		}
	}
	inGroup := map[int]bool{}
	for _, members := range groups {
		for _, n := range members {
			inGroup[n] = true
		}
	}
	for n := 0; n < nodes; n++ {
		if !inGroup[n] {
			out = append(out, partitionMove{n, move(n, -1)})
		}
	}
	return out
}
