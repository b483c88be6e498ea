package mapreduce

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/lockstep-dst/lockstep/mapreduce/apps"
)

// Intermediate files hold a map task's pairs for one reduce task. The lab
// suggests JSON; a length-prefixed encoding is as faithful (any byte can
// appear in a key or value) and several times cheaper, which matters when
// every run re-encodes 3.3 MB of words.

// IntermediateName is the file map task m writes for reduce task r.
func IntermediateName(m, r int) string { return "mr-" + strconv.Itoa(m) + "-" + strconv.Itoa(r) }

// OutputName is reduce task r's output file.
func OutputName(r int) string { return "mr-out-" + strconv.Itoa(r) }

// parseIntermediate returns (m, r) if name is exactly an intermediate file
// name "mr-<m>-<r>" (so not "mr-out-3" nor a temporary "mr-1-3.tmp7").
func parseIntermediate(name string) (m, r int, ok bool) {
	rest, found := strings.CutPrefix(name, "mr-")
	if !found {
		return 0, 0, false
	}
	ms, rs, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, false
	}
	m, err1 := strconv.Atoi(ms)
	r, err2 := strconv.Atoi(rs)
	if err1 != nil || err2 != nil || m < 0 || r < 0 {
		return 0, 0, false
	}
	return m, r, true
}

// ihash is the lab's partition function: FNV-1a (32 bits) of the key, made
// non-negative. Reduce task ihash(key) % nReduce gets the key.
func ihash(key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h & 0x7fffffff)
}

// partition encodes kva into one buffer per reduce task. It sizes the
// buffers first, so that the pairs are encoded into one exact allocation
// rather than buffers that grow by doubling.
func partition(kva []apps.KeyValue, nReduce int) [][]byte {
	part := make([]int32, len(kva)) // each pair's reduce task
	sizes := make([]int, nReduce)
	for i, kv := range kva {
		r := ihash(kv.Key) % nReduce
		part[i] = int32(r)
		sizes[r] += uvarintLen(len(kv.Key)) + len(kv.Key) + uvarintLen(len(kv.Value)) + len(kv.Value)
	}
	total := 0
	for _, n := range sizes {
		total += n
	}
	all := make([]byte, 0, total)
	bufs := make([][]byte, nReduce)
	for r, n := range sizes {
		if n > 0 {
			bufs[r] = all[len(all) : len(all) : len(all)+n]
			all = all[:len(all)+n]
		}
	}
	for i, kv := range kva {
		r := part[i]
		b := bufs[r]
		b = binary.AppendUvarint(b, uint64(len(kv.Key)))
		b = append(b, kv.Key...)
		b = binary.AppendUvarint(b, uint64(len(kv.Value)))
		b = append(b, kv.Value...)
		bufs[r] = b
	}
	return bufs
}

// partitioner encodes pairs as they come into one buffer per reduce task:
// what partition does for an application that emits its pairs (MapEmit)
// rather than returning them, with the same bytes.
type partitioner struct {
	parts [][]byte
	hint  int    // initial capacity of a part
	m     uint64 // for the remainder by len(parts) without a division (reduceOf)
}

// newPartitioner returns a partitioner over nReduce tasks for about size
// bytes of encoded pairs in all.
func newPartitioner(nReduce, size int) *partitioner {
	return &partitioner{parts: make([][]byte, nReduce), hint: size/nReduce + 64, m: ^uint64(0)/uint64(nReduce) + 1}
}

// reduceOf is ihash(key) % nReduce. A hardware division takes tens of
// cycles, once per pair (550,000 a wc job); Lemire's "direct computation"
// of the remainder (Faster Remainder by Direct Computation, 2019) takes two
// multiplies, and is exact for a 32-bit dividend and divisor (ihash is 31
// bits) with the 64-bit m = ceil(2^64 / nReduce).
func (p *partitioner) reduceOf(key string) int {
	hi, _ := bits.Mul64(p.m*uint64(ihash(key)), uint64(len(p.parts)))
	return int(hi)
}

