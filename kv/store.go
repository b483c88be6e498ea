package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
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
	// it, and Put replaces the builder.
	data map[string]*strings.Builder
	// sessions maps each clerk to the highest sequence number applied for it. A clerk has
	// one operation outstanding at a time and numbers them in order, so a command with
	// Seq <= sessions[Client] is a retry of one already applied. Invariant: only Apply
	// changes it, and it never decreases.
	sessions map[int64]int64
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{data: map[string]*strings.Builder{}, sessions: map[int64]int64{}}
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
	dup := c.Seq <= s.sessions[c.Client]
	if !dup {
		s.sessions[c.Client] = c.Seq
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
			b := &strings.Builder{}
			b.Write(c.Value)
			s.data[string(c.Key)] = b
		}
	case OpAppend:
		if !dup {
			b := s.data[string(c.Key)]
			if b == nil {
				b = &strings.Builder{}
				s.data[string(c.Key)] = b
			}
			b.Write(c.Value)
		}
	}
	return Result{Duplicate: dup}
}

// Get reads a key from local state (for the deliberately broken local reads, and tests).
func (s *Store) Get(key string) string {
	if b := s.data[key]; b != nil {
		return b.String()
	}
	return ""
}

// LastSeq returns the highest sequence number applied for client.
func (s *Store) LastSeq(client int64) int64 { return s.sessions[client] }

// Len returns the number of keys.
func (s *Store) Len() int { return len(s.data) }

// Encode returns the store as snapshot bytes: the number of keys, each key and value as
// length-prefixed strings in key order, then the number of sessions, each client and
// sequence number in client order. Sorting makes the bytes a function of the state alone,
// never of Go's map iteration order.
func (s *Store) Encode() []byte {
	keys := make([]string, 0, len(s.data))
	size := 2 * binary.MaxVarintLen64
	for k, v := range s.data {
		keys = append(keys, k)
		size += len(k) + v.Len() + 4
	}
	sort.Strings(keys)
	clients := make([]int64, 0, len(s.sessions))
	for c := range s.sessions {
		clients = append(clients, c)
	}
	sort.Slice(clients, func(i, j int) bool { return clients[i] < clients[j] })
	b := make([]byte, 0, size+len(clients)*6)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		v := s.data[k].String()
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = binary.AppendUvarint(b, uint64(len(clients)))
	for _, c := range clients {
		b = binary.AppendUvarint(b, uint64(c))
		b = binary.AppendUvarint(b, uint64(s.sessions[c]))
	}
	return b
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
		k := d.str()
		v := &strings.Builder{}
		v.WriteString(d.str())
		s.data[k] = v
	}
	n = d.uvarint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		c := int64(d.uvarint())
		s.sessions[c] = int64(d.uvarint())
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("kv: %d trailing bytes in snapshot", len(d.b))
	}
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

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errShortSnapshot
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
