package netsim

import (
	"slices"
	"strings"

	"github.com/lockstep-dst/lockstep/sim"
)

// Links are directed: a one-way partition blocks calls from one node to
// another (and so their replies) while calls the other way still work, which
// is labrpc's per-ClientEnd enable/disable.
//
// In the trace, Disconnect and Partition make a cut: partition marks
// (sim.MarkPartition), one on each node it cuts off, and later heal marks
// (sim.MarkHeal) on the same nodes with the same ID. Disconnect's cut ends at
// Connect of that node or at Heal; a Partition ends every cut open (it
// rewrites every link) and its own ends at the next Partition or at Heal.
// SetLink, the primitive under fault plans, marks nothing: a plan marks each
// action as a whole (package faults), which a mark per link would repeat.

// span is one cut as the trace shows it: its ID and the nodes it is marked
// on.
type span struct {
	id    uint64
	nodes []string
	node0 int    // Disconnect's node ID; -1 for a Partition
	what  string // "partition {raft0 raft1} {raft2}"
}

// SetLink enables or disables the directed link from -> to.
func (n *Network) SetLink(from, to int, up bool) {
	n.grow(max(from, to) + 1)
	n.setCut(from, to, !up)
	if !up {
		n.linksCut()
	}
}

// LinkUp reports whether calls from -> to can be delivered.
func (n *Network) LinkUp(from, to int) bool {
	if !n.cutSome || uint(from) >= uint(n.size) || uint(to) >= uint(n.size) {
		return true // a negative address is a huge uint
	}
	return n.cut[from*n.words+int(uint(to)/64)]&(1<<(uint(to)%64)) == 0
}

// setCut sets whether the matrix link from -> to is down.
func (n *Network) setCut(from, to int, down bool) {
	if down {
		n.cutSome = true
		n.cut[from*n.words+to/64] |= 1 << (to % 64)
	} else {
		n.cut[from*n.words+to/64] &^= 1 << (to % 64)
	}
}

// Disconnect cuts every link into and out of node id (6.824's disconnect(i)).
func (n *Network) Disconnect(id int) {
	n.grow(id + 1)
	for j := range n.size {
		if j != id {
			n.setCut(id, j, true)
			n.setCut(j, id, true)
		}
	}
	n.linksCut()
	if !n.w.Tracing() {
		return
	}
	for _, sp := range n.tr.open {
		if sp.node0 == id {
			return // already cut off: one cut for it
		}
	}
	n.openSpan(&span{node0: id, nodes: []string{n.name(id)}, what: "disconnect " + n.name(id)})
}

// Connect restores every link into and out of node id, except links to nodes
// that are themselves disconnected: 6.824's connect(i) only joins i with the
// connected ones. connected says which those are; nil means all.
func (n *Network) Connect(id int, connected func(int) bool) {
	n.grow(id + 1)
	for j := range n.size {
		if j == id || (connected != nil && !connected(j)) {
			continue
		}
		n.setCut(id, j, false)
		n.setCut(j, id, false)
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
	// Row i's cut bits, a word at a time: every other link of a node in no
	// group, and for a node in group g every link to a node not in g (a
	// node named in two groups is in the later one).
	n.cutSome = true
	words := (n.size + 63) / 64
	in := make([][]uint64, len(groups)+1) // in[g]: the members of group g (1-based)
	for id, g := range side {
		if id >= 0 && id < n.size {
			if in[g] == nil {
				in[g] = make([]uint64, words)
			}
			in[g][id/64] |= 1 << (id % 64)
		}
	}
	for i := range n.size {
		row, members := n.cutRow(i), in[side[i]]
		for k := range row {
			all := ^uint64(0)
			if rest := n.size - 64*k; rest < 64 {
				all = 1<<rest - 1
			}
			row[k] = all
			if members != nil {
				row[k] = all &^ members[k]
			}
		}
		row[i/64] &^= 1 << (i % 64)
	}
	n.linksCut()
	if !n.w.Tracing() {
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
	sp := &span{node0: -1, what: b.String()}
	for i := range n.size {
		cutOff := false
		for _, word := range n.cutRow(i) {
			cutOff = cutOff || word != 0
		}
		if cutOff {
			sp.nodes = append(sp.nodes, n.name(i))
		}
	}
	n.openSpan(sp)
}

// Heal brings every link up.
func (n *Network) Heal() {
	clear(n.cut)
	n.cutSome = false
	if n.w.Tracing() {
		n.closeOpen()
	}
}

// closeOpen ends every open cut.
func (n *Network) closeOpen() {
	for _, sp := range n.tr.open {
		n.closeSpan(sp)
	}
	n.tr.open = nil
}

// openSpan marks a cut on each of its nodes and keeps it open. A cut that
// cuts no node off is not one.
func (n *Network) openSpan(sp *span) {
	if len(sp.nodes) == 0 {
		return
	}
	sp.id = n.w.MarkID()
	for _, name := range sp.nodes {
		n.w.Mark(sim.Mark{Kind: sim.MarkPartition, Node: name, ID: sp.id, Text: "net " + sp.what})
	}
	n.tr.open = append(n.tr.open, sp)
}

// closeSpan marks the end of a cut on each of its nodes.
func (n *Network) closeSpan(sp *span) {
	for _, name := range sp.nodes {
		n.w.Mark(sim.Mark{Kind: sim.MarkHeal, Node: name, ID: sp.id, Text: "net heal: " + sp.what})
	}
}
