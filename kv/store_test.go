package kv

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/raft"
)

func TestStoreDuplicateTable(t *testing.T) {
	s := NewStore()
	apply := func(op Op, client, seq int64, key, value string) Result {
		return s.Apply(Command{Op: op, Client: client, Seq: seq, Key: key, Value: value})
	}
	for _, step := range []struct {
		name              string
		op                Op
		client, seq       int64
		key, value        string
		wantDup           bool
		wantGet, wantData string
	}{
		{"first append applies", OpAppend, 1, 1, "k", "a", false, "", "a"},
		{"its retry does not", OpAppend, 1, 1, "k", "a", true, "", "a"},
		{"another client's first op applies", OpAppend, 2, 1, "k", "b", false, "", "ab"},
		{"the next op of client 1 applies", OpAppend, 1, 2, "k", "c", false, "", "abc"},
		{"a late retry of an older op does not", OpAppend, 1, 1, "k", "a", true, "", "abc"},
		{"nor an older put", OpPut, 2, 1, "k", "b", true, "", "abc"},
		{"a get is always answered", OpGet, 1, 3, "k", "", false, "abc", "abc"},
		{"a retried get too, with the current value", OpGet, 1, 3, "k", "", true, "abc", "abc"},
		{"a put applies once", OpPut, 2, 2, "k", "z", false, "", "z"},
		{"client 1 appends after it", OpAppend, 1, 4, "k", "y", false, "", "zy"},
		{"a late retry of the put does not undo the append", OpPut, 2, 2, "k", "z", true, "", "zy"},
	} {
		res := apply(step.op, step.client, step.seq, step.key, step.value)
		require.Equal(t, step.wantDup, res.Duplicate, step.name)
		require.Equal(t, step.wantGet, res.Value, step.name)
		require.Equal(t, step.wantData, s.Get("k"), step.name)
	}
	require.EqualValues(t, 4, s.LastSeq(1))
	require.EqualValues(t, 2, s.LastSeq(2))
	require.Equal(t, Result{}, s.Apply(Command{Op: OpNoop}), "the leader's no-op changes nothing")
}

// TestStoreSnapshotCarriesTheDuplicateTable: a store restored from a snapshot rejects the
// retries the original would reject. This is what makes exactly-once survive restarts and
// InstallSnapshot (see Store).
func TestStoreSnapshotCarriesTheDuplicateTable(t *testing.T) {
	s := NewStore()
	s.Apply(Command{Op: OpAppend, Client: 7, Seq: 1, Key: "k", Value: "x"})
	s.Apply(Command{Op: OpPut, Client: 8, Seq: 3, Key: "j", Value: "y"})
	r, err := DecodeStore(s.Encode())
	require.NoError(t, err)
	require.True(t, r.Apply(Command{Op: OpAppend, Client: 7, Seq: 1, Key: "k", Value: "x"}).Duplicate)
	require.True(t, r.Apply(Command{Op: OpPut, Client: 8, Seq: 2, Key: "j", Value: "old"}).Duplicate)
	require.Equal(t, "x", r.Get("k"))
	require.Equal(t, "y", r.Get("j"))
}

func TestStoreEncodingIsDeterministicAndRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cmds := rapid.SliceOf(rapid.Custom(func(t *rapid.T) Command {
			return Command{
				Op:     rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend}).Draw(t, "op"),
				Client: rapid.Int64Range(1, 5).Draw(t, "client"),
				Seq:    rapid.Int64Range(1, 20).Draw(t, "seq"),
				Key:    rapid.StringMatching(`[a-c]{0,2}`).Draw(t, "key"),
				Value:  rapid.String().Draw(t, "value"),
			}
		})).Draw(t, "cmds")
		a, b := NewStore(), NewStore()
		for _, c := range cmds {
			a.Apply(c)
		}
		// The same state reached by inserting into fresh maps: the bytes must not depend
		// on map iteration order.
		enc := a.Encode()
		r, err := DecodeStore(enc)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			b.Apply(c)
		}
		if string(b.Encode()) != string(enc) || string(r.Encode()) != string(enc) {
			t.Fatalf("encoding differs between equal stores")
		}
		for _, c := range cmds {
			if r.Get(c.Key) != a.Get(c.Key) || r.LastSeq(c.Client) != a.LastSeq(c.Client) {
				t.Fatalf("round trip lost state for %v", c)
			}
		}
	})
}

