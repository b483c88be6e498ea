package mapreduce

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/sim"
)

func TestIhashIsTheLabsFNV(t *testing.T) {
	for _, key := range []string{"", "a", "the", "Zipf", "times-12", "\xff\x00"} {
		h := fnv.New32a()
		h.Write([]byte(key))
		require.Equal(t, int(h.Sum32()&0x7fffffff), ihash(key), key)
	}
}

func TestParseIntermediate(t *testing.T) {
	tests := []struct {
		name string
		m, r int
		ok   bool
	}{
		{"mr-0-0", 0, 0, true},
		{"mr-7-9", 7, 9, true},
		{"mr-12-3", 12, 3, true},
		{"mr-out-3", 0, 0, false},
		{"mr-1-3.tmp7", 0, 0, false},
		{"mr-1", 0, 0, false},
		{"mr--1-2", 0, 0, false},
		{"pg-1-2", 0, 0, false},
	}
	for _, tc := range tests {
		m, r, ok := parseIntermediate(tc.name)
		require.Equal(t, tc.ok, ok, tc.name)
		if ok {
			require.Equal(t, [2]int{tc.m, tc.r}, [2]int{m, r}, tc.name)
		}
	}
}

// TestPartitionRoundTrip: what a map writes, the reduces read back, each
// pair in its key's partition, in order, whatever bytes keys hold.
func TestPartitionRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nReduce := rapid.IntRange(1, 12).Draw(t, "nReduce")
		kva := rapid.SliceOf(rapid.Custom(func(t *rapid.T) apps.KeyValue {
			return apps.KeyValue{Key: rapid.String().Draw(t, "k"), Value: rapid.String().Draw(t, "v")}
		})).Draw(t, "kva")
		bufs := partition(kva, nReduce)
		if len(bufs) != nReduce {
			t.Fatalf("%d buffers for %d reduces", len(bufs), nReduce)
		}
		var got []apps.KeyValue
		for r, b := range bufs {
			if len(b) != cap(b) {
				t.Fatalf("partition %d: %d bytes in a buffer of %d: sized wrong", r, len(b), cap(b))
			}
			part, err := decode(string(b))
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range part {
				if ihash(kv.Key)%nReduce != r {
					t.Fatalf("key %q in partition %d", kv.Key, r)
				}
			}
			got = append(got, part...)
		}
		var want []apps.KeyValue
		for r := 0; r < nReduce; r++ {
			for _, kv := range kva {
				if ihash(kv.Key)%nReduce == r {
					want = append(want, kv)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("round trip: got %q, want %q", got, want)
		}
	})
}

// TestPartitionerIsPartition: pairs encoded as they come are the bytes
// partition makes of the list, whatever the size hint.
func TestPartitionerIsPartition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nReduce := rapid.IntRange(1, 12).Draw(t, "nReduce")
		kva := rapid.SliceOf(rapid.Custom(func(t *rapid.T) apps.KeyValue {
			return apps.KeyValue{Key: rapid.String().Draw(t, "k"), Value: rapid.String().Draw(t, "v")}
		})).Draw(t, "kva")
		pt := newPartitioner(nReduce, rapid.IntRange(0, 1000).Draw(t, "size"))
		for _, kv := range kva {
			pt.add(kv.Key, kv.Value)
		}
		want := partition(kva, nReduce)
		for r := range want {
			if string(pt.parts[r]) != string(want[r]) {
				t.Fatalf("partition %d: %q, want %q", r, pt.parts[r], want[r])
			}
		}
	})
}

// TestDecodeLongFields: lengths of two and three varint bytes, at the
// boundaries of one.
func TestDecodeLongFields(t *testing.T) {
	var kva []apps.KeyValue
	for _, n := range []int{0, 1, 127, 128, 129, 16383, 16384, 70000} {
		kva = append(kva, apps.KeyValue{Key: strings.Repeat("k", n), Value: strings.Repeat("v", 200-n%200)})
	}
	got, err := decode(string(partition(kva, 1)[0]))
	require.NoError(t, err)
	require.Equal(t, kva, got)
	b := partition(kva[3:4], 1)[0]
	for cut := 1; cut < len(b); cut += 37 {
		got, err := decode(string(b[:cut]))
		require.Error(t, err, "cut at %d", cut)
		require.Empty(t, got)
	}
}

