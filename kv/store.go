package kv

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Store is the replicated state machine: the key/value map and the duplicate table. Every
// replica applies the same committed commands in the same order to its Store, so every
// field here is replicated state, and a snapshot carries all of it.
//
// The duplicate table must be replicated state, in the snapshot, and not a per-server
// structure. Counterexample for a per-server table (the UnsafeVolatileDedup variant in
// broken_test.go): a clerk's Append c#7 commits at index 40 on leader S1, whose reply is
// lost when every server crashes; S1 restarts from a snapshot at 45 (covering 40) with an
// empty table; the clerk retries c#7, S1 proposes it again at 52, and every replica that
// restored the same snapshot applies the Append a second time.
type Store struct {
	// data holds each key's value in a builder of its own, so that an Append costs the
	// length of what it appends: the 6.824 workloads append to one key every other
	// operation, and as a string each Append copied the whole value (kilobytes) on every
	// replica. A string a builder returned never changes: the builder only appends beyond
	// it, and Put replaces the builder's contents by resetting it (Reset drops the buffer
	// rather than overwriting it).
	data map[string]*entry
	// sessions maps each clerk to the highest sequence number applied for it. A clerk has
	// one operation outstanding at a time and numbers them in order, so a command with
	// Seq <= sessions[Client].seq is a retry of one already applied. Invariant: only Apply
	// changes it, and it never decreases.
	sessions map[int64]*session

	// entries and clients list data's entries and sessions' clients, in the order Encode
	// writes them (by key, by client) while sorted is true. Keys and clients are only
	// ever added, rarely, while the servers of kv's 3B scenarios snapshot every few
	// dozen commands: Encode sorts the lists only when something was added since it last
	// did, where sorting both maps' keys on every snapshot was half of its cost.
	entries []*entry
	clients []*session
	sorted  bool
}

// session is one clerk's entry in the duplicate table.
type session struct{ client, seq int64 }

// entry is one key and its value.
type entry struct {
	key string
	val strings.Builder
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{data: map[string]*entry{}, sessions: map[int64]*session{}, sorted: true}
}

// Result is what applying one command produced.
type Result struct {
	Value     string // Get: the value at the command's point in the log
	Duplicate bool   // a retry of an operation already applied: it changed nothing
}

// Apply applies one committed command. A Put or Append whose sequence number was already
// applied for its client is not applied again; a Get is always answered, being a read.
func (s *Store) Apply(c Command) Result { return s.apply(c.view()) }

func (s *Store) apply(c commandView) Result {
	if c.Op == OpNoop {
		return Result{}
	}
	ses := s.sessions[c.Client]
	var last int64 // an unknown clerk's
	if ses != nil {
		last = ses.seq
	}
	dup := c.Seq <= last
	if !dup {
		if ses == nil {
			ses = s.session(c.Client)
		}
		ses.seq = c.Seq
	}
	return s.applyUnchecked(c, dup)
}

// ApplyUnchecked applies c without consulting the duplicate table; a write marked dup is
// skipped. It exists for the deliberately broken server that keeps its duplicate table
// outside the store.
func (s *Store) ApplyUnchecked(c Command, dup bool) Result { return s.applyUnchecked(c.view(), dup) }

func (s *Store) applyUnchecked(c commandView, dup bool) Result {
	switch c.Op {
	case OpGet:
		return Result{Value: s.Get(string(c.Key)), Duplicate: dup}
	case OpPut:
		if !dup {
			e := s.entry(c.Key)
			e.val.Reset()
			e.val.Write(c.Value)
		}
	case OpAppend:
		if !dup {
			s.entry(c.Key).val.Write(c.Value)
		}
	}
	return Result{Duplicate: dup}
}

// entry returns key's entry, adding an empty one if the key is new.
func (s *Store) entry(key []byte) *entry {
	if e := s.data[string(key)]; e != nil {
		return e
	}
	e := &entry{key: string(key)}
	s.data[e.key] = e
	s.entries = append(s.entries, e)
	s.sorted = false
	return e
}

// Get reads a key from local state (for the deliberately broken local reads, and tests).
func (s *Store) Get(key string) string {
	if e := s.data[key]; e != nil {
		return e.val.String()
	}
	return ""
}

// LastSeq returns the highest sequence number applied for client.
func (s *Store) LastSeq(client int64) int64 {
	if ses := s.sessions[client]; ses != nil {
		return ses.seq
	}
	return 0
}

// session returns client's session, adding one (sequence number 0) if the client is new.
func (s *Store) session(client int64) *session {
	if ses := s.sessions[client]; ses != nil {
		return ses
	}
	ses := &session{client: client}
	s.sessions[client] = ses
	s.clients = append(s.clients, ses)
	s.sorted = false
	return ses
}

// Len returns the number of keys.
func (s *Store) Len() int { return len(s.data) }

// Encode returns the store as snapshot bytes: the number of keys, each key and value as
// length-prefixed strings in key order, then the number of sessions, each client and
// sequence number in client order. Sorting makes the bytes a function of the state alone,
// never of Go's map iteration order.
func (s *Store) Encode() []byte {
	if !s.sorted {
		slices.SortFunc(s.entries, func(a, b *entry) int { return strings.Compare(a.key, b.key) })
		slices.SortFunc(s.clients, bySessionClient)
		s.sorted = true
	}
	// The exact size, so that the snapshot is one allocation that Raft can keep as it is.
	size := uvarintLen(uint64(len(s.entries))) + uvarintLen(uint64(len(s.clients)))
	for _, e := range s.entries {
		size += uvarintLen(uint64(len(e.key))) + len(e.key) + uvarintLen(uint64(e.val.Len())) + e.val.Len()
	}
	for _, c := range s.clients {
		size += uvarintLen(uint64(c.client)) + uvarintLen(uint64(c.seq))
	}
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(s.entries)))
	for _, e := range s.entries {
		v := e.val.String()
		b = binary.AppendUvarint(b, uint64(len(e.key)))
		b = append(b, e.key...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = binary.AppendUvarint(b, uint64(len(s.clients)))
	for _, c := range s.clients {
		b = binary.AppendUvarint(b, uint64(c.client))
		b = binary.AppendUvarint(b, uint64(c.seq))
	}
	return b
}

func bySessionClient(a, b *session) int { return cmp.Compare(a.client, b.client) }

// uvarintLen is the length of binary.AppendUvarint's encoding of v.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

var errShortSnapshot = errors.New("kv: truncated snapshot")

// DecodeStore rebuilds a store from Encode's bytes. Empty bytes are the empty store.
func DecodeStore(b []byte) (*Store, error) {
	s := NewStore()
	if len(b) == 0 {
		return s, nil
	}
	d := decoder{b: b}
	n := d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		e := s.entry(d.bytes()) // a key that repeats (not Encode's bytes) keeps its last value
		v := d.bytes()
		e.val.Reset()
		e.val.Grow(len(v))
		e.val.Write(v)
	}
	n = d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		ses := s.session(int64(d.uvarint())) // a client that repeats keeps its last number
		ses.seq = int64(d.uvarint())
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("kv: %d trailing bytes in snapshot", len(d.b))
	}
	// Encode's order, unless the bytes were not Encode's: then the next Encode sorts.
	s.sorted = slices.IsSortedFunc(s.entries, func(a, b *entry) int { return strings.Compare(a.key, b.key) }) &&
		slices.IsSortedFunc(s.clients, bySessionClient)
	return s, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShortSnapshot
		return 0
	}
	d.b = d.b[n:]
	return v
}

// bytes returns the next length-prefixed string, as a slice of the encoding.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShortSnapshot
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}