// TestStoreEncodingIsTheDocumentedFormat: Encode, which keeps its lists of keys and clients
// sorted across calls instead of sorting the maps' keys each time, writes exactly the
// format its comment documents, whatever the interleaving of applies, snapshots and
// restores: a replica's snapshot bytes (and so the trace hash) must not depend on when it
// took its earlier snapshots or restored one.
func TestStoreEncodingIsTheDocumentedFormat(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := NewStore()
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			switch rapid.IntRange(0, 5).Draw(t, "action") {
			case 0:
				enc := s.Encode()
				if want := referenceEncoding(s); !bytes.Equal(enc, want) || cap(enc) != len(enc) {
					t.Fatalf("Encode = %x (cap %d), want %x", enc, cap(enc), want)
				}
			case 1:
				r, err := DecodeStore(s.Encode())
				if err != nil {
					t.Fatal(err)
				}
				s = r
			default:
				s.Apply(Command{
					Op:     rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend}).Draw(t, "op"),
					Client: rapid.OneOf(rapid.Int64Range(-2, 300), rapid.SampledFrom([]int64{maxIndexedClient - 1, maxIndexedClient, 1 << 40})).Draw(t, "client"),
					Seq:    rapid.OneOf(rapid.Int64Range(0, 20), rapid.Int64Range(100, 20000)).Draw(t, "seq"), // of every length
					Key:    rapid.StringMatching(`[a-e]{0,3}`).Draw(t, "key"),
					Value:  rapid.StringMatching(`[xyz]{0,200}`).Draw(t, "value"),
				})
			}
		}
		require.Equal(t, referenceEncoding(s), s.Encode())
	})
}

// TestStoreEntryImagesAcrossLengths: an entry keeps its encoding as its value grows, also
// where the value's length takes one more byte (at 128 and 16384 bytes), where it outgrows
// the room its array left for the length (a value of one byte, then one of 20,000), and
// after a restore; and every value returned stays what it was.
func TestStoreEntryImagesAcrossLengths(t *testing.T) {
	s := NewStore()
	seq := int64(0)
	apply := func(op Op, key, v string) {
		seq++
		s.Apply(Command{Op: op, Client: 1, Seq: seq, Key: key, Value: v})
	}
	var got []string
	var want []string
	check := func() {
		t.Helper()
		require.Equal(t, referenceEncoding(s), s.Encode())
		for _, k := range []string{"a", "long key of a few more bytes"} {
			got, want = append(got, s.Get(k)), append(want, strings.Clone(s.Get(k)))
		}
	}
	apply(OpPut, "a", "x")
	check()
	apply(OpAppend, "a", strings.Repeat("y", 20000))
	check()
	for _, n := range []int{100, 27, 1, 16254, 2} {
		apply(OpAppend, "long key of a few more bytes", strings.Repeat("z", n))
		check()
	}
	r, err := restoreStore(s.Encode())
	require.NoError(t, err)
	s = r
	check()
	apply(OpAppend, "a", "w")
	apply(OpAppend, "long key of a few more bytes", strings.Repeat("v", 200))
	check()
	require.Equal(t, want, got)
}

