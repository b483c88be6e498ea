package maprange

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

type state struct {
	w     *sim.World
	ep    *netsim.Endpoint
	peers map[int]string
	keys  []int
	log   strings.Builder
}

// Positives: the order escapes.

func (s *state) appendUnsorted() []int {
	var out []int
	for k := range s.peers { // want `map range: the body appends to out \(line \d+\), which is not sorted after the loop; Go randomizes map order`
		out = append(out, k)
	}
	return out
}

func (s *state) appendField() {
	for k := range s.peers { // want `map range: the body appends to s.keys`
		s.keys = append(s.keys, k)
	}
}

func (s *state) sortedOther(other []int) []int {
	var out []int
	for k := range s.peers { // want `appends to out`
		out = append(out, k)
	}
	sort.Ints(other) // a different slice
	return out
}

func (s *state) sends(ch chan int) {
	for k := range s.peers { // want `map range: the body sends on a channel`
		ch <- k // want `channel send`
	}
}

func (s *state) schedules() {
	for k := range s.peers { // want `map range: the body calls s.w.Schedule \(line \d+\), whose effect depends on the call order`
		s.w.Schedule(0, fmt.Sprint(k), func() {})
	}
}

func (s *state) calls() {
	for k := range s.peers { // want `calls s.ep.Call`
		s.ep.Call(k, "M", nil, func(any, bool) {})
	}
}

func (s *state) crashes(nodes map[int]*sim.Node) {
	for _, n := range nodes { // want `calls s.w.Crash`
		s.w.Crash(n)
	}
}

func (s *state) draws(r *sim.Rand, out map[int]int) {
	for k := range s.peers { // want `calls r.IntN`
		out[k] = r.IntN(10)
	}
}

type folder struct{}

func (folder) Fold(x int) {}

func (s *state) folds(f folder) {
	for k := range s.peers { // want `calls f.Fold`
		f.Fold(k)
	}
}

func (s *state) traces() {
	for k, v := range s.peers { // want `calls s.w.Logf`
		s.w.Logf(nil, "%d=%s", k, v)
	}
	for _, v := range s.peers { // want `writes output with s.log.WriteString`
		s.log.WriteString(v)
	}
	for k := range s.peers { // want `writes output with fmt.Printf`
		fmt.Printf("%d\n", k)
	}
}

func (s *state) concatenates() string {
	line := ""
	for _, v := range s.peers { // want `concatenates onto line`
		line += v
	}
	return line
}

func (s *state) returnsFirst() int {
	for k := range s.peers { // want `map range: the body returns early \(line \d+\)`
		return k
	}
	return -1
}

func (s *state) returnsSome() int {
	for k, v := range s.peers { // want `returns early \(line 120\)`
		if v == "" {
			return -1 // constant: on its own, not a hazard
		}
		if v == "x" {
			return k
		}
	}
	return 0
}

func (s *state) errorNamesKey() error {
	for k, v := range s.peers { // want `returns early`
		if v == "" {
			return fmt.Errorf("peer %d has no address", k)
		}
	}
	return nil
}

func (s *state) breaks() (first int) {
	for k := range s.peers { // want `leaves the loop early`
		first = k
		break
	}
	return first
}

func (s *state) counts() (n int) {
	for _, v := range s.peers { // want `leaves the loop early`
		n++
		if v == "x" {
			break
		}
	}
	return n
}

func (s *state) labeled(m map[int][]int) {
outer:
	for _, vs := range m { // want `leaves the loop early`
		for _, v := range vs {
			if v < 0 {
				continue outer
			}
			s.keys = vs
			break outer
		}
	}
}

func (s *state) iterator() []int {
	var out []int
	for k := range maps.Keys(s.peers) { // want `appends to out`
		out = append(out, k)
	}
	return out
}

func (s *state) collect() []int {
	return slices.Collect(maps.Keys(s.peers)) // want `slices.Collect over a map iterator`
}

func (s *state) grouped(owner map[string]int) map[int][]string {
	byOwner := map[int][]string{}
	for name, o := range owner { // want `appends to byOwner\[o\]`
		byOwner[o] = append(byOwner[o], name)
	}
	return byOwner
}

func generic[M ~map[K]V, K comparable, V any](m M) []K {
	var out []K
	for k := range m { // want `appends to out`
		out = append(out, k)
	}
	return out
}

// Negatives: the order does not escape.

func (s *state) sortedKeys() []int {
	var keys []int
	for k := range s.peers {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

func (s *state) sortedLater(w *sim.World) {
	keys := make([]int, 0, len(s.peers))
	for k := range s.peers {
		keys = append(keys, k*2)
	}
	w.Digest(1)
	slices.Sort(keys)
	for _, k := range keys {
		w.Schedule(0, "x", func() { _ = k })
	}
}

func (s *state) sortedInOuterBlock(ok bool) []string {
	var vals []string
	if ok {
		for _, v := range s.peers {
			vals = append(vals, v)
		}
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	return vals
}

func (s *state) sortedField() {
	for k := range s.peers {
		s.keys = append(s.keys, k)
	}
	slices.SortFunc(s.keys, func(a, b int) int { return a - b })
}

func (s *state) sortedHelpers() {
	for _, k := range slices.Sorted(maps.Keys(s.peers)) {
		s.w.Schedule(0, "x", func() { _ = k })
	}
	keys := slices.Collect(maps.Keys(s.peers))
	sort.Ints(keys)
}

func (s *state) commutative(out map[string]int) int {
	sum := 0
	for k, v := range s.peers {
		sum += k
		out[v] = k
		if k < 0 {
			continue
		}
		delete(out, "")
	}
	return sum
}

func (s *state) perIteration() {
	for k, v := range s.peers {
		var parts []string
		parts = append(parts, v)
		name := ""
		name += v
		_ = fmt.Sprint(k, parts, name)
	}
}

func (s *state) perKey(m map[int][]int) {
	for k := range m {
		m[k] = append(m[k], 1)
	}
}

func (s *state) anyBad() bool {
	for _, v := range s.peers {
		if v == "" {
			return false
		}
	}
	return true
}

var errEmpty = fmt.Errorf("empty address")

func (s *state) validate() error {
	for _, v := range s.peers {
		if v == "" {
			return errEmpty
		}
		if len(v) > 100 {
			return fmt.Errorf("address longer than %d", 100)
		}
	}
	return nil
}

func sortInts(x []int) { sort.Ints(x) }

func (s *state) sortHelpers() ([]int, []int) {
	var a, b []int
	for k := range s.peers {
		a = append(a, k)
		b = append(b, -k)
	}
	sortInts(a)
	sort.IntSlice(b).Sort()
	return a, b
}

func (s *state) anyFound() bool {
	found := false
	for _, v := range s.peers {
		if v == "x" {
			found = true
			break
		}
	}
	return found
}

func (s *state) nestedLoopBreak() {
	for _, v := range s.peers {
		for i := range v {
			if i > 2 {
				break
			}
		}
		switch v {
		case "a":
			break
		}
	}
}

func (s *state) literalReturn() {
	for k := range s.peers {
		sort.Slice(s.keys, func(i, j int) bool { return s.keys[i] < s.keys[j]+k })
	}
}

func (s *state) handlers(methods map[string]string) {
	for _, m := range methods {
		s.ep.Handle(m, func() {}) // keyed by name: order does not matter
	}
}

func (s *state) readOnly() bool {
	up := 0
	for _, n := range s.w.Nodes() { // a slice, not a map
		if n.Up() {
			up++
		}
	}
	return up > 0
}
