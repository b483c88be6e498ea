package raft

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCompactKeepsHandedOutSlices: the entries a Ready or a MsgApp took from the log (slice)
// keep what they were given through compactions and the appends after them, whether
// compact left the kept tail in place or moved it.
func TestCompactKeepsHandedOutSlices(t *testing.T) {
	var l raftLog
	var handed [][]Entry
	var want [][]Entry
	next := 1
	add := func(n int) {
		for range n {
			l.append(entry(1, next, fmt.Sprint("c", next)))
			next++
		}
	}
	for round := range 40 {
		add(1 + round%7)
		lo := l.firstIndex() + (l.lastIndex()-l.firstIndex())/2
		s := l.slice(lo, l.lastIndex()+1)
		handed = append(handed, s)
		want = append(want, slices.Clone(s))
		if round%3 != 2 {
			l.compact(l.lastIndex() - round%3) // keep 0 or 1 entries
		}
		l.check()
	}
	for i := range handed {
		require.Equal(t, want[i], handed[i], "slice %d was written after it was handed out", i)
	}
	require.Equal(t, next-1, l.lastIndex())
}

// TestCompactMovesOnlyWhenShortOfRoom: compact leaves the kept tail in its array while
// there is room past it for as many entries as it compacted, and otherwise moves it to an
// array with compactRoom times that room.
func TestCompactMovesOnlyWhenShortOfRoom(t *testing.T) {
	var l raftLog
	l.ents = make([]Entry, 0, 16)
	for i := 1; i <= 10; i++ {
		l.append(entry(1, i, "c"))
	}
	fifth := &l.ents[4]
	l.compact(4) // keeps 5..10, with room for 6 more >= 4 compacted
	require.Same(t, fifth, &l.ents[0], "the kept tail stays in place")
	require.Equal(t, 5, l.firstIndex())

	for i := 11; i <= 15; i++ {
		l.append(entry(1, i, "c"))
	}
	thirteenth := &l.ents[8]
	l.compact(12) // keeps 13..15, room for 1 more < 8 compacted
	require.NotSame(t, thirteenth, &l.ents[0], "moved")
	require.Equal(t, 3, len(l.ents))
	require.Equal(t, 3+compactRoom*8, cap(l.ents))
	require.Equal(t, 13, l.ents[0].Index)
	l.check()
}

// TestAppendChecksEveryEntryFirst: append refuses entries that do not continue the log (a
// gap, an index already held, a term below the last), wherever they are in the batch, and
// then appends none of the batch, saying which entry does not continue which log.
func TestAppendChecksEveryEntryFirst(t *testing.T) {
	for _, tt := range []struct {
		name  string
		batch []Entry
		msg   string
	}{
		{"gap", []Entry{entry(2, 4, "a"), entry(2, 6, "b")},
			"raft: invariant log contiguity violated: appending index 6 after last index 4"},
		{"index held", []Entry{entry(2, 3, "a")},
			"raft: invariant log contiguity violated: appending index 3 after last index 3"},
		{"term below the log's", []Entry{entry(1, 4, "a")},
			"raft: invariant log terms non-decreasing violated: appending 4/t1 after t2"},
		{"term below the batch's", []Entry{entry(3, 4, "a"), entry(2, 5, "b")},
			"raft: invariant log terms non-decreasing violated: appending 5/t2 after t3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l raftLog
			l.append(entry(1, 1, "x"), entry(2, 2, "y"), entry(2, 3, "z"))
			require.PanicsWithError(t, tt.msg, func() { l.append(tt.batch...) })
			require.Equal(t, 3, l.lastIndex())
			require.Equal(t, 2, l.lastTerm())
		})
	}
	var l raftLog
	l.append(entry(1, 1, "x"))
	l.append(entry(1, 2, "y"), entry(3, 3, "z"))
	require.Equal(t, []Entry{entry(1, 1, "x"), entry(1, 2, "y"), entry(3, 3, "z")}, l.slice(1, 4))
}