// TestDecodeStoreLongWrittenLengths: bytes that were not Encode's, with lengths written in
// more bytes than they need, decode to the store they describe, which encodes as Encode
// writes it.
func TestDecodeStoreLongWrittenLengths(t *testing.T) {
	b := []byte{1, 0x81, 0, 'k', 0x83, 0x80, 0, 'a', 'b', 'c', 1, 7, 2}
	s, err := restoreStore(b)
	require.NoError(t, err)
	require.Equal(t, "abc", s.Get("k"))
	want := NewStore()
	want.Apply(Command{Op: OpPut, Client: 7, Seq: 2, Key: "k", Value: "abc"})
	require.Equal(t, want.Encode(), s.Encode())
	s.Apply(Command{Op: OpAppend, Client: 7, Seq: 3, Key: "k", Value: "d"})
	require.Equal(t, "abcd", s.Get("k"))
	require.Equal(t, referenceEncoding(s), s.Encode())
}

// referenceEncoding is the format Encode documents, written from s's keys, values and
// sessions in the plainest way.
func referenceEncoding(s *Store) []byte {
	var keys []string
	for _, e := range s.entries {
		keys = append(keys, e.key)
	}
	slices.Sort(keys)
	b := binary.AppendUvarint(nil, uint64(len(keys)))
	for _, k := range keys {
		v := s.Get(k)
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	var clients []int64
	for _, ses := range s.clients {
		clients = append(clients, ses.client)
	}
	slices.Sort(clients)
	b = binary.AppendUvarint(b, uint64(len(clients)))
	for _, c := range clients {
		b = binary.AppendUvarint(b, uint64(c))
		b = binary.AppendUvarint(b, uint64(s.LastSeq(c)))
	}
	return b
}

// TestDecodeStoreRepeatedKey: bytes that were not Encode's, with a key or client twice,
// decode to the store that applying them in order gives (the last value wins), and
// encode without the repetition.
func TestDecodeStoreRepeatedKey(t *testing.T) {
	b := binary.AppendUvarint(nil, 2)
	for _, v := range []string{"first", "second"} {
		b = binary.AppendUvarint(b, 1)
		b = append(b, 'k')
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = binary.AppendUvarint(b, 2)
	b = binary.AppendUvarint(b, 7)
	b = binary.AppendUvarint(b, 3)
	b = binary.AppendUvarint(b, 7)
	b = binary.AppendUvarint(b, 5)
	s, err := DecodeStore(b)
	require.NoError(t, err)
	require.Equal(t, "second", s.Get("k"))
	require.EqualValues(t, 5, s.LastSeq(7))
	want := NewStore()
	want.Apply(Command{Op: OpPut, Client: 7, Seq: 5, Key: "k", Value: "second"})
	require.Equal(t, want.Encode(), s.Encode())
}

func TestDecodeStoreRejectsGarbage(t *testing.T) {
	s := NewStore()
	s.Apply(Command{Op: OpPut, Client: 1, Seq: 1, Key: "key", Value: "value"})
	enc := s.Encode()
	for i := 1; i < len(enc); i++ {
		_, err := DecodeStore(enc[:i])
		require.Error(t, err, "truncated to %d bytes", i)
	}
	_, err := DecodeStore(append(enc, 0))
	require.ErrorContains(t, err, "trailing")
	empty, err := DecodeStore(nil)
	require.NoError(t, err)
	require.Equal(t, 0, empty.Len())
}

func TestCommandEncoding(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := Command{
			Op:     rapid.SampledFrom([]Op{OpPut, OpAppend}).Draw(t, "op"),
			Client: rapid.OneOf(rapid.Int64Range(0, 1<<62), rapid.Int64Range(0, 200)).Draw(t, "client"),
			// Every length, and the two-byte ones that decode reads apart (commandHead).
			Seq:   rapid.OneOf(rapid.Int64Range(0, 1<<62), rapid.Int64Range(100, 16500)).Draw(t, "seq"),
			Key:   rapid.OneOf(rapid.String(), rapid.StringMatching(`[a-z0-9]{0,3}`)).Draw(t, "key"),
			Value: rapid.String().Draw(t, "value"),
		}
		if rapid.Bool().Draw(t, "get") {
			c.Op, c.Value = OpGet, ""
		}
		got, err := DecodeCommand(c.Encode())
		if err != nil || got != c {
			t.Fatalf("round trip of %v: %v, %v", c, got, err)
		}
		if b := c.AppendEncode([]byte("xy")); string(b) != "xy"+string(c.Encode()) {
			t.Fatalf("AppendEncode of %v: %q, Encode: %q", c, b, c.Encode())
		}
		for i := 1; i < len(c.Encode())-len(c.Key)-len(c.Value); i++ {
			if _, err := DecodeCommand(c.Encode()[:i]); err == nil {
				t.Fatalf("truncated command %v decoded", c)
			}
		}
	})
	noop, err := DecodeCommand(Command{Op: OpNoop}.Encode())
	require.NoError(t, err)
	require.Equal(t, OpNoop, noop.Op)
	_, err = DecodeCommand([]byte{9})
	require.ErrorContains(t, err, "unknown op")
}

