package kv

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"unsafe"

	"github.com/lockstep-dst/lockstep/raft"
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
	// keys finds each key's entry, which holds its value in a growing array of its own
	// (once written; see entry), so that an Append costs the length of what it appends:
	// the 6.824 workloads append to one key every other operation, and as a string each
	// Append copied the whole value (kilobytes) on every replica.
	keys keyTable
	// byClient holds the sessions of the client ids below maxIndexedClient, by id (nil:
	// no session), and far those of any other id (nil until there is one): kv's clerks
	// are numbered from 1, and a map's lookup on every applied command was 0.8% of
	// kv/SnapshotRecoverManyClients3B's instructions. A session maps its clerk to the
	// highest sequence number applied for it. A clerk has one operation outstanding at a
	// time and numbers them in order, so a command with Seq <= that number is a retry of
	// one already applied. Invariant: only apply changes a session, and its number never
	// decreases.
	byClient []*session
	far      map[int64]*session

	// entries and clients list every key's entry and every client's session, in the
	// order Encode writes them (by key, by client) while sorted is true. Keys and clients are only
	// ever added, rarely, while the servers of kv's 3B scenarios snapshot every few
	// dozen commands: Encode sorts the lists only when something was added since it last
	// did, where sorting both maps' keys on every snapshot was half of its cost.
	entries []*entry
	clients []*session
	sorted  bool
	// sessions is Encode's bytes for the sessions (their number, then each client and
	// sequence number), kept as apply changes them unless stale: apply writes a new
	// sequence number over the old one when it takes as many bytes, which it nearly
	// always does, and Encode rebuilds the bytes only when one did not, or a client was
	// added, since the last time (encodeSessions), where writing every session on
	// every snapshot was a third of Encode's instructions.
	sessions []byte
	stale    bool
	// size is the length of Encode's bytes for the entries and sessions, without the two
	// counts: kept as they change (entry.size, session.size), where summing it over every
	// key and client on every snapshot was almost half of Encode's own instructions.
	size int
}

// session is one clerk's entry in the duplicate table.
type session struct {
	client, seq int64
	// at is the log index at which this store applied seq (0: unknown, before the
	// snapshot the store was restored from), for the server's probes: it is not part of
	// the replicated state, and Encode leaves it out.
	at int
	// off is where seq is in the store's sessions, unless they are stale, and w is the
	// length of seq's encoding.
	off, w int
}

// entry is one key and its value, held as the entry's part of a snapshot: img[head:] is
// the key's length, the key, the value's length and the value, as Encode writes them, and
// the value is img[vstart:]. Encode then copies each entry in one piece, where writing its
// four parts in turn was most of Encode's instructions (the servers of
// kv/SnapshotRecoverManyClients3B snapshot their whole store every 25 commands). The
// value's length in the header is written when an array is laid out (own), and after that
// only when Encode needs it (see header): an Append only appends, and Encode writes the
// lengths of the entries that changed since its last snapshot (in
// kv/SnapshotRecoverManyClients3B a fifth fewer than the Appends; none in the scenarios
// that never snapshot).
//
// A store restored from a snapshot holds every entry as a substring of the snapshot (of
// Raft's bytes themselves, or of a copy: see restoreStore), read-only (wide 0), but for
// those whose arrays a follower restoring over its own store keeps (Store.restore): a
// follower that installs a snapshot, or a server that restarts, then allocates once for
// all of them, or not at all, instead of once per key, and an entry moves into an array
// of its own at its first Append or Put. The bytes live as long as the store's keys: one
// snapshot's bytes per store.
//
// A value the entry returned (value) is never written again, as the reply that carries it
// goes to another node: an Append (or a restore that keeps the array, entry.restore) writes
// past the end of the value, or moves the entry to a new array, leaving the old one to
// whoever reads it; a Put moves to a new array; and the rewritten header (see header) is
// before vstart, outside every value.
type entry struct {
	key                 string
	hash                uint64 // keyHash(key), set by keyTable.add
	img                 []byte
	head, lenAt, vstart int // img[lenAt:vstart] is the value's length
	// written is the value's length as the header says it.
	written int
	// wide is, if img's array is the entry's own (laid out as own does), the shortest
	// length that takes more bytes than img[lenAt:vstart]; else 0: img is read-only.
	wide int
	// sum is the CRC-32C of the value's first summed bytes (see checksum).
	sum, summed uint32
}

