package raft

import "fmt"

// MsgType names the kind of a Message. Requests (MsgVote, MsgApp, MsgSnap) are each
// answered by exactly one response (MsgVoteResp, MsgAppResp, MsgSnapResp) addressed to
// the requester, so a host can map every request/response pair onto one RPC.
type MsgType uint8

// Message types. The zero value is invalid so that a forgotten Type is caught.
const (
	MsgVote     MsgType = iota + 1 // RequestVote (§5.2)
	MsgVoteResp                    // RequestVote reply
	MsgApp                         // AppendEntries, also the heartbeat (§5.3)
	MsgAppResp                     // AppendEntries reply
	MsgSnap                        // InstallSnapshot (§7)
	MsgSnapResp                    // InstallSnapshot reply
)

var msgTypeNames = [...]string{
	MsgVote:     "MsgVote",
	MsgVoteResp: "MsgVoteResp",
	MsgApp:      "MsgApp",
	MsgAppResp:  "MsgAppResp",
	MsgSnap:     "MsgSnap",
	MsgSnapResp: "MsgSnapResp",
}

// String returns the constant's name, e.g. "MsgApp".
func (t MsgType) String() string {
	if t > 0 && int(t) < len(msgTypeNames) {
		return msgTypeNames[t]
	}
	return fmt.Sprintf("MsgType(%d)", int(t))
}

// IsRequest reports whether t is a request that must be answered by exactly one response.
func (t MsgType) IsRequest() bool { return t == MsgVote || t == MsgApp || t == MsgSnap }

// ResponseType returns the type of the response that answers the request type t.
func (t MsgType) ResponseType() MsgType {
	switch t {
	case MsgVote:
		return MsgVoteResp
	case MsgApp:
		return MsgAppResp
	case MsgSnap:
		return MsgSnapResp
	}
	panic(fmt.Sprintf("raft: %v is not a request", t))
}

// Message is every message the core sends or receives. Which fields are meaningful depends
// on Type; the others are zero.
//
// The network copies every message it carries, so the fields are laid out to keep a
// Message small (160 bytes): the type and the two flags share one word.
type Message struct {
	Type    MsgType
	Granted bool // MsgVoteResp
	Success bool // MsgAppResp (see below)

	From int
	To   int
	Term int // sender's current term

	// MsgVote: the candidate's last log position, for the election restriction (§5.4.1).
	LastLogIndex int
	LastLogTerm  int

	// MsgApp: consistency check position, entries to append after it, leader's commit.
	// MsgAppResp echoes PrevIndex of the request it answers so that the leader can tell a
	// stale rejection from a current one.
	PrevIndex int
	PrevTerm  int
	Entries   []Entry
	Commit    int

	// MsgAppResp. On Success, MatchIndex is the highest index known to match the leader's
	// log. On rejection, ConflictTerm/ConflictIndex drive the fast backup of the 6.824
	// guide: ConflictTerm is the follower's term at PrevIndex (-1 if its log is too short)
	// and ConflictIndex is the first index it holds of that term (its last index + 1 if
	// the log is too short). MsgSnapResp uses MatchIndex too.
	ConflictIndex int
	ConflictTerm  int
	MatchIndex    int

	// MsgSnap: the leader's whole snapshot.
	Snapshot SnapshotMeta
	Data     []byte
}

// msgHeaderSize approximates the fixed fields of a Message on a wire.
const (
	msgHeaderSize   = 40
	entryHeaderSize = 16
)

// Size returns the approximate wire size of m in bytes: a fixed header, plus a small
// header and the command bytes of every entry, plus the snapshot data. The simulated
// network uses it for byte accounting (6.824 TestRPCBytes2B).
func (m *Message) Size() int {
	n := msgHeaderSize + len(m.Data)
	for i := range m.Entries {
		n += entryHeaderSize + len(m.Entries[i].Command)
	}
	return n
}

// Clone returns a deep copy of m as a *Message that shares no memory with m: the entries
// slice, every command and the snapshot data are copied. The simulated network clones every
// message it carries, so a sender mutating after a send cannot change what is received.
func (m *Message) Clone() any {
	var c *Message
	switch len(m.Entries) {
	case 1:
		// The commonest MsgApp (one proposal, or a follower that keeps up) carries one
		// entry: the message and its entry are one allocation.
		h := &messageWithEntry{m: *m}
		c = &h.m
		c.Entries = h.e[:]
	default:
		cc := *m
		c = &cc
		if m.Entries != nil {
			c.Entries = make([]Entry, len(m.Entries))
		}
	}
	if m.Entries != nil {
		CopyEntries(c.Entries, m.Entries)
	}
	c.Data = cloneBytes(m.Data)
	return c
}

