package raft

import (
	"fmt"
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
// then appends none of the batch.
func TestAppendChecksEveryEntryFirst(t *testing.T) {
	for _, tt := range []struct {
		name  string
		batch []Entry
	}{
		{"gap", []Entry{entry(2, 4, "a"), entry(2, 6, "b")}},
		{"index held", []Entry{entry(2, 3, "a")}},
		{"term below the log's", []Entry{entry(1, 4, "a")}},
		{"term below the batch's", []Entry{entry(3, 4, "a"), entry(2, 5, "b")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l raftLog
			l.append(entry(1, 1, "x"), entry(2, 2, "y"), entry(2, 3, "z"))
			require.Panics(t, func() { l.append(tt.batch...) })
			require.Equal(t, 3, l.lastIndex())
			require.Equal(t, 2, l.lastTerm())
		})
	}
	var l raftLog
	l.append(entry(1, 1, "x"))
	l.append(entry(1, 2, "y"), entry(3, 3, "z"))
	require.Equal(t, []Entry{entry(1, 1, "x"), entry(1, 2, "y"), entry(3, 3, "z")}, l.slice(1, 4))
}