func (p *partitioner) add(key, value string) {
	r := p.reduceOf(key)
	b := p.parts[r]
	if b == nil {
		b = make([]byte, 0, p.hint)
	}
	if len(key) < 0x80 && len(value) == 1 { // wc's pairs: (word, "1")
		b = append(b, byte(len(key)))
		b = append(b, key...)
		p.parts[r] = append(b, 1, value[0])
		return
	}
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(len(value)))
	p.parts[r] = append(b, value...)
}

// uvarintLen is the length of n's uvarint encoding.
func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// records reads the pairs of an encoded file in order, up to its end or its
// first corrupt record. A method call a pair, with the common one-byte
// length decoded inline: the reduces read every pair of the job twice, and
// a callback per pair cost more than the decoding.
type records struct {
	data string
	i    int  // where the next record starts
	bad  bool // a corrupt record stopped the reading
}

// next returns the next whole record; false at the end or at a corrupt
// record (a field whose length is malformed or runs past the end).
func (r *records) next() (key, value string, ok bool) {
	d, i := r.data, r.i
	if i >= len(d) || r.bad {
		return "", "", false
	}
	// Both lengths under 128, one byte each: the common case, inline.
	if n := int(d[i]); n < 0x80 && n < len(d)-i-1 {
		j := i + 1 + n // the value's length byte, which exists
		if m := int(d[j]); m < 0x80 && m < len(d)-j {
			r.i = j + 1 + m
			return d[i+1 : j], d[j+1 : j+1+m], true
		}
	}
	if key, i, ok = r.field(i); ok {
		value, i, ok = r.field(i)
	}
	if !ok {
		r.bad = true
		return "", "", false
	}
	r.i = i
	return key, value, true
}

// field reads the length-prefixed field at i and returns it and where the
// next field starts.
func (r *records) field(i int) (string, int, bool) {
	d := r.data
	if i >= len(d) {
		return "", 0, false
	}
	size, w := uvarint(d[i:])
	if w <= 0 || uint64(len(d)-i-w) < size {
		return "", 0, false
	}
	i += w
	return d[i : i+int(size)], i + int(size), true
}

// err is the error of the reading so far: nil unless it met a corrupt record.
func (r *records) err() error {
	if r.bad {
		return fmt.Errorf("corrupt intermediate data at byte %d", r.i)
	}
	return nil
}

// uvarint is binary.Uvarint for a string.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		if i == binary.MaxVarintLen64 {
			return 0, -(i + 1) // overflow
		}
		b := s[i]
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, -(i + 1) // overflow
			}
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// grouper collects the values of each key over batches of pairs. The lab
// sorts every pair by key (its sort is not stable, so values come in no
// defined order); grouping with a map and sorting only the distinct keys
// gives the same reduce calls for a fraction of the work. Values keep their
// input order.
type grouper struct {
	batches []batch
}

// batch is one add: pairs, or an intermediate file's encoding (whole records
// up to the first corrupt one), which the grouper reads in place rather than
// decoding it into pairs first (32 bytes a pair, 550,000 pairs a wc job).
type batch struct {
	kva     []apps.KeyValue
	encoded string
}

func (g *grouper) add(kva []apps.KeyValue) {
	g.batches = append(g.batches, batch{kva: kva})
}

// addEncoded adds the pairs of an intermediate file. As in the lab's hint
// code, decoding stops at the first bad record (only a partial file has one).
func (g *grouper) addEncoded(data string) {
	g.batches = append(g.batches, batch{encoded: data})
}

