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
//     every vote request): 32 bytes and no pointers, so the garbage collector never scans
//     it;
//   - heartbeat: a MsgApp without entries (a heartbeat, a commit index or a probe): 24 bytes
//     and no pointers;
//   - appendForm: a MsgApp with entries (contiguous after PrevIndex, as the core sends
//     them), 40 bytes with its digest, and the entries packed after it, in the same
//     allocation up to 216 bytes of them (wireappend.go). A raft.Message clone takes 160
//     bytes, or 208 with one entry, plus 40 for each further entry and the commands; a
//     leader that resends a backlog sends tens of entries.
//   - anything else (MsgSnap, and any message a form cannot hold): a raft.Message, as
//     raft.Message.Clone makes it.
//
// The forms hold terms, indexes and node IDs as int32 (small: node IDs as a byte), and
// are chosen only for a message whose every field fits (a simulated run never comes near
// 2^31 entries or terms, nor a cluster near 256 peers): with the
// int fields of 8 bytes, a response was an 80-byte allocation, a heartbeat 48 and an
// appendForm's head 80, and responses are half of a Raft scenario's messages.
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
func (o *outgoing) Clone() any { return wireForm(o.msg(), nil) }

// wireForm is m in the smallest wire form that holds it, sharing no memory with it; an
// appendForm's digest takes the commands' CRCs from crcs if not nil (messageDigest).
func wireForm(m *raft.Message, crcs *commandCRCs) any {
	if fitsInt32(m.From) && fitsInt32(m.To) && fitsInt32(m.Term) && fitsInt32(m.PrevIndex) &&
		m.Data == nil && m.Snapshot == (raft.SnapshotMeta{}) {
		if m.Entries == nil && m.PrevTerm == 0 && m.Commit == 0 {
			if fitsUint8(m.From) && fitsUint8(m.To) && fitsInt32(m.LastLogIndex) && fitsInt32(m.LastLogTerm) &&
				fitsInt32(m.ConflictIndex) && fitsInt32(m.ConflictTerm) && fitsInt32(m.MatchIndex) {
				return &small{typ: m.Type, flags: smallFlags(m.Granted, m.Success), from: uint8(m.From), to: uint8(m.To),
					term: int32(m.Term), lastLogIndex: int32(m.LastLogIndex), lastLogTerm: int32(m.LastLogTerm),
					prevIndex: int32(m.PrevIndex), conflictIndex: int32(m.ConflictIndex),
					conflictTerm: int32(m.ConflictTerm), matchIndex: int32(m.MatchIndex)}
			}
			return m.Clone()
		}
		if m.Type == raft.MsgApp && !m.Granted && !m.Success && m.LastLogIndex == 0 && m.LastLogTerm == 0 &&
			m.ConflictIndex == 0 && m.ConflictTerm == 0 && m.MatchIndex == 0 && fitsInt32(m.PrevTerm) &&
			fitsInt32(m.Commit) && fitsInt32(m.PrevIndex+len(m.Entries)) {
			if m.Entries == nil {
				return &heartbeat{from: int32(m.From), to: int32(m.To), term: int32(m.Term), prevIndex: int32(m.PrevIndex),
					prevTerm: int32(m.PrevTerm), commit: int32(m.Commit)}
			}
			if form := packAppend(m, crcs); form != nil {
				return form
			}
		}
	}
	return m.Clone()
}

