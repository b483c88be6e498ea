package mapreduce

import (
	"encoding/binary"
	"fmt"
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

// uvarintLen is the length of n's uvarint encoding.
func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// span is a byte range of an encoded file.
type span struct{ from, to int }

// scan walks the records of data, calling each (if not nil) with the spans
// of every key and value, and returns how many whole records precede the
// end or the first corrupt record.
func scan(data string, each func(k, v span)) (int, error) {
	n := 0
	for i := 0; i < len(data); n++ {
		var kv [2]span
		for f := range kv {
			size, w := uvarint(data[i:])
			if w <= 0 || uint64(len(data)-i-w) < size {
				return n, fmt.Errorf("corrupt intermediate data at byte %d", i)
			}
			i += w
			kv[f] = span{i, i + int(size)}
			i += int(size)
		}
		if each != nil {
			each(kv[0], kv[1])
		}
	}
	return n, nil
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
	n       int
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
	g.n += len(kva)
}

// addEncoded adds the pairs of an intermediate file. As in the lab's hint
// code, decoding stops at the first bad record (only a partial file has one),
// whose error it returns.
func (g *grouper) addEncoded(data string) error {
	n, err := scan(data, nil)
	g.batches = append(g.batches, batch{encoded: data})
	g.n += n
	return err
}

// each calls f with every pair, in the order they were added.
func (g *grouper) each(f func(key, value string)) {
	for _, b := range g.batches {
		for _, kv := range b.kva {
			f(kv.Key, kv.Value)
		}
		if b.encoded != "" {
			data := b.encoded
			scan(data, func(k, v span) { f(data[k.from:k.to], data[v.from:v.to]) })
		}
	}
}

// groups returns the distinct keys, sorted, and each key's values. It makes
// two passes so that every key's values are carved from one exact
// allocation: appending value by value to per-key slices spent more time
// copying than grouping.
func (g *grouper) groups() (keys []string, values [][]string) {
	index := make(map[string]int32, g.n/16+1)
	slot := make([]int32, 0, g.n) // each pair's key number, in input order
	var counts []int32
	g.each(func(key, _ string) {
		k, ok := index[key]
		if !ok {
			k = int32(len(keys))
			// A copy of its own: the map's keys, which every lookup compares,
			// then sit together in memory rather than scattered over the
			// inputs (3.3 MB of text for the sequential reference).
			key = strings.Clone(key)
			index[key] = k
			keys = append(keys, key)
			counts = append(counts, 0)
		}
		slot = append(slot, k)
		counts[k]++
	})
	all := make([]string, g.n)
	next := make([]int32, len(keys)) // where key k's next value goes
	values = make([][]string, len(keys))
	at := int32(0)
	for k, c := range counts {
		next[k] = at
		values[k] = all[at : at+c : at+c]
		at += c
	}
	j := 0
	g.each(func(_, value string) {
		k := slot[j]
		all[next[k]] = value
		next[k]++
		j++
	})
	// Sort (key, number) pairs rather than numbers that index the keys: the
	// comparisons then read the keys without an indirection.
	type numbered struct {
		key string
		k   int32
	}
	order := make([]numbered, len(keys))
	for i, key := range keys {
		order[i] = numbered{key, int32(i)}
	}
	slices.SortFunc(order, func(a, b numbered) int { return strings.Compare(a.key, b.key) })
	sortedKeys := make([]string, len(keys))
	sortedValues := make([][]string, len(keys))
	for j, o := range order {
		sortedKeys[j], sortedValues[j] = o.key, values[o.k]
	}
	return sortedKeys, sortedValues
}

// reduceAll runs reduce on every key of g in key order and returns the
// output file's contents, one "%v %v" line per key as the lab writes them.
func reduceAll(g *grouper, reduce func(key string, values []string) string) []byte {
	keys, values := g.groups()
	var out []byte
	for i, k := range keys {
		out = appendLine(out, k, reduce(k, values[i]))
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