// TestDecodeEveryCut: a file cut short anywhere decodes to the whole records
// before the cut, with an error unless the cut falls between records.
func TestDecodeEveryCut(t *testing.T) {
	kva := []apps.KeyValue{{Key: "ab", Value: "1"}, {Key: "", Value: ""}, {Key: strings.Repeat("x", 130), Value: "y"},
		{Key: "c", Value: strings.Repeat("z", 200)}, {Key: "d", Value: "2"}}
	b := partition(kva, 1)[0]
	ends := map[int]int{0: 0} // byte offset of a record boundary: records before it
	for i := range kva {
		ends[len(partition(kva[:i+1], 1)[0])] = i + 1
	}
	for cut := 0; cut <= len(b); cut++ {
		got, err := decode(string(b[:cut]))
		if n, boundary := ends[cut]; boundary {
			require.NoError(t, err, "cut at %d", cut)
			require.Len(t, got, n, "cut at %d", cut)
			require.Equal(t, kva[:n], append([]apps.KeyValue{}, got...), "cut at %d", cut)
			continue
		}
		require.Error(t, err, "cut at %d", cut)
		require.Less(t, len(got), len(kva))
		require.Equal(t, kva[:len(got)], append([]apps.KeyValue{}, got...), "cut at %d", cut)
	}
}

// TestReduceOfIsRemainder: the partitioner's remainder without a division
// is ihash(key) % nReduce, for 31-bit hashes at the extremes and at random,
// and every task count from 1 to 64.
func TestReduceOfIsRemainder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.String().Draw(t, "key")
		for n := 1; n <= 64; n++ {
			if got, want := newPartitioner(n, 0).reduceOf(key), ihash(key)%n; got != want {
				t.Fatalf("n=%d key %q: %d, want %d", n, key, got, want)
			}
		}
	})
	for n := uint64(1); n <= 64; n++ {
		m := ^uint64(0)/n + 1
		for _, h := range []uint64{0, 1, n - 1, n, n + 1, 1<<31 - 2, 1<<31 - 1, 1<<32 - 1} {
			hi, _ := bits.Mul64(m*h, n)
			require.Equal(t, h%n, hi, "h=%d n=%d", h, n)
		}
	}
}

func TestDecodeStopsAtACorruptRecord(t *testing.T) {
	b := partition([]apps.KeyValue{{Key: "ab", Value: "1"}, {Key: "cd", Value: "2"}}, 1)[0]
	kva, err := decode(string(b[:len(b)-1])) // a file cut short, as a partial one is
	require.Error(t, err)
	require.Equal(t, []apps.KeyValue{{Key: "ab", Value: "1"}}, kva)
}

// decode returns the pairs encoded in data, up to the first corrupt record,
// and its error.
func decode(data string) ([]apps.KeyValue, error) {
	var kva []apps.KeyValue
	r := records{data: data}
	for {
		k, v, ok := r.next()
		if !ok {
			return kva, r.err()
		}
		kva = append(kva, apps.KeyValue{Key: k, Value: v})
	}
}

// TestGrouperReadsEncodedBatchesInOrder: pairs added encoded group as the same
// pairs added decoded, in add order, and a corrupt record ends its batch.
func TestGrouperReadsEncodedBatchesInOrder(t *testing.T) {
	enc := func(kva ...apps.KeyValue) string { return string(partition(kva, 1)[0]) }
	var g, want grouper
	g.addEncoded(enc(apps.KeyValue{Key: "b", Value: "1"}, apps.KeyValue{Key: "a", Value: "2"}))
	g.add([]apps.KeyValue{{Key: "b", Value: "3"}})
	bad := enc(apps.KeyValue{Key: "a", Value: "4"}, apps.KeyValue{Key: "c", Value: "5"})
	g.addEncoded(bad[:len(bad)-1])
	want.add([]apps.KeyValue{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}, {Key: "b", Value: "3"}, {Key: "a", Value: "4"}})
	gk, gv := g.groups()
	wk, wv := want.groups()
	require.Equal(t, []string{"a", "b"}, gk)
	require.Equal(t, wk, gk)
	require.Equal(t, wv, gv)
	require.Equal(t, [][]string{{"2", "4"}, {"1", "3"}}, gv)
}

// TestUvarintIsBinaryUvarint checks the string decoder against the standard
// library's, on valid, truncated and overlong encodings.
func TestUvarintIsBinaryUvarint(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b []byte
		if rapid.Bool().Draw(t, "valid") {
			b = binary.AppendUvarint(nil, rapid.Uint64().Draw(t, "v"))
			b = b[:rapid.IntRange(0, len(b)).Draw(t, "cut")]
		} else {
			b = rapid.SliceOfN(rapid.Byte(), 0, 12).Draw(t, "bytes")
		}
		wantV, wantN := binary.Uvarint(b)
		gotV, gotN := uvarint(string(b))
		if gotV != wantV || gotN != wantN {
			t.Fatalf("uvarint(%x) = %d, %d; binary.Uvarint: %d, %d", b, gotV, gotN, wantV, wantN)
		}
	})
}

