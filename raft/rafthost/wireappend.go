package rafthost

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/lockstep-dst/lockstep/raft"
)

// The wire form of an AppendEntries with entries (see wire.go): its fields (appendHead)
// and its entries packed into bytes: per entry its term (uvarint), its command's length
// plus one (uvarint; 0 is a nil command) and the command, not its index, which follows
// from PrevIndex. The receiver's entries are decoded from the bytes, their commands
// sharing them.
//
// Entries of up to 216 bytes packed (nearly every message: a kv command is some tens of
// bytes, and a leader sends a few at a time) travel inline, in an array sized so that the
// whole is an allocation size class (append24 to append216): the message is one
// allocation without pointers, which the garbage collector never scans. With the bytes in
// a slice of their own (appendMsg, kept for longer ones) it was two, one of them scanned,
// for every request a leader sends. Four sizes hold 99.8% of kv/Concurrent3A's
// AppendEntries and 96% of kv/SnapshotRecoverManyClients3B's; eleven, up to 1 KiB, did no
// better, and each is one more dynamic type at the network's type switches.

// appendForm is the wire form of an AppendEntries with entries, inline or not.
type appendForm interface {
	// message returns the message with its entries appended to dst.
	message(dst []raft.Entry) raft.Message
	head() *appendHead
	packed() []byte
}

// appendHead is a MsgApp with n entries (a non-nil slice, maybe empty), whose indexes are
// prevIndex+1, ..., prevIndex+n, but for the entries themselves.
type appendHead struct {
	from, to int32
	n        int32
	term     int32
	prevIndex,
	prevTerm int32
	commit int32
	used   int32 // the length of the packed entries
	// digest is the message's raft.Message.Digest, computed as it was packed: the sending
	// peer's appendOut hands it to the network, which digests what it is handed right after
	// cloning it, and digesting the packed form would decode every entry again.
	digest uint64
}

func (h *appendHead) head() *appendHead { return h }

// asAppend returns x as an appendForm, or nil if it is not one. A type switch on the
// concrete forms compares type words in line, where an assertion to the interface goes
// through the runtime's per-site cache, which takes a new type only on about one miss in
// a thousand: a follower asks this of every request it receives.
func asAppend(x any) appendForm {
	switch a := x.(type) {
	case *append24:
		return a
	case *append56:
		return a
	case *append120:
		return a
	case *append216:
		return a
	case *appendMsg:
		return a
	}
	return nil
}

// appendMsg holds entries whose packed bytes are too long for the inline forms.
type appendMsg struct {
	appendHead
	bytes []byte
}

func (a *appendMsg) packed() []byte { return a.bytes }

// append24, append56, append120 and append216 hold their entries' packed bytes in an
// array of their own, sized so that each is an allocation size class, the appendHead's 40
// bytes included (TestWireFormSizes). Types of their own, not one generic type: a generic
// type's methods reach the array through its dictionary, which cost more per message than
// the allocation saved.
type (
	append24 struct {
		appendHead
		buf [24]byte
	}
	append56 struct {
		appendHead
		buf [56]byte
	}
	append120 struct {
		appendHead
		buf [120]byte
	}
	append216 struct {
		appendHead
		buf [216]byte
	}
)

func (a *append24) packed() []byte  { return a.buf[:a.used] }
func (a *append56) packed() []byte  { return a.buf[:a.used] }
func (a *append120) packed() []byte { return a.buf[:a.used] }
func (a *append216) packed() []byte { return a.buf[:a.used] }

func (a *append24) message(dst []raft.Entry) raft.Message {
	return a.appendHead.message(a.packed(), dst)
}
func (a *append56) message(dst []raft.Entry) raft.Message {
	return a.appendHead.message(a.packed(), dst)
}
func (a *append120) message(dst []raft.Entry) raft.Message {
	return a.appendHead.message(a.packed(), dst)
}
func (a *append216) message(dst []raft.Entry) raft.Message {
	return a.appendHead.message(a.packed(), dst)
}

// Size is the message's (raft.Message.Size).
func (a *append24) Size() int  { return a.size(a.packed()) }
func (a *append56) Size() int  { return a.size(a.packed()) }
func (a *append120) Size() int { return a.size(a.packed()) }
func (a *append216) Size() int { return a.size(a.packed()) }