// TestStoreValuesNeverChange: the store appends in place (an array per key), so a value
// it returned must not change under a later Append, Put or applied command that reuses
// the log entry's buffer; a reply carries that string to another node.
func TestStoreValuesNeverChange(t *testing.T) {
	s := NewStore()
	entry := Command{Op: OpAppend, Client: 1, Seq: 1, Key: "k", Value: "abc"}.Encode()
	c, err := decodeView(entry)
	require.NoError(t, err)
	s.apply(&c, 1, true)
	got := s.Get("k")
	for i := range entry {
		entry[i] = 'X' // the store kept a copy, not the entry's bytes
	}
	require.Equal(t, "abc", s.Get("k"))
	s.Apply(Command{Op: OpAppend, Client: 1, Seq: 2, Key: "k", Value: "def"})
	require.Equal(t, "abc", got)
	require.Equal(t, "abcdef", s.Get("k"))
	before := s.Get("k")
	s.Apply(Command{Op: OpPut, Client: 1, Seq: 3, Key: "k", Value: "x"})
	s.Apply(Command{Op: OpAppend, Client: 1, Seq: 4, Key: "k", Value: "yyyyyy"})
	require.Equal(t, "abcdef", before)
	require.Equal(t, "xyyyyyy", s.Get("k"))
}

// TestCommandEncodingIsExactSize: Encode allocates exactly the bytes it writes.
func TestCommandEncodingIsExactSize(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := Command{
			Op:     rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend}).Draw(t, "op"),
			Client: rapid.Int64().Draw(t, "client"),
			Seq:    rapid.Int64().Draw(t, "seq"),
			Key:    rapid.String().Draw(t, "key"),
			Value:  rapid.String().Draw(t, "value"),
		}
		if b := c.Encode(); cap(b) != len(b) {
			t.Fatalf("%v: %d bytes in a buffer of %d", c, len(b), cap(b))
		}
	})
}

// TestDecodedStoreOwnsItsValues: a restored store's values are its own copy (the snapshot
// bytes stay the caller's, Raft's), and a value it returned does not change under a later
// Append or Put of that key, whether the key was restored or written since.
func TestDecodedStoreOwnsItsValues(t *testing.T) {
	s := NewStore()
	s.Apply(Command{Op: OpPut, Client: 1, Seq: 1, Key: "a", Value: "abc"})
	s.Apply(Command{Op: OpPut, Client: 1, Seq: 2, Key: "b", Value: "def"})
	snap := s.Encode()
	r, err := DecodeStore(snap)
	require.NoError(t, err)
	for i := range snap {
		snap[i] = 'X'
	}
	a, b := r.Get("a"), r.Get("b")
	require.Equal(t, "abc", a)
	require.Equal(t, "def", b)
	r.Apply(Command{Op: OpAppend, Client: 2, Seq: 1, Key: "a", Value: "ghi"})
	r.Apply(Command{Op: OpPut, Client: 2, Seq: 2, Key: "b", Value: "jkl"})
	r.Apply(Command{Op: OpAppend, Client: 2, Seq: 3, Key: "b", Value: "mno"})
	require.Equal(t, "abc", a)
	require.Equal(t, "def", b)
	require.Equal(t, "abcghi", r.Get("a"))
	require.Equal(t, "jklmno", r.Get("b"))
	r2, err := DecodeStore(r.Encode())
	require.NoError(t, err)
	require.Equal(t, r.Encode(), r2.Encode())
}

