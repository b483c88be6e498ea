package raftcheck

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
)

// TestStoredMirrorsLog drives the mirror of a peer's storage with long random sequences of
// Readies (snapshots at, before and past the end of the log, truncates, appends of one to
// many entries) and compares it after each with a plain model: a map from index to entry.
// The mirror keeps runs of entries of one term, cut by snapshots and truncates anywhere
// in a run or at its ends, so an off-by-one there shows as a wrong or missing term here.
func TestStoredMirrorsLog(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		r := rand.New(rand.NewPCG(seed, 0))
		var s stored
		snap := raft.SnapshotMeta{}
		model := map[int]fact{} // index -> entry, for snap.Index < index <= last
		last := 0
		term := 1
		for step := 0; step < 1000; step++ {
			var rd raft.Ready
			switch k := r.IntN(10); {
			case k == 0 && last > snap.Index: // snapshot inside the log, as a peer takes one
				i := snap.Index + 1 + r.IntN(last-snap.Index)
				rd.Snapshot = &raft.SnapshotState{Meta: raft.SnapshotMeta{Index: i, Term: model[i].term}}
			case k == 1: // snapshot at or past the end, as one installed from a leader
				i := last + r.IntN(3)
				rd.Snapshot = &raft.SnapshotState{Meta: raft.SnapshotMeta{Index: i, Term: term}}
			case k == 2 && last > snap.Index: // a leader's conflicting entries replace a tail
				rd.Truncate = snap.Index + 1 + r.IntN(last-snap.Index)
			case k == 3: // a new leader's entries go on after the log
				term++
			}
			from := last + 1
			if rd.Snapshot != nil && rd.Snapshot.Meta.Index >= last {
				from = rd.Snapshot.Meta.Index + 1
			}
			if rd.Truncate > 0 {
				from = rd.Truncate
				term++
			}
			for i, n := 0, r.IntN(40); i < n; i++ {
				rd.Entries = append(rd.Entries, raft.Entry{Index: from + i, Term: term, Command: []byte{byte(step), byte(i)}})
			}

			// The model, by the Ready contract: snapshot, truncate, entries.
			if rd.Snapshot != nil {
				meta := rd.Snapshot.Meta
				for i := snap.Index + 1; i <= meta.Index; i++ {
					delete(model, i)
				}
				if meta.Index >= last {
					clear(model)
					last = meta.Index
				}
				snap = meta
			}
			if rd.Truncate > 0 {
				for i := rd.Truncate; i <= last; i++ {
					delete(model, i)
				}
				last = rd.Truncate - 1
			}
			for _, e := range rd.Entries {
				model[e.Index] = factOf(e)
				last = e.Index
			}

			require.NoError(t, s.apply(0, &rd, nil), "seed %d step %d", seed, step)
			require.Equal(t, snap, s.snap, "seed %d step %d", seed, step)
			require.Equal(t, last, s.last(), "seed %d step %d", seed, step)
			for i := snap.Index + 1; i <= last; i++ {
				got, ok := s.term(i)
				require.True(t, ok, "seed %d step %d: index %d", seed, step, i)
				require.Equal(t, model[i].term, got, "seed %d step %d: index %d", seed, step, i)
			}
			_, ok := s.term(last + 1)
			require.False(t, ok, "seed %d step %d: past the end", seed, step)
			for k := 1; k < len(s.runs); k++ {
				require.Less(t, s.runs[k-1].first, s.runs[k].first, "seed %d step %d: runs in order", seed, step)
				require.NotEqual(t, s.runs[k-1].term, s.runs[k].term, "seed %d step %d: one run a term", seed, step)
			}
			got, ok := s.term(snap.Index)
			require.True(t, ok)
			require.Equal(t, snap.Term, got)
		}
	}
}

// TestGrowKeepsAndZeroes: grow keeps every element, makes the new ones zero (also where a
// shortened slice's array still holds values), and at least doubles a full array.
func TestGrowKeepsAndZeroes(t *testing.T) {
	var s, model []int
	for i := 0; i < 3000; i += 1 + i%5 {
		prev := cap(s)
		s = grow(s, i)
		for len(model) <= i {
			model = append(model, 0)
		}
		require.Equal(t, model, s, "grow to %d", i)
		if i >= prev {
			require.GreaterOrEqual(t, cap(s), max(2*prev, i+1), "a full array of %d grew to %d", prev, cap(s))
		}
		s[i], model[i] = i+1, i+1
	}
	s = grow(s[:3], 10)
	require.Equal(t, append(slices.Clone(model[:3]), make([]int, 8)...), s)
}
