// Package paged holds Table, a table indexed from 0 that only grows at its end, for the
// checkers and the harness of package raft, which keep one slot per log index (the
// committed entries, the first term seen at each index, the group's history).
package paged

// Table's slots lie in pages of PageLen: the first page grows by doubling up to PageLen,
// as a slice would, and every later one is allocated whole. A growing slice moves to an
// array twice its length each time it fills, and allocates two to four times its final
// size over a run (the tables of raft/Swarm, whose logs reach thousands of entries, were a
// tenth of its allocation); pages allocate it about once, and are never copied. The zero
// value is an empty table.
type Table[T any] struct {
	pages [][]T // pages[k] holds the slots [k*PageLen, (k+1)*PageLen) that exist
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
func (p *Table[T]) At(i int) *T { return &p.pages[i>>pageShift][i&(PageLen-1)] }

// Grow makes slot i exist; the slots it adds are zero.
func (p *Table[T]) Grow(i int) {
	for p.n <= i {
		k := p.n >> pageShift
		if k == len(p.pages) {
			c := PageLen
			if k == 0 {
				c = min(max(i+1, 16), PageLen)
			}
			p.pages = append(p.pages, make([]T, 0, c))
		}
		pg := p.pages[k]
		if len(pg) == cap(pg) { // the first page, full short of PageLen
			t := make([]T, len(pg), min(2*cap(pg), PageLen))
			copy(t, pg)
			pg = t
		}
		// Slots past a page's length were never used (nothing shrinks), so are zero.
		pg = pg[:min(i+1-k<<pageShift, cap(pg))]
		p.pages[k] = pg
		p.n = k<<pageShift + len(pg)
	}
}

// Push appends v in a new last slot.
func (p *Table[T]) Push(v T) {
	p.Grow(p.n)
	*p.At(p.n - 1) = v
}
