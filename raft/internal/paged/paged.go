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
type Table[T any] struct {
	first []T   // slots [0, PageLen) that exist
	rest  [][]T // rest[k-1] holds the slots [k*PageLen, (k+1)*PageLen) that exist
	n     int   // the slots that exist: [0, n)
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

// Grow makes slot i exist; the slots it adds are zero. It inlines to a comparison when
// the slot exists.
func (p *Table[T]) Grow(i int) {
	if i >= p.n {
		p.grow(i)
	}
}

func (p *Table[T]) grow(i int) {
	if p.n < PageLen {
		if i >= cap(p.first) {
			t := make([]T, len(p.first), min(max(2*cap(p.first), i+1, 16), PageLen))
			copy(t, p.first)
			p.first = t
		}
		// Slots past a page's length were never used (nothing shrinks), so are zero.
		p.first = p.first[:min(i+1, cap(p.first))]
		p.n = len(p.first)
	}
	for p.n <= i {
		k := p.n>>pageShift - 1
		if k == len(p.rest) {
			p.rest = append(p.rest, make([]T, 0, PageLen))
		}
		pg := p.rest[k][:min(i+1-(k+1)<<pageShift, PageLen)]
		p.rest[k] = pg
		p.n = (k+1)<<pageShift + len(pg)
	}
}

// Push appends v in a new last slot.
func (p *Table[T]) Push(v T) {
	p.Grow(p.n)
	*p.At(p.n - 1) = v
}