// TestCompactedLogArraysComeBackOnlyWhenFree: compact and append move the log back into an
// array it left (the spare) only once the host has advanced the Readies that could hold
// slices of it, so that a Ready's entries, its own and its messages', stay as they were until
// it is advanced, whatever the leader steps, snapshots and appends meanwhile (a host steps
// responses while a Ready is out, and a service snapshots from inside Apply); and it does
// move back, rather than allocate at every move. Runs of proposals of random lengths make the
// log move at any point, once every few snapshots or at consecutive ones, and appends fill
// its array before or after a Ready is taken.
func TestCompactedLogArraysComeBackOnlyWhenFree(t *testing.T) {
	reused := 0
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, seed))
		r := newNode(t, 0, 3, Persistent{})
		makeLeader(t, r) // its first heartbeats are in flight
		for _, f := range []int{1, 2} {
			r.Step(r.now, Message{Type: MsgAppResp, From: f, To: 0, Term: r.term, Success: true})
		}
		base := func() *Entry {
			if cap(r.log.base) == 0 {
				return nil
			}
			return &r.log.base[:1][0]
		}
		wasMoved := false
		for round := 0; round < 300; round++ {
			n := 1 + rng.IntN(3)
			if rng.IntN(8) == 0 {
				n = 5 + rng.IntN(40)
			}
			before := base()
			for k := 0; k < n; k++ {
				r.Propose(r.now, []byte(fmt.Sprintf("cmd %d.%d", round, k)))
			}
			rd := r.Ready()
			taken := base()
			held := [][]Entry{slices.Clone(rd.Entries)}
			for _, m := range rd.Messages {
				held = append(held, slices.Clone(m.Entries))
			}
			for _, m := range rd.Messages {
				if m.Type == MsgApp {
					r.Step(r.now, Message{Type: MsgAppResp, From: m.To, To: 0, Term: r.term, Success: true,
						MatchIndex: m.PrevIndex + len(m.Entries)})
				}
			}
			if rng.IntN(4) > 0 && r.applied > r.log.snap.Index {
				spare, from := r.log.spare, base()
				r.Snapshot(r.applied, []byte("snap"))
				if base() != from && cap(spare) > 0 && &spare[:1][0] == base() {
					reused++
				}
			}
			r.Propose(r.now, []byte(fmt.Sprintf("during %d", round))) // appends while rd is out
			got := [][]Entry{rd.Entries}
			for _, m := range rd.Messages {
				got = append(got, m.Entries)
			}
			require.Equal(t, held, got, "seed %d, round %d: the outstanding Ready's entries changed", seed, round)
			moved := base() != taken
			r.Advance(&rd)
			if moved {
				// Messages queued before the move, with entries of the array it left, go out
				// with the next Ready.
				require.False(t, r.log.spareFree, "seed %d, round %d: the array left is free before the next Ready", seed, round)
			}
			if (wasMoved || before != taken) && !moved && len(r.catchUp) == 0 {
				require.True(t, r.log.spareFree, "seed %d, round %d: the array left is not free after the next Ready", seed, round)
			}
			wasMoved = moved
		}
	}
	t.Logf("%d compactions move back into the spare", reused)
	require.Greater(t, reused, 50, "moves back into the spare")
}

// TestAppendMovesIntoTheSpareOnlyWhenFree: an append that finds the log's array full goes
// into the array the log left before only once the core said it is free, and only if it has
// half the room a new array would get; the array it leaves becomes the spare.
func TestAppendMovesIntoTheSpareOnlyWhenFree(t *testing.T) {
	var l raftLog
	for i := 1; i <= 8; i++ {
		l.append(Entry{Term: 1, Index: i})
	}
	l.compact(4)
	l.ents = l.ents[:4:4] // full: the next append moves the log; a new array would have room for 4+1+4
	l.settledLast = 4
	spare := make([]Entry, 0, 100)
	l.spare = spare
	from := &l.base[:1][0]
	require.True(t, l.append(Entry{Term: 1, Index: 9}))
	require.NotSame(t, &spare[:1][0], &l.ents[0], "moved into a spare not yet free")
	require.Same(t, from, &l.spare[:1][0], "the array left is the spare")
	require.False(t, l.spareFree)

	l.ents = l.ents[:len(l.ents):len(l.ents)]
	l.spare, l.spareFree = spare, true
	require.True(t, l.append(Entry{Term: 1, Index: 10}))
	require.Same(t, &spare[:1][0], &l.ents[0], "the free spare with room is used")
	require.Equal(t, []Entry{{Term: 1, Index: 5}, {Term: 1, Index: 6}, {Term: 1, Index: 7}, {Term: 1, Index: 8},
		{Term: 1, Index: 9}, {Term: 1, Index: 10}}, l.ents)
	require.False(t, l.spareFree, "the array left is the new spare, not free")

	// Six entries and one more: a new array would have room for 6+1+6, the spare needs 6+1+3.
	l.ents = l.ents[:len(l.ents):len(l.ents)]
	small := make([]Entry, 0, 9)
	l.spare, l.spareFree = small, true
	require.True(t, l.append(Entry{Term: 1, Index: 11}))
	require.NotSame(t, &small[:1][0], &l.ents[0], "a spare without the room is not used")
	fits := make([]Entry, 0, 11) // seven entries and one more: 7+1+3

	l.ents = l.ents[:len(l.ents):len(l.ents)]
	l.spare, l.spareFree = fits, true
	require.True(t, l.append(Entry{Term: 1, Index: 12}))
	require.Same(t, &fits[:1][0], &l.ents[0], "a free spare with half the room of a new array")
	require.Len(t, l.ents, 8)
	require.False(t, l.append(Entry{Term: 1, Index: 13}), "room left: no move")
}

