package rafthost

import (
	"fmt"
	"math"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
)

// The forms a raft.Message takes on the simulated network. The network copies every
// message it delivers (netsim.Message.Clone); a raft.Message is 160 bytes with three
// pointers, and copying one per request and per reply was the largest allocation of the Raft
// scenarios after snapshots. A peer therefore sends its messages as outgoing, whose Clone
// makes the smallest copy that holds the message exactly:
//
//   - small: a message with no entries, snapshot, PrevTerm or Commit (every response and
//     every vote request): 72 bytes (an 80-byte allocation) and no pointers, so the garbage
//     collector never scans it;
//   - heartbeat: a MsgApp without entries (a heartbeat, a commit index or a probe): 40 bytes
//     (a 48-byte allocation) and no pointers;
//   - appendMsg: a MsgApp with entries, 104 bytes with room for one entry inline (a 112-byte
//     allocation, where a raft.Message clone takes 160, or 208 with its one entry);
//   - anything else (MsgSnap, and any message a form cannot hold): a raft.Message, as
//     raft.Message.Clone makes it.
//
// Each form has the Size, Digest and String of the raft.Message it holds, so byte counts,
// trace hashes and traces are those of the raft.Message (TestWireFormsAreTheMessage).
// received turns whatever arrives back into the raft.Message.

// outgoing is a raft.Message as a peer hands it to the network: the same memory, whose
// Clone picks the wire form.
type outgoing raft.Message

func (o *outgoing) msg() *raft.Message { return (*raft.Message)(o) }

// Size is the message's (raft.Message.Size).
func (o *outgoing) Size() int { return o.msg().Size() }

// Digest is the message's (raft.Message.Digest).
func (o *outgoing) Digest() uint64 { return o.msg().Digest() }

// String is the message's (raft.Message.String), for traces.
func (o *outgoing) String() string { return o.msg().String() }

// Clone returns the message in the smallest wire form that holds it, sharing no memory
// with it.
func (o *outgoing) Clone() any {
	m := o.msg()
	if fitsInt32(m.From) && fitsInt32(m.To) && m.Data == nil && m.Snapshot == (raft.SnapshotMeta{}) {
		if m.Entries == nil && m.PrevTerm == 0 && m.Commit == 0 {
			return &small{typ: m.Type, granted: m.Granted, success: m.Success, from: int32(m.From), to: int32(m.To),
				term: m.Term, lastLogIndex: m.LastLogIndex, lastLogTerm: m.LastLogTerm, prevIndex: m.PrevIndex,
				conflictIndex: m.ConflictIndex, conflictTerm: m.ConflictTerm, matchIndex: m.MatchIndex}
		}
		if m.Type == raft.MsgApp && !m.Granted && !m.Success && m.LastLogIndex == 0 && m.LastLogTerm == 0 &&
			m.ConflictIndex == 0 && m.ConflictTerm == 0 && m.MatchIndex == 0 {
			if m.Entries == nil {
				return &heartbeat{from: int32(m.From), to: int32(m.To), term: m.Term, prevIndex: m.PrevIndex,
					prevTerm: m.PrevTerm, commit: m.Commit}
			}
			a := &appendMsg{from: int32(m.From), to: int32(m.To), term: m.Term, prevIndex: m.PrevIndex,
				prevTerm: m.PrevTerm, commit: m.Commit}
			a.copyEntries(m.Entries)
			return a
		}
	}
	return m.Clone()
}