func fitsInt32(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

func fitsUint8(v int) bool { return v >= 0 && v <= math.MaxUint8 }

// small is a message without entries, snapshot, PrevTerm or Commit, between nodes whose
// Raft IDs fit a byte; no pointers. 32 bytes: a 32-byte allocation, where node IDs of 4
// bytes and a bool each for Granted and Success took 40, a 48-byte one, and a small is
// every response.
type small struct {
	typ           raft.MsgType
	flags         uint8 // smallGranted | smallSuccess
	from, to      uint8
	term          int32
	lastLogIndex  int32
	lastLogTerm   int32
	prevIndex     int32
	conflictIndex int32
	conflictTerm  int32
	matchIndex    int32
}

// Bits of small.flags.
const (
	smallGranted = 1 << iota
	smallSuccess
)

func smallFlags(granted, success bool) uint8 {
	var f uint8
	if granted {
		f |= smallGranted
	}
	if success {
		f |= smallSuccess
	}
	return f
}

func (s *small) granted() bool { return s.flags&smallGranted != 0 }
func (s *small) success() bool { return s.flags&smallSuccess != 0 }

func (s *small) message() raft.Message {
	return raft.Message{Type: s.typ, Granted: s.granted(), Success: s.success(), From: int(s.from), To: int(s.to),
		Term: int(s.term), LastLogIndex: int(s.lastLogIndex), LastLogTerm: int(s.lastLogTerm), PrevIndex: int(s.prevIndex),
		ConflictIndex: int(s.conflictIndex), ConflictTerm: int(s.conflictTerm), MatchIndex: int(s.matchIndex)}
}

// Size is the message's (raft.Message.Size).
func (s *small) Size() int { m := s.message(); return m.Size() }

// Digest is the message's (raft.Message.Digest), from s's fields in raft.Message.Digest's
// order, without building the 160-byte message first (TestWireFormsAreTheMessage).
func (s *small) Digest() uint64 {
	d := fnv(fnvOffset)
	d.int(int(s.typ)).int(int(s.from)).int(int(s.to)).int(int(s.term))
	d.int(int(s.lastLogIndex)).int(int(s.lastLogTerm)).bool(s.granted())
	d.int(int(s.prevIndex)).int(0).int(0).int(0) // PrevTerm, Commit, len(Entries)
	d.bool(s.success()).int(int(s.conflictIndex)).int(int(s.conflictTerm)).int(int(s.matchIndex))
	d.int(0).int(0).int(0) // Snapshot.Index, Snapshot.Term, len(Data)
	return uint64(d)
}

// String is the message's (raft.Message.String).
func (s *small) String() string { return s.message().String() }

// Clone copies s (a duplicate delivery).
func (s *small) Clone() any { c := *s; return &c }

// heartbeat is a MsgApp with no entries (nil); no pointers.
type heartbeat struct {
	from, to int32
	term     int32
	prevIndex,
	prevTerm int32
	commit int32
}

func (h *heartbeat) message() raft.Message {
	return raft.Message{Type: raft.MsgApp, From: int(h.from), To: int(h.to), Term: int(h.term), PrevIndex: int(h.prevIndex),
		PrevTerm: int(h.prevTerm), Commit: int(h.commit)}
}

// Size is the message's (raft.Message.Size).
func (h *heartbeat) Size() int { m := h.message(); return m.Size() }

// Digest is the message's (raft.Message.Digest), as small's is.
func (h *heartbeat) Digest() uint64 {
	d := fnv(fnvOffset)
	d.int(int(raft.MsgApp)).int(int(h.from)).int(int(h.to)).int(int(h.term))
	d.int(0).int(0).int(0) // LastLogIndex, LastLogTerm, Granted
	d.int(int(h.prevIndex)).int(int(h.prevTerm)).int(int(h.commit)).int(0)
	d.int(0).int(0).int(0).int(0) // Success, ConflictIndex, ConflictTerm, MatchIndex
	d.int(0).int(0).int(0)        // Snapshot.Index, Snapshot.Term, len(Data)
	return uint64(d)
}

// String is the message's (raft.Message.String).
func (h *heartbeat) String() string { return h.message().String() }

// Clone copies h (a duplicate delivery).
func (h *heartbeat) Clone() any { c := *h; return &c }

// fnv is raft.Message.Digest's accumulator: FNV-1a over integers, one multiply each.
type fnv uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (d *fnv) int(v int) *fnv {
	*d = (*d ^ fnv(uint64(v))) * fnvPrime
	return d
}

func (d *fnv) bool(b bool) *fnv {
	if b {
		return d.int(1)
	}
	return d.int(0)
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
	case *raft.Message:
		return *m
	}
	if a := asAppend(x); a != nil {
		return a.message(nil)
	}
	panic(fmt.Sprintf("raft: a peer received a %T, not a Raft message", x))
}

var (
	_ netsim.Digester = (*outgoing)(nil)
	_ netsim.Digester = (*small)(nil)
	_ netsim.Digester = (*heartbeat)(nil)
	_ netsim.Digester = (*appendMsg)(nil)
	_ netsim.Digester = (*append24)(nil)
	_ netsim.Digester = (*append56)(nil)
	_ netsim.Digester = (*append120)(nil)
	_ netsim.Digester = (*append216)(nil)
	_ netsim.Message  = (*outgoing)(nil)
	_ netsim.Digester = (*appendOut)(nil)
	_ netsim.Message  = (*appendOut)(nil)
	_ netsim.Message  = (*small)(nil)
	_ netsim.Message  = (*heartbeat)(nil)
	_ netsim.Message  = (*appendMsg)(nil)
	_ netsim.Message  = (*append24)(nil)
	_ netsim.Message  = (*append56)(nil)
	_ netsim.Message  = (*append120)(nil)
	_ netsim.Message  = (*append216)(nil)
	_ appendForm      = (*appendMsg)(nil)
	_ appendForm      = (*append24)(nil)
	_ appendForm      = (*append56)(nil)
	_ appendForm      = (*append120)(nil)
	_ appendForm      = (*append216)(nil)
)
