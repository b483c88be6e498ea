package rafthost

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

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
//     every vote request): 40 bytes (a 48-byte allocation) and no pointers, so the garbage
//     collector never scans it;
//   - heartbeat: a MsgApp without entries (a heartbeat, a commit index or a probe): 24 bytes
//     and no pointers;
//   - appendMsg: a MsgApp with entries (contiguous after PrevIndex, as the core sends
//     them), 64 bytes with its digest and the entries encoded in one byte slice:
//     per entry its term and its command, not its index, which follows from PrevIndex. A
//     raft.Message clone takes 160 bytes, or 208 with one entry, plus 40 for each further
//     entry and the commands; a leader that resends a backlog sends tens of entries.
//   - anything else (MsgSnap, and any message a form cannot hold): a raft.Message, as
//     raft.Message.Clone makes it.
//
// The forms hold terms, indexes and node IDs as int32, and are chosen only for a message
// whose every field fits (a simulated run never comes near 2^31 entries or terms): with the
// int fields of 8 bytes, a response was an 80-byte allocation, a heartbeat 48 and an
// appendMsg 80, and responses are half of a Raft scenario's messages.
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
// appendMsg's digest takes the commands' CRCs from crcs if not nil (messageDigest).
func wireForm(m *raft.Message, crcs *commandCRCs) any {
	if fitsInt32(m.From) && fitsInt32(m.To) && fitsInt32(m.Term) && fitsInt32(m.PrevIndex) &&
		m.Data == nil && m.Snapshot == (raft.SnapshotMeta{}) {
		if m.Entries == nil && m.PrevTerm == 0 && m.Commit == 0 {
			if fitsInt32(m.LastLogIndex) && fitsInt32(m.LastLogTerm) && fitsInt32(m.ConflictIndex) &&
				fitsInt32(m.ConflictTerm) && fitsInt32(m.MatchIndex) {
				return &small{typ: m.Type, granted: m.Granted, success: m.Success, from: int32(m.From), to: int32(m.To),
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
			if packed, ok := packEntries(m.PrevIndex, m.Entries); ok {
				return &appendMsg{from: int32(m.From), to: int32(m.To), n: int32(len(m.Entries)), term: int32(m.Term),
					prevIndex: int32(m.PrevIndex), prevTerm: int32(m.PrevTerm), commit: int32(m.Commit), packed: packed,
					digest: messageDigest(m, crcs)}
			}
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
	term             int32
	lastLogIndex     int32
	lastLogTerm      int32
	prevIndex        int32
	conflictIndex    int32
	conflictTerm     int32
	matchIndex       int32
}

func (s *small) message() raft.Message {
	return raft.Message{Type: s.typ, Granted: s.granted, Success: s.success, From: int(s.from), To: int(s.to),
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
	d.int(int(s.lastLogIndex)).int(int(s.lastLogTerm)).bool(s.granted)
	d.int(int(s.prevIndex)).int(0).int(0).int(0) // PrevTerm, Commit, len(Entries)
	d.bool(s.success).int(int(s.conflictIndex)).int(int(s.conflictTerm)).int(int(s.matchIndex))
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

// appendMsg is a MsgApp with n entries (a non-nil slice, maybe empty), whose indexes are
// prevIndex+1, ..., prevIndex+n. packed holds, per entry, its term (uvarint), its command's
// length plus one (uvarint; 0 is a nil command) and the command: one allocation that
// shares no memory with the sender. The receiver's entries are decoded from it, their
// commands sharing its bytes.
type appendMsg struct {
	from, to int32
	n        int32
	term     int32
	prevIndex,
	prevTerm int32
	commit int32
	packed []byte
	// digest is the message's raft.Message.Digest, taken from the message it was packed
	// from: the network digests a request at each delivery, and digesting the packed form
	// decoded every entry again.
	digest uint64
}

// packEntries encodes ents for an appendMsg, if they are contiguous after prev (the core
// sends no other, but a form must hold the message exactly or not be chosen).
func packEntries(prev int, ents []raft.Entry) ([]byte, bool) {
	size := 0
	for i := range ents {
		if ents[i].Index != prev+1+i {
			return nil, false
		}
		size += uvarintLen(uint64(ents[i].Term)) + uvarintLen(uint64(len(ents[i].Command))+1) + len(ents[i].Command)
	}
	b := make([]byte, 0, size)
	for i := range ents {
		e := &ents[i]
		b = appendUvarint(b, uint64(e.Term))
		if e.Command == nil {
			b = append(b, 0)
			continue
		}
		b = appendUvarint(b, uint64(len(e.Command))+1)
		b = append(b, e.Command...)
	}
	return b, true // exactly size: capped
}

// uvarintLen is the length of v's uvarint encoding.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// uvarintAt is binary.Uvarint of b[o:] and the offset after it.
func uvarintAt(b []byte, o int) (uint64, int) {
	v, k := binary.Uvarint(b[o:])
	return v, o + k
}

// appendUvarint is binary.AppendUvarint with the one-byte case in line.
func appendUvarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return binary.AppendUvarint(b, v)
}

// entries appends a's entries to dst (an empty, non-nil slice for none): their commands
// are capped slices of packed, so that an append to one cannot reach the next. dst grows
// once, and each entry is written in place, read from an offset into packed: a follower
// decodes every entry it is sent, most of them more than once (a leader sends what a
// follower lacks until the follower's answer comes back).
func (a *appendMsg) entries(dst []raft.Entry) []raft.Entry {
	if dst == nil {
		dst = []raft.Entry{}
	}
	n := len(dst)
	dst = slices.Grow(dst, int(a.n))[:n+int(a.n)]
	ents, b, o := dst[n:], a.packed, 0
	for i := range ents {
		e := &ents[i]
		// uvarint's one-byte case written out: as a call it was a third of the loop.
		var term, l uint64
		if c := b[o]; c < 0x80 {
			term, o = uint64(c), o+1
		} else {
			term, o = uvarintAt(b, o)
		}
		if c := b[o]; c < 0x80 {
			l, o = uint64(c), o+1
		} else {
			l, o = uvarintAt(b, o)
		}
		e.Term, e.Index = int(term), int(a.prevIndex)+1+i
		if l > 0 {
			end := o + int(l) - 1
			e.Command, o = b[o:end:end], end
		} else {
			e.Command = nil
		}
	}
	return dst
}

// message returns the message with its entries appended to dst.
func (a *appendMsg) message(dst []raft.Entry) raft.Message {
	return raft.Message{Type: raft.MsgApp, From: int(a.from), To: int(a.to), Term: int(a.term), PrevIndex: int(a.prevIndex),
		PrevTerm: int(a.prevTerm), Entries: a.entries(dst), Commit: int(a.commit)}
}

// digestEntries is room on the stack for the entries Size, Digest and String decode.
const digestEntries = 8

// Size is the message's (raft.Message.Size).
func (a *appendMsg) Size() int {
	var buf [digestEntries]raft.Entry
	m := a.message(buf[:0])
	return m.Size()
}

// Digest is the message's (raft.Message.Digest), computed when it was packed
// (TestAppendMsgIsTheMessage checks that what arrives is that message).
func (a *appendMsg) Digest() uint64 { return a.digest }

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

// String is the message's (raft.Message.String).
func (a *appendMsg) String() string { return a.message(nil).String() }

// Clone copies a and its entries (a duplicate delivery).
func (a *appendMsg) Clone() any {
	c := *a
	c.packed = append([]byte(nil), a.packed...)
	return &c
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
		return m.message(nil)
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
	_ netsim.Digester = (*appendOut)(nil)
	_ netsim.Message  = (*appendOut)(nil)
	_ netsim.Message  = (*small)(nil)
	_ netsim.Message  = (*heartbeat)(nil)
	_ netsim.Message  = (*appendMsg)(nil)
)