// len is the length of the entry's value.
func (e *entry) len() int { return len(e.img) - e.vstart }

// size is the length of the entry's encoding in a snapshot (see Store.Encode).
func (e *entry) size() int { return keySize(e.key) + valueSize(e.len()) }

// keySize is the length of the encoding of key.
func keySize(key string) int { return uvarintLen(uint64(len(key))) + len(key) }

// valueSize is the length of the encoding of a value of n bytes.
func valueSize(n int) int { return uvarintLen(uint64(n)) + n }

// size is the length of the session's encoding in a snapshot (see Store.Encode).
func (ses *session) size() int {
	return uvarintLen(uint64(ses.client)) + ses.w
}

// value is the entry's value.
func (e *entry) value() string {
	v := e.img[e.vstart:]
	return unsafe.String(unsafe.SliceData(v), len(v))
}

// put sets the value to v.
func (e *entry) put(v []byte) {
	e.own("", v, 0)
	e.sum, e.summed = 0, 0
}

// checksum returns the value's CRC-32C (raft.Checksum) if the value is longer than 16
// bytes, which is how a reply's digest hashes it (hashString), else 0: the sum of the
// bytes appended since the last time over the sum kept of those before, rather than of
// the whole value (kilobytes) for every Get the leader answers, which was 2.0 M of the
// 457 M instructions of kv/SnapshotRecoverManyClients3B (seeds 1-3); this is 0.3 M. 0
// also for a value of 4 GB or more, whose length summed cannot hold.
func (e *entry) checksum() uint32 {
	n := e.len()
	if n <= 16 || n > math.MaxUint32 {
		return 0
	}
	if uint32(n) != e.summed {
		e.sum = raft.UpdateChecksum(e.sum, e.img[len(e.img)-n+int(e.summed):])
		e.summed = uint32(n)
	}
	return e.sum
}

// append appends v to the value. (Small enough to inline in applyUnchecked, which calls
// it for every Append: the first append to a read-only entry is apart, ownAppend.)
func (e *entry) append(v []byte) {
	if e.wide == 0 {
		e.ownAppend(v)
		return
	}
	e.img = append(e.img, v...)
}

// ownAppend is append for a read-only entry: into an array of its own with the value (the
// one copy of a restored value it ever makes, as a growing array would have copied the
// value when it grew), with room for the next few appends: a key appended to once after a
// restore is appended to again, and an exact fit made the next Append copy the value a
// second time; append grows the array once they outgrow it. Room for as much again as the
// value (what append leaves when it grows a small array) made
// kv/SnapshotRecoverManyClients3B allocate 2% more bytes, and the other kv/*3B scenarios up
// to 0.9% more (measured with the strings.Builder an entry was).
//
//go:noinline
func (e *entry) ownAppend(v []byte) { e.own(e.value(), v, appendRoom) }

// appendRoom is the room in bytes past its value that an entry's first append leaves
// (a restored entry's, or a new key's: see entry.append).
const appendRoom = 64

// own moves the entry into a new array of its own holding the value a followed by b, with
// room for room more bytes of value. An owned array starts with the key's length and the
// key, then room for the value's length, written right before the value at vstart: one
// byte more than the length needs at the array's capacity for the value, which holds any
// length up to 128 times that capacity (a value that outgrows it moves again: see
// header).
func (e *entry) own(a string, b []byte, room int) {
	n := len(a) + len(b)
	vstart := keySize(e.key) + uvarintLen(uint64(n+room)) + 1
	img := make([]byte, vstart, vstart+n+room)
	img = append(img, a...)
	e.img, e.vstart = append(img, b...), vstart
	e.wide = 0 // no header yet: header lays it out
	e.header(n)
}

