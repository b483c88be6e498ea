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
