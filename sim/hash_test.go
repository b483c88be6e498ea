package sim

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
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
		w.fold(1234, &eventBody{node: n, label: label})
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

// TestFoldMemoMatchesBytes: one world folds many events whose labels repeat
// (more of them than the memo's table holds, labels that share their first
// eight bytes and length, so that they displace each other in the table,
// and equal labels in distinct strings), with random hashes, each one twice
// or more; every fold, from the memo or from the bytes, gives the
// byte-at-a-time FNV-1a hash.
func TestFoldMemoMatchesBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		prime := uint64(1099511628211)
		labels := []string{"req Raft.AppendEntries", "rep Raft.AppendEntries", "req Raft.RequestVote",
			"disk sync", "timer\tleader", "timer\tfollower", "12345678", "1234567", "req KV.Op", "rep KV.Op"}
		for i := 0; i < 3*labelFoldSlots; i++ {
			// Same first eight bytes and length: one slot for all of them.
			labels = append(labels, fmt.Sprintf("samesame%04d\tdetail", i), fmt.Sprintf("label number %d", i))
		}
		w := NewWorld(Options{Seed: 1})
		hashes := rapid.SliceOfN(rapid.Uint64(), 1, 50).Draw(t, "hashes")
		events := rapid.IntRange(1, 3000).Draw(t, "events")
		for i := 0; i < events; i++ {
			// Mostly the first ten, so that they reach labelFoldAfter.
			label := labels[rapid.IntRange(0, 9).Draw(t, "frequent")]
			if rapid.IntRange(0, 4).Draw(t, "rare") == 0 {
				label = labels[rapid.IntRange(0, len(labels)-1).Draw(t, "label")]
			}
			if rapid.Bool().Draw(t, "copy") {
				label = strings.Clone(label)
			}
			h := hashes[rapid.IntRange(0, len(hashes)-1).Draw(t, "hash")]
			w.hash = h
			w.fold(99, &eventBody{label: label})
			want := (h ^ 99) * prime
			name, _, _ := strings.Cut(label, "\t")
			for j := 0; j < len(name); j++ {
				want = (want ^ uint64(name[j])) * prime
			}
			require.Equal(t, want, w.Hash(), "label %q, hash %#x", label, h)
		}
	})
}

// TestFoldMemoIsUsed: a label folded more than labelFoldAfter times is
// folded from its memo, with the bytes' hash, and one folded fewer times
// is not memoized yet.
func TestFoldMemoIsUsed(t *testing.T) {
	w := NewWorld(Options{Seed: 1})
	r := NewRand(7)
	frequent, rare := "req Raft.AppendEntries\tdetail", "wake clerk12"
	for i := 0; i < 3*labelFoldAfter; i++ {
		for _, label := range []string{frequent, rare} {
			if label == rare && i >= labelFoldAfter-1 {
				continue
			}
			h := r.Uint64()
			w.hash = h
			w.fold(time.Duration(i), &eventBody{label: label})
			want := (h ^ uint64(i)) * fnvPrime
			name, _, _ := strings.Cut(label, "\t")
			for j := 0; j < len(name); j++ {
				want = (want ^ uint64(name[j])) * fnvPrime
			}
			require.Equal(t, want, w.Hash(), "fold %d of %q", i, label)
		}
	}
	require.NotNil(t, w.labelFoldMap[frequent].add, "a frequent label is memoized")
	require.Nil(t, w.labelFoldMap[rare].add, "a label seen fewer than labelFoldAfter times is not")
}
