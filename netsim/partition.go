package netsim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lockstep-dst/lockstep/sim"
)

// Links are directed: a one-way partition blocks calls from one node to
// another (and so their replies) while calls the other way still work, which
// is labrpc's per-ClientEnd enable/disable.
//
// In the trace, a cut is a span: a partition mark (sim.MarkPartition) when it
// is made and a heal mark (sim.MarkHeal) with the same ID when it ends.
// SetLink makes one span per directed link it takes down, ending when that
// link comes up again, by whatever call. Disconnect makes one span per node,
// ended by Connect of that node or by Heal; Partition ends every open span
// (it rewrites every link) and starts one of its own, ended by the next
// Partition or by Heal.

// span is one cut as the trace shows it.
type span struct {
	id         uint64
	node, peer string // the node cut off (Disconnect, SetLink) and the peer (SetLink); "" for a Partition
	node0      int    // Disconnect's node ID; -1 otherwise
	what       string // "partition {raft0 raft1} {raft2}"
}

// SetLink enables or disables the directed link from -> to.
func (n *Network) SetLink(from, to int, up bool) {
	n.grow(max(from, to) + 1)
	l := &n.links[from][to]
	if l.down == !up {
		return
	}
	l.down = !up
	if !n.w.Tracing() {
		return
	}
	if up {
		n.repaired(l)
		return
	}
	l.cut = n.openSpan(n.name(from), n.name(to), -1, fmt.Sprintf("cut link %s → %s", n.name(from), n.name(to)))
}

// LinkUp reports whether calls from -> to can be delivered.
func (n *Network) LinkUp(from, to int) bool {
	if from < 0 || to < 0 || from >= len(n.links) || to >= len(n.links) {
		return true
	}
	return !n.links[from][to].down
}

// up brings link l up; the caller has checked that it is down.
func (n *Network) up(l *link) {
	l.down = false
	if l.cut != nil {
		n.repaired(l)
	}
}

// repaired ends the span of a link SetLink took down, now up again.
func (n *Network) repaired(l *link) {
	if sp := l.cut; sp != nil {
		l.cut = nil
		n.closeSpan(sp)
	}
}

// Disconnect cuts every link into and out of node id (6.824's disconnect(i)).
func (n *Network) Disconnect(id int) {
	n.grow(id + 1)
	for j := range n.links {
		if j != id {
			n.links[id][j].down = true
			n.links[j][id].down = true
		}
	}
	if !n.w.Tracing() {
		return
	}
	for _, sp := range n.tr.open {
		if sp.node0 == id {
			return // already cut off: one span for it
		}
	}
	n.tr.open = append(n.tr.open, n.openSpan(n.name(id), "", id, "disconnect "+n.name(id)))
}

// Connect restores every link into and out of node id, except links to nodes
// that are themselves disconnected: 6.824's connect(i) only joins i with the
// connected ones. connected says which those are; nil means all.
func (n *Network) Connect(id int, connected func(int) bool) {
	n.grow(id + 1)
	for j := range n.links {
		if j == id || (connected != nil && !connected(j)) {
			continue
		}
		for _, l := range []*link{&n.links[id][j], &n.links[j][id]} {
			if l.down {
				n.up(l)
			}
		}
	}
	if !n.w.Tracing() {
		return
	}
	n.tr.open = slices.DeleteFunc(n.tr.open, func(sp *span) bool {
		if sp.node0 == id {
			n.closeSpan(sp)
			return true
		}
		return false
	})
}

// Partition splits the nodes into groups: links inside a group are up,
// links across groups are down. Nodes in no group are cut off from all.
func (n *Network) Partition(groups ...[]int) {
	side := map[int]int{}
	for g, members := range groups {
		for _, id := range members {
			side[id] = g + 1
			n.grow(id + 1)
		}
	}
	tracing := n.w.Tracing()
	for i := range n.links {
		for j := range n.links[i] {
			si, sj := side[i], side[j]
			l := &n.links[i][j]
			down := i != j && (si == 0 || sj == 0 || si != sj)
			if tracing && l.cut != nil {
				n.repaired(l) // the partition's span covers it from now on
			}
			if !down && l.down {
				n.up(l)
			}
			l.down = down
		}
	}
	if !tracing {
		return
	}
	n.closeOpen()
	var b strings.Builder
	b.WriteString("partition")
	for _, members := range groups {
		b.WriteString(" {")
		for k, id := range members {
			if k > 0 {
				b.WriteString(" ")
			}
			b.WriteString(n.name(id))
		}
		b.WriteString("}")
	}
	n.tr.open = append(n.tr.open, n.openSpan("", "", -1, b.String()))
}

// Heal brings every link up.
func (n *Network) Heal() {
	for i := range n.links {
		for j := range n.links[i] {
			if l := &n.links[i][j]; l.down {
				n.up(l)
			}
		}
	}
	if n.w.Tracing() {
		n.closeOpen()
	}
}

// closeOpen ends every span Disconnect and Partition opened.
func (n *Network) closeOpen() {
	for _, sp := range n.tr.open {
		n.closeSpan(sp)
	}
	n.tr.open = nil
}

// openSpan marks a cut and returns its span.
func (n *Network) openSpan(node, peer string, node0 int, what string) *span {
	n.tr.ids++
	sp := &span{id: n.tr.ids, node: node, peer: peer, node0: node0, what: what}
	n.w.Mark(sim.Mark{Kind: sim.MarkPartition, Node: node, Peer: peer, ID: sp.id, Text: "net " + what})
	return sp
}

// closeSpan marks the end of a cut.
func (n *Network) closeSpan(sp *span) {
	n.w.Mark(sim.Mark{Kind: sim.MarkHeal, Node: sp.node, Peer: sp.peer, ID: sp.id, Text: "net heal: " + sp.what})
}