// TestDecodeStoreAllocatesPerStoreNotPerKey: restoring a snapshot (every InstallSnapshot
// and restart of the 3B scenarios) costs a fixed number of allocations, not some per key
// and per client: keys and values are substrings of one copy of the bytes, entries and
// sessions come from one array each.
func TestDecodeStoreAllocatesPerStoreNotPerKey(t *testing.T) {
	s := NewStore()
	for i := range 50 {
		s.Apply(Command{Op: OpAppend, Client: int64(100 + i), Seq: 1, Key: string(rune('A' + i)), Value: "value"})
	}
	snap := s.Encode()
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := DecodeStore(snap); err != nil {
			t.Fatal(err)
		}
	})
	// 8 with Go 1.26 (14 with a map of keys and one of clients, 183 when each key and
	// client had allocations of its own).
	require.LessOrEqual(t, allocs, 20.0, "50 keys and 50 clients")
}

// TestStoreRemembersWhereItAppliedEachClient: a duplicate's result says at which log index
// the store applied its client's latest operation (the server's duplicate-after-snapshot
// probe compares it with its snapshot index), and 0, unknown, once the store is restored
// from a snapshot: the snapshot does not carry it.
func TestStoreRemembersWhereItAppliedEachClient(t *testing.T) {
	s := NewStore()
	put := func(st *Store, seq int64, index int) Result {
		c, err := decodeView(Command{Op: OpPut, Client: 3, Seq: seq, Key: "k", Value: "v"}.Encode())
		require.NoError(t, err)
		return st.apply(&c, index, true)
	}
	require.Equal(t, Result{}, put(s, 1, 10))
	require.Equal(t, Result{Duplicate: true, firstAt: 10}, put(s, 1, 12))
	require.Equal(t, Result{}, put(s, 2, 13))
	require.Equal(t, Result{Duplicate: true, firstAt: 13}, put(s, 1, 14), "the client's latest operation")
	r, err := DecodeStore(s.Encode())
	require.NoError(t, err)
	require.Equal(t, Result{Duplicate: true}, put(r, 2, 20), "unknown after a restore")
	require.Equal(t, s.Encode(), r.Encode(), "not part of the snapshot")
}

// TestStoreReadsAGetOnlyWhereAsked: a replica with no waiter for a Get applies it without
// reading the key (its result has no value), and the Get still counts in the duplicate
// table, as on the replica that answers it: both stores stay equal.
func TestStoreReadsAGetOnlyWhereAsked(t *testing.T) {
	answering, other := NewStore(), NewStore()
	for _, s := range []*Store{answering, other} {
		s.Apply(Command{Op: OpPut, Client: 1, Seq: 1, Key: "k", Value: "v"})
	}
	get, err := decodeView(Command{Op: OpGet, Client: 2, Seq: 4, Key: "k"}.Encode())
	require.NoError(t, err)
	require.Equal(t, Result{Value: "v"}, answering.apply(&get, 2, true))
	require.Equal(t, Result{}, other.apply(&get, 2, false))
	require.EqualValues(t, 4, other.LastSeq(2))
	require.Equal(t, answering.Encode(), other.Encode())
	require.Equal(t, Result{Value: "v", Duplicate: true, firstAt: 2}, other.apply(&get, 3, true), "a retry read where asked")
}

// TestUvarintLen: uvarintLen is the length of binary.AppendUvarint's encoding, at every
// boundary of seven bits.
func TestUvarintLen(t *testing.T) {
	for shift := 0; shift < 64; shift++ {
		for _, v := range []uint64{1<<shift - 1, 1 << shift, 1<<shift + 1} {
			require.Equal(t, len(binary.AppendUvarint(nil, v)), uvarintLen(v), "%d", v)
		}
	}
	require.Equal(t, 10, uvarintLen(^uint64(0)))
}