// CopyEntries sets dst[i] to a copy of src[i] for every i (dst is at least as long as src)
// that shares no memory with src: every command is copied into one new buffer, a single
// allocation for all of them (a backlog append carries hundreds, and the network copies
// each message it carries). Each command is capped, so that an append to one never
// reaches the next; a nil command stays nil. Clone uses it, and so do the wire forms of
// the Raft host.
func CopyEntries(dst, src []Entry) {
	n := 0
	for i := range src {
		n += len(src[i].Command)
	}
	buf := make([]byte, 0, n)
	for i, e := range src {
		var cmd []byte
		if e.Command != nil {
			start := len(buf)
			buf = append(buf, e.Command...)
			cmd = buf[start:len(buf):len(buf)]
		}
		dst[i] = Entry{Term: e.Term, Index: e.Index, Command: cmd}
	}
}

// messageWithEntry is a Message with room for one entry (see Clone). The receiver copies
// the entry into its own log, so nothing keeps the pair alive after the message is stepped.
type messageWithEntry struct {
	m Message
	e [1]Entry
}

// Digest returns a 64-bit digest of m's contents: every field, the entries' commands and
// the snapshot data. The simulated network folds it into the run's trace hash when it
// delivers m, so two runs that carry different contents differ in hash. FNV-1a style, one
// multiply per integer field, byte strings by their CRC-32C.
func (m *Message) Digest() uint64 { return m.DigestWith(nil) }

// DigestWith is Digest with each entry's command CRC-32C taken from commandCRC(index,
// command), which must return Checksum(command), or computed if commandCRC is nil: a host
// that sends one entry to several peers, and again when it resends, checksums each command
// once.
func (m *Message) DigestWith(commandCRC func(index int, command []byte) uint32) uint64 {
	d := digest(14695981039346656037)
	d.int(int(m.Type)).int(m.From).int(m.To).int(m.Term)
	d.int(m.LastLogIndex).int(m.LastLogTerm).bool(m.Granted)
	d.int(m.PrevIndex).int(m.PrevTerm).int(m.Commit).int(len(m.Entries))
	for i := range m.Entries {
		e := &m.Entries[i]
		d.int(e.Term).int(e.Index)
		if commandCRC == nil || len(e.Command) == 0 {
			d.bytes(e.Command)
		} else {
			d.int(len(e.Command)).int(int(commandCRC(e.Index, e.Command)))
		}
	}
	d.bool(m.Success).int(m.ConflictIndex).int(m.ConflictTerm).int(m.MatchIndex)
	d.int(m.Snapshot.Index).int(m.Snapshot.Term).bytes(m.Data)
	return uint64(d)
}

// digest is an FNV-1a accumulator over integers and byte strings. A byte string is
// prefixed by its length, so that adjacent fields cannot trade bytes.
type digest uint64

const fnvPrime = 1099511628211

func (d *digest) int(v int) *digest {
	*d = (*d ^ digest(uint64(v))) * fnvPrime
	return d
}

func (d *digest) bool(b bool) *digest {
	if b {
		return d.int(1)
	}
	return d.int(0)
}

// The bytes themselves go in as their CRC-32C (Checksum): a byte-wise FNV over snapshot
// data and backlogs of commands was several percent of a run.
func (d *digest) bytes(b []byte) *digest {
	d.int(len(b))
	if len(b) > 0 {
		d.int(int(Checksum(b)))
	}
	return d
}

// String formats m compactly for traces.
func (m Message) String() string {
	s := fmt.Sprintf("%v %d->%d t%d", m.Type, m.From, m.To, m.Term)
	switch m.Type {
	case MsgVote:
		s += fmt.Sprintf(" last=%d/t%d", m.LastLogIndex, m.LastLogTerm)
	case MsgVoteResp:
		s += fmt.Sprintf(" granted=%v", m.Granted)
	case MsgApp:
		s += fmt.Sprintf(" prev=%d/t%d n=%d commit=%d", m.PrevIndex, m.PrevTerm, len(m.Entries), m.Commit)
	case MsgAppResp:
		if m.Success {
			s += fmt.Sprintf(" ok match=%d", m.MatchIndex)
		} else {
			s += fmt.Sprintf(" reject prev=%d conflict=%d/t%d", m.PrevIndex, m.ConflictIndex, m.ConflictTerm)
		}
	case MsgSnap:
		s += fmt.Sprintf(" snap=%d/t%d bytes=%d", m.Snapshot.Index, m.Snapshot.Term, len(m.Data))
	case MsgSnapResp:
		s += fmt.Sprintf(" match=%d", m.MatchIndex)
	}
	return s
}

// cloneBytes copies b, keeping nil as nil.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