// header writes the value's length, n, in the header of an owned entry (a new array's, or
// where Encode finds it differs from written): over the one written if it takes as many
// bytes, which it nearly always does, else right before vstart, with the key's length and
// the key moved to before it.
func (e *entry) header(n int) {
	if n < e.wide {
		putUvarint(e.img[e.lenAt:e.vstart], uint64(n))
		e.written = n
		return
	}
	w := uvarintLen(uint64(n))
	e.lenAt = e.vstart - w
	e.head = e.lenAt - keySize(e.key)
	if e.head < 0 { // a length longer than the room own left for it
		e.own(e.value(), nil, 0)
		return
	}
	k := binary.PutUvarint(e.img[e.head:], uint64(len(e.key)))
	copy(e.img[e.head+k:], e.key)
	putUvarint(e.img[e.lenAt:e.vstart], uint64(n))
	e.written, e.wide = n, 1<<min(7*w, 62) // (a length of 2^62 bytes is past any memory)
}

// putUvarint is binary.PutUvarint into b, whose length is the encoding's, with the one- and
// two-byte cases (every value's length below 16 KB) written without its loop.
func putUvarint(b []byte, v uint64) {
	switch len(b) {
	case 1:
		b[0] = byte(v)
	case 2:
		b[0], b[1] = byte(v)|0x80, byte(v>>7)
	default:
		binary.PutUvarint(b, v)
	}
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{sorted: true, stale: true} }

// Result is what applying one command produced.
type Result struct {
	Value     string // Get: the value at the command's point in the log
	Duplicate bool   // a retry of an operation already applied: it changed nothing
	// sum is, for a Get, the value's CRC-32C or 0 (see entry.checksum), for the reply's
	// digest.
	sum uint32
	// firstAt is, for a duplicate, the log index at which the store applied its client's
	// latest operation (0: unknown; see session), for the server's probes.
	firstAt int
}

// Apply applies one committed command. A Put or Append whose sequence number was already
// applied for its client is not applied again; a Get is always answered, being a read.
func (s *Store) Apply(c Command) Result {
	v := c.view()
	return s.apply(&v, 0, true)
}

// apply applies c, the command at log index index (0: unknown). A Get's value is read
// only if read is set: only the replica that answers the Get needs it, and the others
// skip a lookup of the key (a Get still updates the duplicate table on every replica).
// c is a pointer, as every replica applies every command: the view is nine words.
func (s *Store) apply(c *commandView, index int, read bool) Result {
	if c.Op == OpNoop {
		return Result{}
	}
	ses := s.lookup(c.Client)
	var last int64 // an unknown clerk's
	if ses != nil {
		last = ses.seq
	}
	if c.Seq <= last { // a duplicate
		res := s.applyUnchecked(c, true, read)
		if ses != nil {
			res.firstAt = ses.at
		}
		return res
	}
	if ses == nil {
		ses = s.session(c.Client)
	}
	if w := uvarintLen(uint64(c.Seq)); w != ses.w {
		s.size += w - ses.w
		ses.w, s.stale = w, true
	} else if !s.stale {
		if w == 1 { // putUvarint's first case, without the slice of sessions it takes
			s.sessions[ses.off] = byte(c.Seq)
		} else {
			putUvarint(s.sessions[ses.off:ses.off+w], uint64(c.Seq))
		}
	}
	ses.seq, ses.at = c.Seq, index
	if c.Op == OpGet && !read {
		// Done: a Get changes nothing but the session, and only a replica that answers it
		// reads the key. Half the commands of kv/SnapshotRecoverManyClients3B are Gets,
		// which every replica but the leader applies here.
		return Result{}
	}
	return s.applyUnchecked(c, false, read)
}

// ApplyUnchecked applies c without consulting the duplicate table; a write marked dup is
// skipped. It exists for the deliberately broken server that keeps its duplicate table
// outside the store.
func (s *Store) ApplyUnchecked(c Command, dup bool) Result {
	v := c.view()
	return s.applyUnchecked(&v, dup, true)
}