// String is the message's (raft.Message.String).
func (a *append24) String() string  { return a.message(nil).String() }
func (a *append56) String() string  { return a.message(nil).String() }
func (a *append120) String() string { return a.message(nil).String() }
func (a *append216) String() string { return a.message(nil).String() }

// Clone copies a, its entries with it (a duplicate delivery).
func (a *append24) Clone() any  { c := *a; return &c }
func (a *append56) Clone() any  { c := *a; return &c }
func (a *append120) Clone() any { c := *a; return &c }
func (a *append216) Clone() any { c := *a; return &c }

// packAppend returns m, a MsgApp with entries and only the fields an appendHead holds
// (wireForm checks them), in an appendForm that shares no memory with it, or nil if its
// entries do not follow PrevIndex (the core sends no other, but a form must hold the
// message exactly or not be chosen) or are too long to count in an int32. Its digest takes
// the commands' CRCs from crcs if not nil (messageDigest), in the pass that sizes the
// entries.
func packAppend(m *raft.Message, crcs *commandCRCs) any {
	ents := m.Entries
	h := appendHead{from: int32(m.From), to: int32(m.To), n: int32(len(ents)), term: int32(m.Term),
		prevIndex: int32(m.PrevIndex), prevTerm: int32(m.PrevTerm), commit: int32(m.Commit)}
	// raft.Message.DigestWith (messageDigest), field by field, for the fields a MsgApp in
	// this form has, in the pass that sizes the entries: calling messageDigest walked them a
	// second time, 0.5-0.7% of kv/Concurrent3A's and SnapshotRecoverManyClients3B's
	// instructions. TestAppendMsgIsTheMessage and TestAppendOutIsTheMessage hold it to
	// DigestWith's.
	d := fnv(fnvOffset)
	d.int(int(raft.MsgApp)).int(m.From).int(m.To).int(m.Term)
	d.int(0).int(0).int(0) // LastLogIndex, LastLogTerm, Granted
	d.int(m.PrevIndex).int(m.PrevTerm).int(m.Commit).int(len(ents))
	size := 0
	for i := range ents {
		e := &ents[i]
		if e.Index != m.PrevIndex+1+i {
			return nil
		}
		l := len(e.Command)
		if uint(e.Term) < 0x80 && uint(l) < 0x7f {
			size += 2 + l // a term and a length of a byte each, without uvarintLen's loops
		} else {
			size += uvarintLen(uint64(e.Term)) + uvarintLen(uint64(l)+1) + l
		}
		d.int(e.Term).int(e.Index).int(l)
		if l > 0 {
			if crcs != nil {
				s := crcs.slot(e.Index) // crcs.of(e.Index, e.Command), in line
				if !s.holds(e.Command) {
					s.fill(e.Command)
				}
				d.int(int(s.crc))
			} else {
				d.int(int(raft.Checksum(e.Command)))
			}
		}
	}
	if size > math.MaxInt32 {
		return nil
	}
	d.int(0).int(0).int(0).int(0) // Success, ConflictIndex, ConflictTerm, MatchIndex
	d.int(0).int(0).int(0)        // Snapshot.Index, Snapshot.Term, len(Data)
	h.used, h.digest = int32(size), uint64(d)
	switch {
	case size <= len(append24{}.buf):
		a := &append24{appendHead: h}
		packEntries(a.buf[:], ents)
		return a
	case size <= len(append56{}.buf):
		a := &append56{appendHead: h}
		packEntries(a.buf[:], ents)
		return a
	case size <= len(append120{}.buf):
		a := &append120{appendHead: h}
		packEntries(a.buf[:], ents)
		return a
	case size <= len(append216{}.buf):
		a := &append216{appendHead: h}
		packEntries(a.buf[:], ents)
		return a
	}
	b := make([]byte, size)
	packEntries(b, ents)
	return &appendMsg{appendHead: h, bytes: b}
}