// TestRestoreStoreKeepsRaftsBytes: a store restored from Raft's snapshot bytes, which never
// change, holds its keys and values in those bytes rather than in a copy of them.
func TestRestoreStoreKeepsRaftsBytes(t *testing.T) {
	s := NewStore()
	s.Apply(Command{Op: OpPut, Client: 1, Seq: 1, Key: "key", Value: "value"})
	snap := s.Encode()
	r, err := restoreStore(snap)
	require.NoError(t, err)
	v := r.Get("key")
	require.Equal(t, "value", v)
	at := bytes.Index(snap, []byte("value"))
	require.Positive(t, at)
	require.Same(t, &snap[at], unsafe.StringData(v), "the value is the snapshot's bytes")
	d, err := DecodeStore(snap)
	require.NoError(t, err)
	require.NotSame(t, &snap[at], unsafe.StringData(d.Get("key")), "DecodeStore copies")
}

// TestKeyTable: the table finds every key added, of every length keySlot distinguishes
// (none, one to three bytes hashed inline, up to 16 bytes, longer ones by checksum),
// through the regrowths, and no key that was not added, in the store's order of adds.
func TestKeyTable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfDistinct(rapid.StringMatching(`[ab]{0,3}|[a-c]{4,9}|[ab]{10,40}`), rapid.ID[string]).Draw(t, "keys")
		var tab keyTable
		for i, k := range keys {
			require.Nil(t, tab.find([]byte(k)), "%q before it was added", k)
			tab.add(&entry{key: k})
			for _, added := range keys[:i+1] {
				e := tab.find([]byte(added))
				require.NotNil(t, e, "%q", added)
				require.Equal(t, added, e.key)
			}
		}
		require.Equal(t, len(keys), tab.n)
		require.GreaterOrEqual(t, len(tab.slots), 2*tab.n)
	})
}

// TestKeyTableKeysOfOneHash: keys that keyHash gives one hash (which the test checks first)
// are told apart: a key of one byte and one of five (find's path for short keys, which
// compares lengths), two keys of 16 bytes and the empty key and one of 16 (findLong, which
// compares the keys), whichever of a pair is added first.
func TestKeyTableKeysOfOneHash(t *testing.T) {
	pairs := [][2]string{
		{"\x00", "\x00\x00\x00\x00\x04"},
		{strings.Repeat("\x00", 16), "\x00\x00\x00\x80\x00\x00\x00\x00\x01" + strings.Repeat("\x00", 7)},
		{"", "\x00\x00\x00\x00\x00\x00\x00\x10" + strings.Repeat("\x00", 8)},
	}
	for _, p := range pairs {
		require.Equal(t, keyHash([]byte(p[0])), keyHash([]byte(p[1])), "%q and %q", p[0], p[1])
		for _, keys := range [][2]string{p, {p[1], p[0]}} {
			var tab keyTable
			tab.add(&entry{key: keys[0]})
			require.Nil(t, tab.find([]byte(keys[1])), "%q, with only %q added", keys[1], keys[0])
			tab.add(&entry{key: keys[1]})
			for _, k := range keys {
				e := tab.find([]byte(k))
				require.NotNil(t, e, "%q", k)
				require.Equal(t, k, e.key)
			}
		}
	}
}