// applyUnchecked is ApplyUnchecked; a Get's value is read only if read is set (see apply).
func (s *Store) applyUnchecked(c *commandView, dup, read bool) Result {
	switch c.Op {
	case OpGet:
		if read {
			var v string
			var sum uint32
			if e := s.keys.find(c.Key); e != nil {
				v, sum = e.value(), e.checksum()
			}
			return Result{Value: v, Duplicate: dup, sum: sum}
		}
	case OpPut:
		if !dup {
			e := s.keys.find(c.Key)
			if e == nil {
				e = s.add(c.Key)
			}
			n := e.len()
			e.put(c.Value)
			s.size += valueSize(len(c.Value)) - valueSize(n)
		}
	case OpAppend:
		if !dup {
			e := s.keys.find(c.Key)
			if e == nil {
				e = s.add(c.Key)
			}
			n := e.len()
			e.append(c.Value)
			s.size += valueSize(n+len(c.Value)) - valueSize(n)
		}
	}
	return Result{Duplicate: dup}
}

// add adds an empty entry for key, which has none, and returns it.
func (s *Store) add(key []byte) *entry {
	e := &entry{key: string(key)}
	s.keys.add(e)
	s.entries = append(s.entries, e)
	s.sorted = false
	s.size += e.size()
	return e
}

// Get reads a key from local state (for the deliberately broken local reads, and tests).
func (s *Store) Get(key string) string {
	// The key's own bytes, only read (as hashString reads them).
	if e := s.keys.find(unsafe.Slice(unsafe.StringData(key), len(key))); e != nil {
		return e.value()
	}
	return ""
}

// LastSeq returns the highest sequence number applied for client.
func (s *Store) LastSeq(client int64) int64 {
	if ses := s.lookup(client); ses != nil {
		return ses.seq
	}
	return 0
}

// session returns client's session, adding one (sequence number 0) if the client is new.
func (s *Store) session(client int64) *session {
	if ses := s.lookup(client); ses != nil {
		return ses
	}
	ses := &session{client: client, w: 1}
	s.index(ses)
	s.clients = append(s.clients, ses)
	s.sorted, s.stale = false, true
	s.size += ses.size()
	return ses
}

// maxIndexedClient bounds the client ids Store.byClient indexes: a slice of this many
// pointers at most.
const maxIndexedClient = 1 << 12

// lookup returns client's session, nil if it has none.
func (s *Store) lookup(client int64) *session {
	if uint64(client) < maxIndexedClient {
		if client < int64(len(s.byClient)) {
			return s.byClient[client]
		}
		return nil
	}
	return s.far[client]
}

// index adds ses to byClient or far.
func (s *Store) index(ses *session) {
	c := ses.client
	if uint64(c) >= maxIndexedClient {
		if s.far == nil {
			s.far = map[int64]*session{}
		}
		s.far[c] = ses
		return
	}
	if c >= int64(len(s.byClient)) {
		s.byClient = slices.Grow(s.byClient, int(c)+1-len(s.byClient))[:c+1]
	}
	s.byClient[c] = ses
}

// Len returns the number of keys.
func (s *Store) Len() int { return len(s.entries) }

// Encode returns the store as snapshot bytes: the number of keys, each key and value as
// length-prefixed strings in key order, then the number of sessions, each client and
// sequence number in client order. Sorting makes the bytes a function of the state alone,
// never of Go's map iteration order.
func (s *Store) Encode() []byte {
	// The exact size, so that the snapshot is one allocation that Raft can keep as it is.
	return s.encode(make([]byte, 0, s.encodedSize()))
}

// EncodeInto is Encode into buf's array, overwriting what it holds, if Encode's bytes fit
// in it, else into a new array with room for the store to grow: a server encodes its
// snapshots into the buffers its Raft peer gives back (rafthost.Peer.SnapshotBuffer), and a
// store grows between one snapshot and the next. A new array replacing one the store
// outgrew has room for it to double, as a store that outgrew one buffer goes on growing and
// outgrows the others in turn; a first one (buf empty: after a boot, none is given back
// yet) a quarter more. With half again in every new array,
// kv/SnapshotRecoverManyClients3B allocated 7.12 MB a run; with these, 7.00 MB (with room to
// triple, 6.96 MB, but the 3B scenarios with five clerks allocated up to 0.8% more).
func (s *Store) EncodeInto(buf []byte) []byte {
	size := s.encodedSize()
	if cap(buf) < size {
		room := size / 4
		if cap(buf) > 0 {
			room = size
		}
		buf = make([]byte, 0, size+room)
	}
	return s.encode(buf[:0])
}