// putShort is copy(b, cmd) for a command of at most 16 bytes that b has room for, in
// line rather than through a call to memmove: its first and its last 8 bytes for 8 to 16
// bytes, or 4 for 4 to 7, words that overlap in the middle (or, at 16 bytes, meet there)
// and together cover every byte (as raftcheck's sameCommand compares them); fewer than 4
// one by one.
func putShort(b []byte, cmd []byte) {
	n := len(cmd)
	switch {
	case n >= 8:
		binary.LittleEndian.PutUint64(b[n-8:], binary.LittleEndian.Uint64(cmd[n-8:]))
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(cmd))
	case n >= 4:
		binary.LittleEndian.PutUint32(b[n-4:], binary.LittleEndian.Uint32(cmd[n-4:]))
		binary.LittleEndian.PutUint32(b, binary.LittleEndian.Uint32(cmd))
	default:
		for i, c := range cmd {
			b[i] = c
		}
	}
}

// packEntries writes ents into b, which has room for them. A command of up to 16 bytes
// (kv's) is written by putShort: a call to memmove per command was a third of the loop.
func packEntries(b []byte, ents []raft.Entry) {
	o := 0
	for i := range ents {
		e := &ents[i]
		o = putUvarint(b, o, uint64(e.Term))
		if e.Command == nil {
			b[o] = 0
			o++
			continue
		}
		l := len(e.Command)
		o = putUvarint(b, o, uint64(l)+1)
		if l <= 16 {
			putShort(b[o:], e.Command)
			o += l
		} else {
			o += copy(b[o:], e.Command)
		}
	}
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

// putUvarint is binary.PutUvarint at b[o:], with the one-byte case in line, returning the
// offset after it.
func putUvarint(b []byte, o int, v uint64) int {
	if v < 0x80 {
		b[o] = byte(v)
		return o + 1
	}
	return o + binary.PutUvarint(b[o:], v)
}

// entries appends the entries packed in b to dst (an empty, non-nil slice for none):
// their commands are capped slices of b, so that an append to one cannot reach the next.
// dst grows once, and each entry is written in place, read from an offset into b: a
// follower decodes every entry it is sent, most of them more than once (a leader sends
// what a follower lacks until the follower's answer comes back).
func (h *appendHead) entries(b []byte, dst []raft.Entry) []raft.Entry {
	if dst == nil {
		dst = []raft.Entry{}
	}
	n := len(dst)
	dst = slices.Grow(dst, int(h.n))[:n+int(h.n)]
	ents, o := dst[n:], 0
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
		e.Term, e.Index = int(term), int(h.prevIndex)+1+i
		if l > 0 {
			end := o + int(l) - 1
			e.Command, o = b[o:end:end], end
		} else {
			e.Command = nil
		}
	}
	return dst
}

// message returns the message whose entries are packed in b, its entries appended to dst.
func (h *appendHead) message(b []byte, dst []raft.Entry) raft.Message {
	return raft.Message{Type: raft.MsgApp, From: int(h.from), To: int(h.to), Term: int(h.term), PrevIndex: int(h.prevIndex),
		PrevTerm: int(h.prevTerm), Entries: h.entries(b, dst), Commit: int(h.commit)}
}

// sizeEntries is room on the stack for the entries size decodes.
const sizeEntries = 8

// size is raft.Message.Size of the message whose entries are packed in b.
func (h *appendHead) size(b []byte) int {
	var buf [sizeEntries]raft.Entry
	m := h.message(b, buf[:0])
	return m.Size()
}

// Digest is the message's (raft.Message.Digest), computed when it was packed
// (TestAppendMsgIsTheMessage checks that what arrives is that message).
func (h *appendHead) Digest() uint64 { return h.digest }

func (a *appendMsg) message(dst []raft.Entry) raft.Message { return a.appendHead.message(a.bytes, dst) }

// Size is the message's (raft.Message.Size).
func (a *appendMsg) Size() int { return a.size(a.bytes) }

// String is the message's (raft.Message.String).
func (a *appendMsg) String() string { return a.message(nil).String() }

// Clone copies a and its entries (a duplicate delivery).
func (a *appendMsg) Clone() any {
	c := *a
	c.bytes = append([]byte(nil), a.bytes...)
	return &c
}
