package sim

import (
	"fmt"
	"strings"
	"time"
)

// Record is one line of the structured trace: an event the kernel ran, or a
// note simulated code logged with Logf. Notes are not part of the trace hash:
// turning tracing on changes no run as long as simulated code keeps the rule
// of Tracing.
type Record struct {
	Event uint64 // index of the event this record belongs to
	At    time.Duration
	Node  string
	// Label is the event's label as scheduled; a label made by LabelDetail
	// holds a tab between its name and its detail (String shows a space).
	Label string
	Note  string // set for Logf lines; empty for events
	// Hash is the running trace hash (events only): for OnEvent, after the
	// event and every content it digested; for Trace, which sees the event
	// before it runs, after the event's time, node and label only.
	Hash uint64
	// Content digests what the event produced (World.Digest), zero if
	// nothing; set for OnEvent only.
	Content uint64
	// Mark is set for a structured fact logged with World.Mark (a note
	// whose Note is Mark.Text); nil otherwise.
	Mark *Mark
}

// Mark is a fact of the run in fields rather than prose, for tools that draw
// a run (one lane per node, message arrows, fault spans). Like notes, marks
// are not part of the trace hash and exist only while tracing.
type Mark struct {
	Kind MarkKind
	Node string // the node it happened to, "" for the whole world
	Peer string // the other end of a message or link, "" if none
	// ID ties the marks of one message (send, deliver, drop) or one span
	// (partition and its heal) together; 0 if the mark stands alone.
	ID uint64
	// Text is the one-line summary a person reads, e.g. "Raft.AppendEntries
	// term=3 entries=2".
	Text string
}

// MarkKind names what a Mark records.
type MarkKind string

// The kinds the kernel, the network and the fault plans emit. A system may
// log kinds of its own; tools show unknown kinds as plain notes.
const (
	MarkStart     MarkKind = "start"     // node booted (first start or restart)
	MarkCrash     MarkKind = "crash"     // node crashed
	MarkPause     MarkKind = "pause"     // node frozen
	MarkResume    MarkKind = "resume"    // node unfrozen
	MarkClock     MarkKind = "clock"     // node's clock offset or drift changed
	MarkSend      MarkKind = "send"      // message left Node for Peer
	MarkDeliver   MarkKind = "deliver"   // message from Peer arrived at Node
	MarkDrop      MarkKind = "drop"      // message from Node to Peer was lost
	MarkPartition MarkKind = "partition" // link or group cut; Text names the sides
	MarkHeal      MarkKind = "heal"      // cut repaired
	MarkLink      MarkKind = "link"      // network conditions changed
	MarkFault     MarkKind = "fault"     // a fault-plan action applied
	MarkFail      MarkKind = "fail"      // a check failed; Text is its message
)

func (r Record) String() string {
	node := r.Node
	if node == "" {
		node = "-"
	}
	if r.Note != "" {
		return fmt.Sprintf("%12v %-10s   %s", r.At, node, r.Note)
	}
	return fmt.Sprintf("%12v %-10s # %d %s", r.At, node, r.Event, strings.ReplaceAll(r.Label, "\t", " "))
}

// LabelDetail is an event label with a detail for the trace only: the trace
// shows "name detail", the trace hash folds name alone. A detail can thus
// name what a generic event is for (a clock timer's "raft election") without
// changing the hash of any seed: two runs that differ only in details have
// the same trace hash. name must not contain a tab.
//
// Build such labels once, not per event, where the event is frequent: the
// label is kept with every scheduled event.
func LabelDetail(name, detail string) string { return name + "\t" + detail }

// Tracing reports whether a trace is being recorded, so that callers can skip
// formatting work on the hot path. Code may branch on it only to skip work
// whose sole effect is the trace (building a note, remembering what it last
// noted); anything else it skipped would make a traced replay of a seed
// differ from the run it replays.
func (w *World) Tracing() bool { return w.opts.Trace != nil }

// Logf adds a note to the trace. It costs nothing when tracing is off.
func (w *World) Logf(node *Node, format string, args ...any) {
	if w.opts.Trace == nil {
		return
	}
	r := Record{Event: w.events, At: w.now, Note: fmt.Sprintf(format, args...)}
	if node != nil {
		r.Node = node.Name
	}
	w.opts.Trace(r)
}

// MarkID returns a new ID for Mark.ID, unique in the run: every component
// that ties marks together (the network's messages and cuts, a fault plan's
// cuts) takes its IDs here, so that a tool pairing a partition with its heal
// never pairs two components' marks. Call it only while tracing: it is a
// trace-only counter.
func (w *World) MarkID() uint64 {
	w.markIDs++
	return w.markIDs
}

// Mark adds a structured fact to the trace (see Mark). It costs nothing when
// tracing is off; build m only when Tracing reports true if building it
// costs anything.
func (w *World) Mark(m Mark) {
	if w.opts.Trace == nil {
		return
	}
	w.opts.Trace(Record{Event: w.events, At: w.now, Node: m.Node, Note: m.Text, Mark: &m})
}