// encodedSize is the length of Encode's bytes.
func (s *Store) encodedSize() int {
	return uvarintLen(uint64(len(s.entries))) + s.size + uvarintLen(uint64(len(s.clients)))
}

// encode appends Encode's bytes to b, which has room for them.
func (s *Store) encode(b []byte) []byte {
	if !s.sorted {
		slices.SortFunc(s.entries, func(a, b *entry) int { return strings.Compare(a.key, b.key) })
		slices.SortFunc(s.clients, bySessionClient)
		s.sorted = true
	}
	size := len(b) + s.encodedSize()
	b = appendUvarint(b, uint64(len(s.entries)))
	for _, e := range s.entries {
		if n := e.len(); n != e.written {
			e.header(n)
		}
		b = append(b, e.img[e.head:]...)
	}
	if s.stale {
		s.encodeSessions()
	}
	b = append(b, s.sessions...)
	if len(b) != size {
		// The kept size is wrong: some change to the store did not account for itself.
		panic(fmt.Sprintf("kv: Store.Encode: %d bytes, but the store's kept size says %d", len(b), size))
	}
	return b
}

// encodeSessions rewrites the store's sessions (see Store.sessions), into their array if
// they fit, and notes where each sequence number is.
func (s *Store) encodeSessions() {
	b := appendUvarint(s.sessions[:0], uint64(len(s.clients)))
	for _, c := range s.clients {
		b = appendUvarint(b, uint64(c.client))
		c.off = len(b)
		b = appendUvarint(b, uint64(c.seq))
	}
	s.sessions, s.stale = b, false
}

// appendUvarint is binary.AppendUvarint, with the one-byte case (most lengths, clients
// and sequence numbers in a snapshot) written without its loop: the varints were half of
// Encode's instructions.
func appendUvarint(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	return binary.AppendUvarint(b, v)
}

func bySessionClient(a, b *session) int { return cmp.Compare(a.client, b.client) }

// uvarintLen is the length of binary.AppendUvarint's encoding of v: seven bits a byte, at
// least one byte, looked up by v's number of bits (a division by seven was a
// multiplication, twice as many instructions, and the store sizes every change it applies).
func uvarintLen(v uint64) int { return int(uvarintLens[bits.Len64(v)]) }

// uvarintLens[n] is the length of the uvarint of a number of n bits.
const uvarintLens = "\x01\x01\x01\x01\x01\x01\x01\x01\x02\x02\x02\x02\x02\x02\x02\x03\x03\x03\x03\x03\x03\x03\x04\x04\x04\x04\x04\x04\x04\x05\x05\x05\x05\x05\x05\x05\x06\x06\x06\x06\x06\x06\x06\x07\x07\x07\x07\x07\x07\x07\x08\x08\x08\x08\x08\x08\x08\x09\x09\x09\x09\x09\x09\x09\x0a"

var errShortSnapshot = errors.New("kv: truncated snapshot")

// DecodeStore rebuilds a store from Encode's bytes. Empty bytes are the empty store. The
// store keeps none of b: b stays the caller's, to change at will.
func DecodeStore(b []byte) (*Store, error) { return decodeStore(b, string(b)) }

// restoreStore is DecodeStore for bytes that never change, such as Raft's snapshots (a
// peer's ReadSnapshot and ApplyMsg.Snapshot are read-only: the core keeps them to send
// and the disk as the file's contents, and a storage fault corrupts a copy): the store's
// keys and values are substrings of b itself rather than of a copy of it, which was a
// third of the bytes a restore allocated (kv/SnapshotRecoverManyClients3B restores a
// 5 KB store about 70 times a run).
func restoreStore(b []byte) (*Store, error) {
	return decodeStore(b, unsafe.String(unsafe.SliceData(b), len(b)))
}

