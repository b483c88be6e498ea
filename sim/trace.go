package sim

import (
	"fmt"
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
	Label string
	Note  string // set for Logf lines; empty for events
	// Hash is the running trace hash (events only): for OnEvent, after the
	// event and every content it digested; for Trace, which sees the event
	// before it runs, after the event's time, node and label only.
	Hash uint64
	// Content digests what the event produced (World.Digest), zero if
	// nothing; set for OnEvent only.
	Content uint64
}

func (r Record) String() string {
	node := r.Node
	if node == "" {
		node = "-"
	}
	if r.Note != "" {
		return fmt.Sprintf("%12v %-10s   %s", r.At, node, r.Note)
	}
	return fmt.Sprintf("%12v %-10s # %d %s", r.At, node, r.Event, r.Label)
}

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
