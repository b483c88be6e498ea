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

// partition encodes kva into one buffer per reduce task.
func partition(kva []apps.KeyValue, nReduce int) [][]byte {
	bufs := make([][]byte, nReduce)
	for _, kv := range kva {
		r := ihash(kv.Key) % nReduce
		b := bufs[r]
		b = binary.AppendUvarint(b, uint64(len(kv.Key)))
		b = append(b, kv.Key...)
		b = binary.AppendUvarint(b, uint64(len(kv.Value)))
		b = append(b, kv.Value...)
		bufs[r] = b
	}
	return bufs
}

// decode returns the pairs encoded in data. It counts the records first so
// that it allocates the pairs exactly once, and the strings share one copy
// of data: two allocations per file, not two per pair. On a corrupt record
// it returns the pairs before it and an error.
func decode(data []byte) ([]apps.KeyValue, error) {
	n, err := scan(data, nil)
	kva := make([]apps.KeyValue, 0, n)
	s := string(data)
	scan(data, func(k, v span) { kva = append(kva, apps.KeyValue{Key: s[k.from:k.to], Value: s[v.from:v.to]}) })
	return kva, err
}

// span is a byte range of an encoded file.
type span struct{ from, to int }

// scan walks the records of data, calling each (if not nil) with the spans
// of every key and value, and returns how many whole records precede the
// end or the first corrupt record.
func scan(data []byte, each func(k, v span)) (int, error) {
	n := 0
	for i := 0; i < len(data); n++ {
		var kv [2]span
		for f := range kv {
			size, w := binary.Uvarint(data[i:])
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

// grouper collects the values of each key over batches of pairs. The lab
// sorts every pair by key (its sort is not stable, so values come in no
// defined order); grouping with a map and sorting only the distinct keys
// gives the same reduce calls for a fraction of the work. Values keep their
// input order.
type grouper struct {
	batches [][]apps.KeyValue
	n       int
}

func (g *grouper) add(kva []apps.KeyValue) {
	g.batches = append(g.batches, kva)
	g.n += len(kva)
}

// groups returns the distinct keys, sorted, and each key's values. It makes
// two passes so that every key's values are carved from one exact
// allocation: appending value by value to per-key slices spent more time
// copying than grouping.
func (g *grouper) groups() (keys []string, values [][]string) {
	index := make(map[string]int32, g.n/16+1)
	slot := make([]int32, 0, g.n) // each pair's key number, in input order
	var counts []int32
	for _, b := range g.batches {
		for _, kv := range b {
			k, ok := index[kv.Key]
			if !ok {
				k = int32(len(keys))
				index[kv.Key] = k
				keys = append(keys, kv.Key)
				counts = append(counts, 0)
			}
			slot = append(slot, k)
			counts[k]++
		}
	}
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
	for _, b := range g.batches {
		for _, kv := range b {
			k := slot[j]
			all[next[k]] = kv.Value
			next[k]++
			j++
		}
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	sortedKeys := make([]string, len(keys))
	sortedValues := make([][]string, len(keys))
	for j, i := range order {
		sortedKeys[j], sortedValues[j] = keys[i], values[i]
	}
	return sortedKeys, sortedValues
}

// reduceAll runs reduce on every key of g in key order and returns the
// output file's contents, one "%v %v" line per key as the lab writes them.
func reduceAll(g *grouper, reduce func(key string, values []string) string) []byte {
	keys, values := g.groups()
	var out []byte
	for i, k := range keys {
		v := reduce(k, values[i])
		out = append(out, k...)
		out = append(out, ' ')
		out = append(out, v...)
		out = append(out, '\n')
	}
	return out
}