// TestStoreAdoptsTheArraysItReplaces: a store restored over another (Store.restore) keeps
// the arrays of its entries where their values begin its own and have the room for the rest, appending
// past them: the values the old store returned stay what they were, the new store's values
// and snapshot are what restoring alone gives, and an old value that is not a prefix (a
// Put since), or has no room for the rest, leaves the entry read-only.
func TestStoreAdoptsTheArraysItReplaces(t *testing.T) {
	old, ahead := NewStore(), NewStore()
	seq := int64(0)
	both := func(st []*Store, op Op, key, v string) {
		seq++
		for _, s := range st {
			s.Apply(Command{Op: op, Client: 1, Seq: seq, Key: key, Value: v})
		}
	}
	for _, k := range []string{"grows", "put", "full"} {
		both([]*Store{old, ahead}, OpAppend, k, strings.Repeat(k, 10))
	}
	grows := old.Get("grows")
	both([]*Store{ahead}, OpAppend, "grows", "more")
	both([]*Store{ahead}, OpPut, "put", "other")
	both([]*Store{ahead}, OpAppend, "full", strings.Repeat("z", 1000))
	both([]*Store{ahead}, OpAppend, "new", "value")
	r, err := old.restore(ahead.Encode())
	require.NoError(t, err)
	require.Same(t, old, r, "restored in place")
	require.Equal(t, grows+"more", r.Get("grows"))
	require.Same(t, unsafe.StringData(grows), unsafe.StringData(r.Get("grows")), "the old array, adopted")
	for _, k := range []string{"put", "full", "new"} {
		require.Zero(t, r.keys.find([]byte(k)).wide, "%s: read-only, as restored", k)
	}
	require.Equal(t, strings.Repeat("grows", 10), grows)
	require.Equal(t, ahead.Encode(), r.Encode())
	both([]*Store{ahead, r}, OpAppend, "grows", "again")
	require.Equal(t, ahead.Encode(), r.Encode())
	require.Equal(t, referenceEncoding(r), r.Encode())
	res := r.Apply(Command{Op: OpGet, Client: 1, Seq: seq + 1, Key: "grows"})
	require.Equal(t, raft.Checksum([]byte(res.Value)), res.sum)
}

// TestStoreRestoreIsRestoreStore: a store restored over another (Store.restore, in the old
// store's memory where it can be) is the store restoring the snapshot alone gives, whatever
// the two went through: the same keys, values, clients and sequence numbers (so the same
// snapshot), at no known index, and it goes on as that store does; where the old store holds
// a key or client the snapshot lacks (a store that went its own way), too. The values the
// old store returned stay what they were.
func TestStoreRestoreIsRestoreStore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		old, ahead := NewStore(), NewStore()
		seq := map[int64]int64{}
		apply := func(label string, st ...*Store) {
			client := rapid.Int64Range(-1, 6).Draw(t, label+" client")
			seq[client]++
			c := Command{
				Op:     rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend}).Draw(t, label+" op"),
				Client: client,
				Seq:    seq[client],
				Key:    rapid.StringMatching(`[a-e]{0,2}`).Draw(t, label+" key"),
				Value:  rapid.StringMatching(`[xyz]{0,150}`).Draw(t, label+" value"),
			}
			for _, s := range st {
				s.Apply(c)
			}
		}
		for range rapid.IntRange(0, 30).Draw(t, "shared") {
			apply("shared", old, ahead)
		}
		if rapid.Bool().Draw(t, "old restored before") {
			r, err := restoreStore(old.Encode())
			require.NoError(t, err)
			old = r
		}
		for range rapid.IntRange(0, 5).Draw(t, "old only") {
			apply("old only", old)
		}
		for range rapid.IntRange(0, 30).Draw(t, "ahead") {
			apply("ahead", ahead)
		}
		var returned, want []string
		for _, e := range old.entries {
			returned, want = append(returned, e.value()), append(want, strings.Clone(e.value()))
		}
		snap := ahead.Encode()
		alone, err := restoreStore(snap)
		require.NoError(t, err)
		r, err := old.restore(snap)
		require.NoError(t, err)
		require.Equal(t, snap, r.Encode())
		require.Equal(t, referenceEncoding(alone), referenceEncoding(r))
		for _, ses := range r.clients {
			require.Zero(t, ses.at, "client %d: applied at no known index", ses.client)
		}
		for range rapid.IntRange(0, 10).Draw(t, "after") {
			apply("after", alone, r)
			require.Equal(t, alone.Encode(), r.Encode())
		}
		require.Equal(t, referenceEncoding(r), r.Encode())
		require.Equal(t, want, returned, "values the old store returned")
	})
}