// groups returns the distinct keys, sorted, and each key's values. It makes
// two passes so that every key's values are carved from one exact
// allocation: appending value by value to per-key slices spent more time
// copying than grouping.
func (g *grouper) groups() (keys []string, values [][]string) {
	// Size the map and the slots from the input's size: a wc pair takes
	// about 8 encoded bytes, and its keys recur about 16 times in a reduce.
	pairs := 0
	for _, b := range g.batches {
		pairs += len(b.kva) + len(b.encoded)/8
	}
	index := make(map[string]int32, pairs/8)
	slot := make([]int32, 0, pairs) // each pair's key number, in input order
	var counts []int32
	number := func(key string) {
		k, ok := index[key]
		if !ok {
			k = int32(len(keys))
			// A copy of its own: the map's keys, which every lookup compares,
			// then sit together in memory rather than scattered over the
			// inputs.
			key = strings.Clone(key)
			index[key] = k
			keys = append(keys, key)
			counts = append(counts, 0)
		}
		slot = append(slot, k)
		counts[k]++
	}
	for _, b := range g.batches {
		for _, kv := range b.kva {
			number(kv.Key)
		}
		for r := (records{data: b.encoded}); ; {
			key, _, ok := r.next()
			if !ok {
				break
			}
			number(key)
		}
	}
	all := make([]string, len(slot))
	next := make([]int32, len(keys)) // where key k's next value goes
	values = make([][]string, len(keys))
	at := int32(0)
	for k, c := range counts {
		next[k] = at
		values[k] = all[at : at+c : at+c]
		at += c
	}
	j := 0
	place := func(value string) {
		k := slot[j]
		all[next[k]] = value
		next[k]++
		j++
	}
	for _, b := range g.batches {
		for _, kv := range b.kva {
			place(kv.Value)
		}
		for r := (records{data: b.encoded}); ; {
			_, value, ok := r.next()
			if !ok {
				break
			}
			place(value)
		}
	}
	order := sortedKeys(keys)
	sortedValues := make([][]string, len(keys))
	for j, k := range order {
		keys[j], sortedValues[j] = k.key, values[k.n]
	}
	return keys, sortedValues
}

// numberedKey is a key, its number, and its first eight bytes as a
// big-endian integer (zero-padded): comparing those first decides most
// comparisons in one instruction, where comparing the strings costs a call;
// a key that ends sooner pads with zeros, so prefixes never order two keys
// against their byte order, and equal prefixes fall back to the strings.
type numberedKey struct {
	prefix uint64
	key    string
	n      int32
}

func prefix8(s string) uint64 {
	var p uint64
	for i := 0; i < len(s) && i < 8; i++ {
		p |= uint64(s[i]) << (56 - 8*i)
	}
	return p
}

// sortedKeys returns keys, numbered by their index, in byte order. Up to
// 65,536 keys (a reduce task has a few thousand), it sorts plain integers,
// each a key's first six bytes above its 16-bit number, with the integer
// sort (no comparison function to call), then sorts by the whole key each
// run of keys that share their first six bytes.
func sortedKeys(keys []string) []numberedKey {
	order := make([]numberedKey, len(keys))
	if len(keys) > 1<<16 {
		for i, key := range keys {
			order[i] = numberedKey{prefix8(key), key, int32(i)}
		}
		slices.SortFunc(order, compareNumberedKeys)
		return order
	}
	packed := make([]uint64, len(keys))
	for i, key := range keys {
		packed[i] = prefix8(key)&^0xffff | uint64(i)
	}
	slices.Sort(packed)
	for j, p := range packed {
		i := int32(p & 0xffff)
		order[j] = numberedKey{prefix8(keys[i]), keys[i], i}
	}
	for j := 0; j < len(order); {
		end := j + 1
		for end < len(order) && order[end].prefix>>16 == order[j].prefix>>16 {
			end++
		}
		if end-j > 1 {
			slices.SortFunc(order[j:end], compareNumberedKeys)
		}
		j = end
	}
	return order
}

func compareNumberedKeys(a, b numberedKey) int {
	if a.prefix != b.prefix {
		if a.prefix < b.prefix {
			return -1
		}
		return 1
	}
	return strings.Compare(a.key, b.key)
}

// reduceAll runs reduce on every key of g in key order and returns the
// output file's contents, one "%v %v" line per key as the lab writes them.
func reduceAll(g *grouper, reduce func(key string, values []string) string) []byte {
	keys, values := g.groups()
	reduced := make([]string, len(keys))
	size := 0
	for i, k := range keys {
		reduced[i] = reduce(k, values[i])
		size += len(k) + 1 + len(reduced[i]) + 1
	}
	out := make([]byte, 0, size)
	for i, k := range keys {
		out = appendLine(out, k, reduced[i])
	}
	return out
}

// appendLine appends the output line of key and its reduced value.
func appendLine(out []byte, key, value string) []byte {
	out = append(out, key...)
	out = append(out, ' ')
	out = append(out, value...)
	return append(out, '\n')
}
