package netsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lockstep-dst/lockstep/sim"
)

// The network's part of the trace. Every message, request or reply, gets an
// ID and a send mark (sim.MarkSend) when it leaves its sender, then exactly
// one deliver mark (sim.MarkDeliver) when it reaches its receiver or one drop
// mark (sim.MarkDrop) saying why it never will: lost, link down, receiver
// crashed, or a reply nobody waits for. A duplicate is a message of its own
// with its own ID. A message still in flight when the run ends has a send
// mark only.
//
// All of it is built only while tracing (sim.World.Tracing), and nothing the
// network decides reads it: a traced replay runs exactly as the run it
// replays (TestTracingChangesNoHash).

// tracer is what the network remembers for the trace only.
type tracer struct {
	flying map[uint64]*flight // messages sent and not yet delivered or dropped
	open   []*span            // cuts made by Disconnect and Partition, oldest first
}

// flight is a message in flight, as the trace names it.
type flight struct {
	from, to string // sender and receiver, by name
	dest     int    // receiver's node ID
	// bound: the message's arrival is an event of the receiver, which a
	// crash of the receiver discards without a word (a reply, a request
	// held for a paused server); the crash marks it dropped instead.
	bound bool
	what  string // "#17 raft1 → raft0 Raft.RequestVote {Term:1 ...}"
}

// maxSummary bounds a payload summary in the trace, in bytes.
const maxSummary = 120

// summary is a message's payload in one short line: its String method if it
// has one, else its fields (%+v), cut to maxSummary bytes.
func summary(m any) string {
	var s string
	if st, ok := m.(fmt.Stringer); ok {
		s = st.String()
	} else {
		s = strings.TrimPrefix(fmt.Sprintf("%+v", m), "&")
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > maxSummary {
		cut := maxSummary
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// name is node id's name, or "node N" for an address no node has.
func (n *Network) name(id int) string {
	if nodes := n.w.Nodes(); id >= 0 && id < len(nodes) {
		return nodes[id].Name
	}
	return fmt.Sprintf("node %d", id)
}

// send marks a message leaving node from for node to and returns its ID.
// note says how its journey was drawn ("+312µs", "lost", "duplicate of #3,
// +1.2ms"); payload is its summary, "" to leave it out.
func (n *Network) traceSend(from, to int, method string, reply bool, payload, note string) uint64 {
	t := &n.tr
	id := n.w.MarkID()
	f := &flight{from: n.name(from), to: n.name(to), dest: to}
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s → %s %s", id, f.from, f.to, method)
	if reply {
		b.WriteString(" reply")
	}
	if payload != "" {
		b.WriteString(" ")
		b.WriteString(payload)
	}
	f.what = b.String()
	if t.flying == nil {
		t.flying = map[uint64]*flight{}
	}
	t.flying[id] = f
	n.w.Mark(sim.Mark{Kind: sim.MarkSend, Node: f.from, Peer: f.to, ID: id, Text: "send " + f.what + " (" + note + ")"})
	return id
}

// arrives is the note of a message drawn to arrive after d.
func arrives(d time.Duration, extra string) string {
	s := "arrives in " + d.String()
	if extra != "" {
		s += ", " + extra
	}
	return s
}

// traceDeliver marks message id arriving at its receiver.
func (n *Network) traceDeliver(id uint64) {
	f := n.tr.take(id)
	if f == nil {
		return
	}
	n.w.Mark(sim.Mark{Kind: sim.MarkDeliver, Node: f.to, Peer: f.from, ID: id, Text: "deliver " + f.what})
}

// traceDrop marks message id lost, and why.
func (n *Network) traceDrop(id uint64, why string) {
	f := n.tr.take(id)
	if f == nil {
		return
	}
	n.w.Mark(sim.Mark{Kind: sim.MarkDrop, Node: f.from, Peer: f.to, ID: id, Text: "drop " + f.what + ": " + why})
}

// traceBind notes that message id's arrival is now an event of its receiver.
func (n *Network) traceBind(id uint64) {
	if f := n.tr.flying[id]; f != nil {
		f.bound = true
	}
}

func (t *tracer) take(id uint64) *flight {
	f := t.flying[id]
	delete(t.flying, id)
	return f
}

// crashed marks dropped the messages whose arrival was an event of the node
// that crashed: the kernel discards those events without running them.
func (t *tracer) crashed(w *sim.World, node *sim.Node) {
	var gone []uint64
	for id, f := range t.flying {
		if f.bound && f.dest == node.ID {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone) // in sending order, whatever the map's
	for _, id := range gone {
		f := t.take(id)
		w.Mark(sim.Mark{Kind: sim.MarkDrop, Node: f.from, Peer: f.to, ID: id, Text: "drop " + f.what + ": receiver crashed"})
	}
}
