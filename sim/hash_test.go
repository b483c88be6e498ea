package sim

import (
	"hash/fnv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHashBytesIsFNV1a: HashBytes, which takes eight bytes a step, is
// FNV-1a, byte for byte, at every length around the step.
func TestHashBytesIsFNV1a(t *testing.T) {
	for n := 0; n <= 40; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(31*i + n)
		}
		ref := fnv.New64a()
		ref.Write(b)
		require.Equal(t, ref.Sum64(), HashBytes(b), "length %d", n)
	}
}

// TestFoldHashesLabelUpToTab: an event folds its time, its node and its label
// up to the first tab, FNV-1a style, so that a label's detail (LabelDetail)
// changes no hash.
func TestFoldHashesLabelUpToTab(t *testing.T) {
	prime := uint64(1099511628211)
	labels := []string{"", "e", "disk sync", "req Raft.AppendEntries", "timer\tleader", "\tx", "a\tb\tc",
		"12345678\t", "1234567\t", "123456789abcdef\tdetail", "0123456789abcdef0\t", "\x89\x09\x08x\x88\x0a\x01\x09y"}
	// Every length around the eight-byte step, without a tab and with one
	// at every place.
	long := "abcdefghijklmnopqrstuvwxyz\x00\x08\x0a\x89\xff0123456789"
	for n := 0; n <= len(long); n++ {
		labels = append(labels, long[:n])
		for k := 0; k < n; k++ {
			labels = append(labels, long[:k]+"\t"+long[k:n])
		}
	}
	for _, label := range labels {
		w := NewWorld(Options{Seed: 1})
		n := w.AddNode("n", func(*Node) {})
		e := event{at: 1234, node: n, label: label}
		w.fold(&e)
		h := uint64(14695981039346656037)
		h = (h ^ 1234) * prime
		h = (h ^ uint64(n.ID+1)) * prime
		name, _, _ := strings.Cut(label, "\t")
		for i := 0; i < len(name); i++ {
			h = (h ^ uint64(name[i])) * prime
		}
		require.Equal(t, h, w.Hash(), "label %q", label)
	}
}