func fitsInt32(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

// small is a message without entries, snapshot, PrevTerm or Commit; no pointers.
type small struct {
	typ              raft.MsgType
	granted, success bool
	from, to         int32
	term             int
	lastLogIndex     int
	lastLogTerm      int
	prevIndex        int
	conflictIndex    int
	conflictTerm     int
	matchIndex       int
}

func (s *small) message() raft.Message {
	return raft.Message{Type: s.typ, Granted: s.granted, Success: s.success, From: int(s.from), To: int(s.to),
		Term: s.term, LastLogIndex: s.lastLogIndex, LastLogTerm: s.lastLogTerm, PrevIndex: s.prevIndex,
		ConflictIndex: s.conflictIndex, ConflictTerm: s.conflictTerm, MatchIndex: s.matchIndex}
}

// Size is the message's (raft.Message.Size).
func (s *small) Size() int { m := s.message(); return m.Size() }

// Digest is the message's (raft.Message.Digest).
func (s *small) Digest() uint64 { m := s.message(); return m.Digest() }

// String is the message's (raft.Message.String).
func (s *small) String() string { return s.message().String() }

// Clone copies s (a duplicate delivery).
func (s *small) Clone() any { c := *s; return &c }

// heartbeat is a MsgApp with no entries (nil); no pointers.
type heartbeat struct {
	from, to int32
	term     int
	prevIndex,
	prevTerm int
	commit int
}

func (h *heartbeat) message() raft.Message {
	return raft.Message{Type: raft.MsgApp, From: int(h.from), To: int(h.to), Term: h.term, PrevIndex: h.prevIndex,
		PrevTerm: h.prevTerm, Commit: h.commit}
}

// Size is the message's (raft.Message.Size).
func (h *heartbeat) Size() int { m := h.message(); return m.Size() }

// Digest is the message's (raft.Message.Digest).
func (h *heartbeat) Digest() uint64 { m := h.message(); return m.Digest() }

// String is the message's (raft.Message.String).
func (h *heartbeat) String() string { return h.message().String() }

// Clone copies h (a duplicate delivery).
func (h *heartbeat) Clone() any { c := *h; return &c }

// appendMsg is a MsgApp with entries. entries is one, pointing at one, or its own array; every
// command is a copy, all of them in one buffer.
type appendMsg struct {
	from, to int32
	term     int
	prevIndex,
	prevTerm int
	commit  int
	entries []raft.Entry
	one     [1]raft.Entry
}

// copyEntries sets a's entries to a copy of ents that shares no memory with them: the
// commonest MsgApp carries one entry, kept in a itself; the commands go into one buffer
// (raft.CopyEntries, as raft.Message.Clone copies them).
func (a *appendMsg) copyEntries(ents []raft.Entry) {
	switch len(ents) {
	case 0:
		if ents != nil {
			a.entries = a.one[:0]
		}
		return
	case 1:
		a.entries = a.one[:]
	default:
		a.entries = make([]raft.Entry, len(ents))
	}
	raft.CopyEntries(a.entries, ents)
}

func (a *appendMsg) message() raft.Message {
	return raft.Message{Type: raft.MsgApp, From: int(a.from), To: int(a.to), Term: a.term, PrevIndex: a.prevIndex,
		PrevTerm: a.prevTerm, Entries: a.entries, Commit: a.commit}
}

// Size is the message's (raft.Message.Size).
func (a *appendMsg) Size() int { m := a.message(); return m.Size() }

// Digest is the message's (raft.Message.Digest).
func (a *appendMsg) Digest() uint64 { m := a.message(); return m.Digest() }

// String is the message's (raft.Message.String).
func (a *appendMsg) String() string { return a.message().String() }

// Clone copies a and its entries (a duplicate delivery).
func (a *appendMsg) Clone() any {
	c := &appendMsg{from: a.from, to: a.to, term: a.term, prevIndex: a.prevIndex, prevTerm: a.prevTerm, commit: a.commit}
	c.copyEntries(a.entries)
	return c
}

// received returns the raft.Message that arrived in wire form x (a request's Args or a
// reply): one of the forms above, or a *raft.Message (a halted peer's replies, and tests
// that call a peer directly).
func received(x any) raft.Message {
	switch m := x.(type) {
	case *small:
		return m.message()
	case *heartbeat:
		return m.message()
	case *appendMsg:
		return m.message()
	case *raft.Message:
		return *m
	}
	panic(fmt.Sprintf("raft: a peer received a %T, not a Raft message", x))
}

var (
	_ netsim.Digester = (*outgoing)(nil)
	_ netsim.Digester = (*small)(nil)
	_ netsim.Digester = (*heartbeat)(nil)
	_ netsim.Digester = (*appendMsg)(nil)
	_ netsim.Message  = (*outgoing)(nil)
	_ netsim.Message  = (*small)(nil)
	_ netsim.Message  = (*heartbeat)(nil)
	_ netsim.Message  = (*appendMsg)(nil)
)
