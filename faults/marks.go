package faults

import (
	"fmt"
	"strings"

	"github.com/lockstep-dst/lockstep/sim"
)

// markState remembers, for the trace only, which cuts an installed plan has
// open, so that a heal's marks carry the IDs of the cuts it repairs (tools
// draw a cut as a span from its partition mark to its heal mark). It is
// touched only while tracing: nothing the run does depends on it.
type markState struct {
	open []openCut
}

// openCut is one cut in force: its mark ID and the nodes it was marked on.
type openCut struct {
	id    uint64
	nodes []string
}

// fault marks a plan action on node i of t. A nil m (not tracing) marks
// nothing.
func (m *markState) fault(t Target, i int, verb string) {
	if m == nil {
		return
	}
	t.World.Mark(sim.Mark{Kind: sim.MarkFault, Node: t.name(i), Text: verb + " " + t.name(i)})
}

// cut marks a new cut on node a (and b, the other end of a one-way cut; -1
// if none), which stays open until a heal or a partition replaces it.
func (m *markState) cut(t Target, text string, a, b int) {
	c := openCut{id: t.World.MarkID(), nodes: []string{t.name(a)}}
	peer := ""
	if b >= 0 {
		peer = t.name(b)
	}
	t.World.Mark(sim.Mark{Kind: sim.MarkPartition, Node: t.name(a), Peer: peer, ID: c.id, Text: text})
	m.open = append(m.open, c)
}

// partition marks a partition: it replaces every link between targets, so
// it ends the cuts open before it, then opens one cut marked on every target
// cut off from another (side[i] is node i's group, 1-based; 0: none).
func (m *markState) partition(t Target, a Action, side []int) {
	groups := make([]string, len(a.Groups))
	for g, members := range a.Groups {
		names := make([]string, len(members))
		for k, i := range members {
			names[k] = t.name(i)
		}
		groups[g] = "[" + strings.Join(names, " ") + "]"
	}
	text := "partition " + strings.Join(groups, " | ")
	m.heal(t, "heal: replaced by "+text)
	c := openCut{id: t.World.MarkID()}
	for i := range t.Nodes {
		cutOff := side[i] == 0
		for j := range t.Nodes {
			cutOff = cutOff || (j != i && side[j] != side[i])
		}
		if cutOff {
			c.nodes = append(c.nodes, t.name(i))
			t.World.Mark(sim.Mark{Kind: sim.MarkPartition, Node: t.name(i), ID: c.id, Text: text})
		}
	}
	if len(c.nodes) > 0 {
		m.open = append(m.open, c)
	}
}

// heal marks the end of every open cut, one mark per node it was marked on,
// with the cut's ID.
func (m *markState) heal(t Target, text string) {
	for _, c := range m.open {
		for _, n := range c.nodes {
			t.World.Mark(sim.Mark{Kind: sim.MarkHeal, Node: n, ID: c.id, Text: fmt.Sprintf("%s (cut %d)", text, c.id)})
		}
	}
	m.open = m.open[:0]
}