// restore returns the store that Raft's snapshot bytes b encode (restoreStore), replacing s,
// which is dead from then on: a follower that installs a snapshot (Server.restore), whose
// store holds every key and client the snapshot holds but those added since, and whose
// values, in the 6.824 workloads that append, are most of the snapshot's. So s itself
// becomes the restored store (restoreInPlace): each entry and session the snapshot still
// holds is s's own, with the new value and sequence number, and only the keys and clients
// added since take memory; and an entry whose array holds a value that begins the new one,
// with the room for the rest, keeps that array, with the rest appended past the old value's
// end, rather than going read-only (a restored entry's first Append copied its whole value
// into a new array, own). A new store of its own for every restore, with the arrays adopted
// from the old one, was 6% of the bytes kv/SnapshotRecoverManyClients3B allocated. Bytes
// that are not Encode's, or that lack a key or client s holds, are restored as
// restoreStore does, without s.
func (s *Store) restore(b []byte) (*Store, error) {
	if (s.keys.n > 0 || len(s.clients) > 0) && s.restoreInPlace(b) {
		return s, nil
	}
	return restoreStore(b)
}

// restoreInPlace makes s the store b encodes, as restore says, and reports whether it could:
// false if b is not Encode's bytes (keys and clients strictly in order) or lacks a key or a
// client s holds, and then s is left in pieces.
func (s *Store) restoreInPlace(b []byte) bool {
	d := decoder{b: b, all: unsafe.String(unsafe.SliceData(b), len(b))}
	n := d.count()
	had, size := s.keys.n, 0
	entries, kept := s.entries[:0], 0
	var slab []entry // the new keys' entries
	for i := 0; i < n; i++ {
		start := d.off
		key, v := d.string(), d.string()
		if d.err != nil || i > 0 && key <= entries[i-1].key {
			return false
		}
		img := d.all[start:d.off]
		e := s.keys.find(unsafe.Slice(unsafe.StringData(key), len(key)))
		if e == nil {
			if len(slab) == 0 {
				// As many as the keys left that s does not hold, if it holds no other.
				slab = make([]entry, max(1, n-i-(had-kept)))
			}
			e, slab = &slab[0], slab[1:]
			e.key = key
			s.keys.add(e)
		} else {
			kept++
			e.key = key // the snapshot's bytes, as a new entry's: not a string of an older one
		}
		e.restore(img, v)
		entries = append(entries, e)
		size += e.size()
	}
	if kept != had {
		return false
	}
	m := d.count()
	clients, known := s.clients[:0], 0
	var sessions []session // the new clients' sessions
	for i := 0; i < m; i++ {
		client, seq := int64(d.uvarint()), int64(d.uvarint())
		if d.err != nil || i > 0 && client <= clients[i-1].client {
			return false
		}
		ses := s.lookup(client)
		if ses == nil {
			if len(sessions) == 0 {
				sessions = make([]session, max(1, m-i-(len(s.clients)-known)))
			}
			ses, sessions = &sessions[0], sessions[1:]
			ses.client = client
			s.index(ses)
		} else {
			known++
		}
		// The snapshot does not say where seq was applied (at); off is stale below.
		ses.seq, ses.at, ses.w = seq, 0, uvarintLen(uint64(seq))
		clients = append(clients, ses)
		size += ses.size()
	}
	if d.err != nil || d.off != len(b) || known != len(s.clients) {
		return false
	}
	s.entries, s.clients, s.size = entries, clients, size
	s.sorted, s.stale = true, true
	return true
}

// restore sets the entry's value to v, whose image in a snapshot (the key's length, the key,
// the value's length and the value) is img, in bytes that never change: the entry keeps its
// array if it has one (it is not read-only) that holds a value that v begins with, and the
// room for the rest of v, which goes past that value's end (the old value stays as it
// was, and so does sum, which covers a prefix of it: see entry.checksum); else its image is img itself, read-only, and with no capacity
// past it, unless img writes a length in more bytes than it needs (not Encode's bytes): then
// an image of the entry's own, as Encode writes it.
func (e *entry) restore(img, v string) {
	exact := len(img) == keySize(e.key)+valueSize(len(v))
	if exact && e.wide != 0 {
		if old := e.value(); len(old) <= len(v) && cap(e.img)-len(e.img) >= len(v)-len(old) && v[:len(old)] == old {
			e.img = append(e.img, v[len(old):]...)
			return
		}
	}
	e.img, e.head, e.vstart, e.written, e.wide = unsafe.Slice(unsafe.StringData(img), len(img)), 0, len(img)-len(v), len(v), 0
	e.sum, e.summed = 0, 0
	if !exact {
		e.own(v, nil, 0)
	}
}