// TestCompactMovesIntoTheSpareOnlyWhenFree: a compaction that moves the log goes into the
// array the log left before only once the core said it is free, and only if it has the room.
func TestCompactMovesIntoTheSpareOnlyWhenFree(t *testing.T) {
	var l raftLog
	for i := 1; i <= 8; i++ {
		l.append(Entry{Term: 1, Index: i})
	}
	l.ents = l.ents[:8:8] // no room: the next compaction moves the log
	l.spare = make([]Entry, 0, 100)
	spare := l.spare
	require.True(t, l.compact(4))
	require.NotSame(t, &spare[:1][0], &l.ents[0], "moved into a spare not yet free")

	l.ents = l.ents[:len(l.ents):len(l.ents)]
	l.spare, l.spareFree = spare, true
	require.True(t, l.compact(6))
	require.Same(t, &spare[:1][0], &l.ents[0], "the free spare with room is used")
	require.Equal(t, []Entry{{Term: 1, Index: 7}, {Term: 1, Index: 8}}, l.ents)
	require.False(t, l.spareFree, "the array left is the new spare, not free")

	// Keeping 8 and compacting 7 needs room for 2 in the spare; keeping 9 and 10 and
	// compacting 8, for 3.
	fits := make([]Entry, 0, 2)
	l.spare, l.spareFree = fits, true
	l.ents = l.ents[:len(l.ents):len(l.ents)]
	require.True(t, l.compact(7))
	require.Same(t, &fits[:1][0], &l.ents[0], "a free spare with room for the tail and one compaction's entries")
	l.append(Entry{Term: 1, Index: 9}, Entry{Term: 1, Index: 10})
	l.ents = l.ents[:len(l.ents):len(l.ents)]
	small := make([]Entry, 0, 2)
	l.spare, l.spareFree = small, true
	require.True(t, l.compact(8))
	require.NotSame(t, &small[:1][0], &l.ents[0], "a spare without the room is not used")
	require.Equal(t, []Entry{{Term: 1, Index: 9}, {Term: 1, Index: 10}}, l.ents)
}

// TestLogTermsAndSlices: mustTerm gives the snapshot's term at its index and each entry's
// after it, and slice the entries of any range inside the log (nil for an empty one, capped
// at its end); both panic, saying what was asked of which log, outside it.
func TestLogTermsAndSlices(t *testing.T) {
	l := raftLog{snap: SnapshotMeta{Index: 3, Term: 2}}
	l.append(Entry{Term: 2, Index: 4}, Entry{Term: 3, Index: 5}, Entry{Term: 5, Index: 6})
	for i, want := range map[int]int{3: 2, 4: 2, 5: 3, 6: 5} {
		require.Equal(t, want, l.mustTerm(i), "index %d", i)
	}
	for _, i := range []int{2, 7} {
		require.PanicsWithError(t, fmt.Sprintf("raft: term of index %d requested outside log [3, 6]", i), func() { l.mustTerm(i) })
	}
	for lo := 4; lo <= 7; lo++ {
		for hi := lo; hi <= 7; hi++ {
			s := l.slice(lo, hi)
			if lo == hi {
				require.Nil(t, s)
				continue
			}
			require.Equal(t, l.ents[lo-4:hi-4], s, "[%d, %d)", lo, hi)
			require.Equal(t, len(s), cap(s), "[%d, %d): capped", lo, hi)
			require.Same(t, &l.ents[lo-4], &s[0], "[%d, %d): the log's own", lo, hi)
		}
	}
	for _, r := range [][2]int{{3, 5}, {4, 8}, {6, 5}} {
		require.PanicsWithError(t, fmt.Sprintf("raft: slice [%d, %d) requested outside log [4, 6]", r[0], r[1]), func() { l.slice(r[0], r[1]) })
	}
}