// TestGrouperMatchesSort checks grouping against the lab's method: sort all
// pairs by key and collect runs.
func TestGrouperMatchesSort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var g grouper
		var all []apps.KeyValue
		for _, batch := range rapid.SliceOf(rapid.SliceOf(rapid.Custom(func(t *rapid.T) apps.KeyValue {
			return apps.KeyValue{Key: rapid.StringMatching(`[a-d]{0,2}`).Draw(t, "k"), Value: rapid.String().Draw(t, "v")}
		}))).Draw(t, "batches") {
			g.add(batch)
			all = append(all, batch...)
		}
		keys, values := g.groups()
		sort.SliceStable(all, func(i, j int) bool { return all[i].Key < all[j].Key })
		var wantKeys []string
		var wantValues [][]string
		for i := 0; i < len(all); {
			j := i
			var vs []string
			for ; j < len(all) && all[j].Key == all[i].Key; j++ {
				vs = append(vs, all[j].Value)
			}
			wantKeys, wantValues = append(wantKeys, all[i].Key), append(wantValues, vs)
			i = j
		}
		if !slices.Equal(keys, wantKeys) || !slices.EqualFunc(values, wantValues, slices.Equal[[]string]) {
			t.Fatalf("got %q %q, want %q %q", keys, values, wantKeys, wantValues)
		}
	})
}

// TestSortedKeysIsByteOrder: ordering by prefixes first is byte order, for
// keys with NULs, shared prefixes and every length around six and eight,
// and past the 65,536 keys of the packed sort.
func TestSortedKeysIsByteOrder(t *testing.T) {
	many := make([]string, 1<<16+1)
	for i := range many {
		many[i] = fmt.Sprintf("k%07d", (i*7919)%len(many))
	}
	order := sortedKeys(many)
	require.True(t, slices.IsSortedFunc(order, func(a, b numberedKey) int { return strings.Compare(a.key, b.key) }))
	require.Equal(t, many[order[5].n], order[5].key)
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOfDistinct(rapid.OneOf(rapid.String(), rapid.StringMatching("ab[\x00a]{0,5}(cdef[\x00a]{0,5})?")),
			func(s string) string { return s }).Draw(t, "keys")
		var got []string
		for i, k := range sortedKeys(keys) {
			if keys[k.n] != k.key {
				t.Fatalf("entry %d: key %q numbered %d, which is %q", i, k.key, k.n, keys[k.n])
			}
			got = append(got, k.key)
		}
		want := slices.Clone(keys)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

func TestCorpus(t *testing.T) {
	a := GenerateCorpus(sim.NewRand(7), DefaultCorpus())
	b := GenerateCorpus(sim.NewRand(7), DefaultCorpus())
	c := GenerateCorpus(sim.NewRand(8), DefaultCorpus())
	require.Equal(t, a, b, "same seed, same corpus")
	require.NotEqual(t, a[0].Data, c[0].Data, "another seed, another corpus")

	require.Len(t, a, 8)
	total := 0
	for i, f := range a {
		require.Equal(t, books[i].name, f.Name)
		total += len(f.Data)
	}
	require.InDelta(t, OriginalBytes, total, OriginalBytes/100, "about the lab's 3.3 MB")

	// Zipf's law: the most frequent word is about twice as frequent as the
	// second and accounts for a tenth of all words (1/H(13500) ≈ 0.099); the
	// vocabulary is large and a good share of it is found in one book only.
	counts := map[string]int{}
	docsOf := map[string]map[int]bool{}
	words := 0
	for d, f := range a {
		for _, w := range strings.FieldsFunc(strings.ToLower(string(f.Data)), func(r rune) bool { return r < 'a' || r > 'z' }) {
			counts[w]++
			words++
			if docsOf[w] == nil {
				docsOf[w] = map[int]bool{}
			}
			docsOf[w][d] = true
		}
	}
	freq := make([]int, 0, len(counts))
	for _, n := range counts {
		freq = append(freq, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(freq)))
	require.InDelta(t, 0.099, float64(freq[0])/float64(words), 0.02)
	require.InDelta(t, 2.0, float64(freq[0])/float64(freq[1]), 0.3)
	require.InDelta(t, 500_000, words, 100_000)
	require.Greater(t, len(counts), 15000)
	onlyOne := 0
	for _, docs := range docsOf {
		if len(docs) == 1 {
			onlyOne++
		}
	}
	require.Greater(t, onlyOne, len(counts)/10, "documents have their own words")
}

func TestSequentialWordCount(t *testing.T) {
	wc, _ := apps.Lookup("wc")
	out := Sequential(wc, []InputFile{{"a", []byte("to be or not to be")}, {"b", []byte("To be.")}})
	require.Equal(t, "To 1\nbe 3\nnot 1\nor 1\nto 2\n", string(out))
	require.Equal(t, []string{"To 1", "be 3", "not 1", "or 1", "to 2"}, SortedLines(append(out, "\n\n"...)))
}

func TestCompareLines(t *testing.T) {
	require.NoError(t, compareLines([]string{"a 1"}, []string{"a 1"}))
	require.ErrorContains(t, compareLines([]string{"a 1"}, []string{"a 2"}), `got "a 1", want "a 2"`)
	require.ErrorContains(t, compareLines(nil, []string{"a 2"}), `first missing "a 2"`)
	require.ErrorContains(t, compareLines([]string{"a 1", "b 1"}, []string{"a 1"}), `first extra "b 1"`)
}