// decodeStore decodes b, whose bytes are all's: keys and values are substrings of all.
//
// Its entries and sessions come from one array each: a restore costs a handful of
// allocations, not two per key and one per client (the 3B scenarios restore a store on
// every InstallSnapshot and restart).
func decodeStore(b []byte, all string) (*Store, error) {
	if len(b) == 0 {
		return NewStore(), nil
	}
	d := decoder{b: b, all: all}
	n := d.count()
	s := &Store{entries: make([]*entry, 0, n)}
	s.keys.reserve(n)
	slab := make([]entry, n)
	for i := 0; i < n && d.err == nil; i++ {
		start := d.off
		key, v := d.string(), d.string()
		// A key that repeats (not Encode's bytes) keeps its last value.
		e := s.keys.find(unsafe.Slice(unsafe.StringData(key), len(key)))
		if e == nil {
			e = &slab[i]
			e.key = key
			s.keys.add(e)
			s.entries = append(s.entries, e)
		}
		e.restore(all[start:d.off], v)
	}
	n = d.count()
	sessions := make([]session, n)
	indexed := 0 // byClient's length
	for i := 0; i < n && d.err == nil; i++ {
		ses := &sessions[i]
		ses.client, ses.seq = int64(d.uvarint()), int64(d.uvarint())
		ses.w = uvarintLen(uint64(ses.seq))
		if uint64(ses.client) < maxIndexedClient {
			indexed = max(indexed, int(ses.client)+1)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	// byClient at its length at once: grown one client at a time, it was most of a
	// restore's allocations.
	s.byClient = make([]*session, indexed)
	s.clients = make([]*session, 0, n)
	for i := range sessions {
		ses := &sessions[i]
		if old := s.lookup(ses.client); old != nil {
			old.seq, old.w = ses.seq, ses.w // a client that repeats keeps its last number
			continue
		}
		s.index(ses)
		s.clients = append(s.clients, ses)
	}
	if d.off != len(b) {
		return nil, fmt.Errorf("kv: %d trailing bytes in snapshot", len(b)-d.off)
	}
	for _, e := range s.entries {
		s.size += e.size()
	}
	for _, ses := range s.clients {
		s.size += ses.size()
	}
	// Encode's order, unless the bytes were not Encode's: then the next Encode sorts.
	s.sorted = slices.IsSortedFunc(s.entries, func(a, b *entry) int { return strings.Compare(a.key, b.key) }) &&
		slices.IsSortedFunc(s.clients, bySessionClient)
	s.stale = true
	return s, nil
}

// keyTable finds entries by key: an open-addressing hash table with linear probing, of
// entries that are only ever added. It replaced a map[string]*entry whose lookup, made by
// every replica for every Put and Append it applies, cost about 150 instructions for the
// 6.824 workloads' keys of one or two bytes (this one: a third of that), and whose
// construction was most of a restore's allocations.
type keyTable struct {
	// slots holds the entries at the slot of their key's hash or after it (wrapping);
	// nil ends a probe. Invariant: len(slots) is 0 or a power of two at least twice n.
	slots []*entry
	n     int
}

// find returns key's entry, nil if the key has none. An entry whose hash and length are
// key's is key's if the key is shorter than four bytes (keyHash is one-to-one on those),
// else if the keys are equal: the 6.824 workloads' keys of one or two bytes are found
// without comparing strings, whose call was a fifth of a lookup.
func (t *keyTable) find(key []byte) *entry {
	n := len(key)
	if n == 0 || n >= 4 {
		return t.findLong(key)
	}
	if t.n == 0 {
		return nil
	}
	// A key of one to three bytes: hashed here (keyHash, whose call the compiler does
	// not inline), and with no call in the probe, where the string comparison of longer
	// keys made every lookup save and restore its registers.
	h := shortKeyHash(key)
	mask := len(t.slots) - 1
	for i := keySlot(h) & mask; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == nil || e.hash == h && len(e.key) == n {
			return e
		}
	}
}

// findLong is find for a key of no byte or more than three.
func (t *keyTable) findLong(key []byte) *entry {
	if t.n == 0 {
		return nil
	}
	h := keyHashLong(key)
	mask := len(t.slots) - 1
	for i := keySlot(h) & mask; ; i = (i + 1) & mask {
		e := t.slots[i]
		if e == nil || e.hash == h && e.key == string(key) {
			return e
		}
	}
}

// add adds e, whose key has no entry yet.
func (t *keyTable) add(e *entry) {
	e.hash = keyHash(unsafe.Slice(unsafe.StringData(e.key), len(e.key)))
	t.reserve(t.n + 1)
	t.put(e)
	t.n++
}

// reserve grows the table to hold n entries.
func (t *keyTable) reserve(n int) {
	if 2*n <= len(t.slots) {
		return
	}
	old := t.slots
	t.slots = make([]*entry, max(8, 1<<bits.Len(uint(2*n-1))))
	for _, e := range old {
		if e != nil {
			t.put(e)
		}
	}
}

// put places e in its first free slot.
func (t *keyTable) put(e *entry) {
	mask := len(t.slots) - 1
	i := keySlot(e.hash) & mask
	for t.slots[i] != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = e
}

// keyHash is key's hash, whose high bits mix all of the key's length and of up to 16 of
// its bytes (the first and the last eight), or, for a key longer than 16 bytes, its
// CRC-32C; it is one-to-one on keys shorter than four bytes (see find). The 6.824
// workloads' keys have one or two bytes: keyHash hashes those inline, where a general
// hash's call (hashString's, the digests') cost more than the table saved on the map.
func keyHash(key []byte) uint64 {
	if n := len(key); n > 0 && n < 4 {
		return shortKeyHash(key)
	}
	return keyHashLong(key)
}

// shortKeyHash is keyHash for keys of one to three bytes.
func shortKeyHash(key []byte) uint64 {
	n := len(key) // bytes 0, n/2 and n-1 are all of them
	return fibonacci(uint64(key[0]) | uint64(key[n/2])<<8 | uint64(key[n-1])<<16 | uint64(n)<<56)
}

// keyHashLong is keyHash for keys of no byte or more than three.
func keyHashLong(key []byte) uint64 {
	n := len(key)
	var w uint64
	switch {
	case n > 16:
		w = uint64(raft.Checksum(key))
	case n >= 8:
		w = binary.LittleEndian.Uint64(key) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(key[n-8:]), 31)
	case n >= 4:
		w = uint64(binary.LittleEndian.Uint32(key)) | uint64(binary.LittleEndian.Uint32(key[n-4:]))<<32
	}
	return fibonacci(w ^ uint64(n)<<56)
}

// fibonacci is Fibonacci hashing's mix of w, a multiplication by an odd number (so
// one-to-one), whose high bits depend on all of w's.
func fibonacci(w uint64) uint64 { return w * 0x9e3779b97f4a7c15 }

// keySlot is the slot of hash h before masking: its high bits, as the table's slots are
// the low bits of this.
func keySlot(h uint64) int { return int(h >> 32) }

// decoder reads Encode's format from b, whose copy as a string is all: the strings it
// returns are substrings of all.
type decoder struct {
	b   []byte
	all string
	off int // b[off:] is what remains
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.err = errShortSnapshot
		return 0
	}
	d.off += n
	return v
}

// count returns the next uvarint as a number of items that each take at least one more
// byte, so that garbage cannot make the caller allocate more than the bytes could hold.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.off) {
		d.err = errShortSnapshot
		return 0
	}
	return int(n)
}

// string returns the next length-prefixed string, as a substring of all.
func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.off) {
		d.err = errShortSnapshot
		return ""
	}
	s := d.all[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}
