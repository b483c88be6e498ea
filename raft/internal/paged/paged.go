// Package paged holds Table, a table indexed from 0 that only grows at its end, for the
// checkers and the harness of package raft, which keep one slot per log index (the
// committed entries, the first term seen at each index, the group's history).
package paged

// Table's slots lie in pages of PageLen: the first page grows by doubling up to PageLen,
// as a slice would, and every later one is allocated whole. A growing slice moves to an
// array twice its length each time it fills, and allocates two to four times its final
// size over a run (the tables of raft/Swarm, whose logs reach thousands of entries, were a
// tenth of its allocation); pages allocate it about once, and are never copied. The first
// page has a field of its own, so that a short table costs what a slice does. The zero
// value is an empty table.
//
// Every page is kept at its full length, and only n says which slots exist: a table grows
// one slot at a time (a log index at a time), and adding a slot to a page that has room is
// then one store, in line (Grow), not a call that re-slices the page and stores the slice
// back.
//
// The later pages are arrays, by pointer: a slot's place in its page is then in range by
// construction, with no length to load and compare.
type Table[T any] struct {
	first []T           // slots [0, len(first)), len(first) <= PageLen
	rest  []*[PageLen]T // rest[k-1] holds the slots [k*PageLen, (k+1)*PageLen)
	n     int           // the slots that exist: [0, n)
	// room is the slots the pages hold, [0, room), room >= n: derivable from the pages,
	// and kept so that Grow's inline test is one comparison.
	room int
}

const (
	pageShift = 9
	// PageLen is the number of slots of every page but a short first one.
	PageLen = 1 << pageShift
)

// Len returns the number of slots.
func (p *Table[T]) Len() int { return p.n }

// At returns slot i, which must exist (i < Len()).
func (p *Table[T]) At(i int) *T {
	if i < PageLen {
		return &p.first[i]
	}
	return &p.rest[i>>pageShift-1][i&(PageLen-1)]
}

// Grow makes slot i exist; the slots it adds are zero (slots past n were never used:
// nothing shrinks). It inlines, and calls grow only for room the pages lack (a larger
// first page, or another page).
func (p *Table[T]) Grow(i int) {
	if i >= p.n {
		if i >= p.room {
			p.grow(i)
		}
		p.n = i + 1
	}
}

// grow makes room for slot i: it moves the first page to a larger array (up to PageLen)
// while it is short, then adds pages until slot i is in one. It is never inlined: it runs
// once a page, and inlined into the loop of a caller (the checkers' loops over a Ready's
// entries and applies, where Grow inlines) it took registers the loop then spilled.
//
//go:noinline
func (p *Table[T]) grow(i int) {
	if len(p.first) < PageLen {
		t := make([]T, min(max(2*len(p.first), i+1, 16), PageLen))
		copy(t, p.first)
		p.first = t
		p.room = len(t)
	}
	for p.room <= i {
		p.rest = append(p.rest, new([PageLen]T))
		p.room += PageLen
	}
}

// Push appends v in a new last slot.
func (p *Table[T]) Push(v T) {
	p.Grow(p.n)
	*p.At(p.n - 1) = v
}
