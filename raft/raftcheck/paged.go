package raftcheck

// paged is a table indexed from 0 that only grows at its end, one slot per log index (the
// committed entries, the first term seen at each index). Its slots lie in pages of
// pageLen: the first page grows by doubling up to pageLen, as a slice would, and every
// later one is allocated whole. A growing slice moves to an array twice its length each
// time it fills, and allocates two to four times its final size over a run (the tables
// of raft/Swarm, whose logs reach thousands of entries, were a tenth of its allocation);
// pages allocate it about once, and are never copied.
type paged[T any] struct {
	pages [][]T // pages[k] holds the slots [k*pageLen, (k+1)*pageLen) that exist
	n     int   // the slots that exist: [0, n)
}

const (
	pageShift = 9
	pageLen   = 1 << pageShift
)

// len returns the number of slots.
func (p *paged[T]) len() int { return p.n }

// at returns slot i, which must exist (i < len()).
func (p *paged[T]) at(i int) *T { return &p.pages[i>>pageShift][i&(pageLen-1)] }

// grow makes slot i exist; the slots it adds are zero.
func (p *paged[T]) grow(i int) {
	for p.n <= i {
		k := p.n >> pageShift
		if k == len(p.pages) {
			c := pageLen
			if k == 0 {
				c = min(max(i+1, 16), pageLen)
			}
			p.pages = append(p.pages, make([]T, 0, c))
		}
		pg := p.pages[k]
		if len(pg) == cap(pg) { // the first page, full short of pageLen
			t := make([]T, len(pg), min(2*cap(pg), pageLen))
			copy(t, pg)
			pg = t
		}
		// Slots past a page's length were never used (nothing shrinks), so are zero.
		pg = pg[:min(i+1-k<<pageShift, cap(pg))]
		p.pages[k] = pg
		p.n = k<<pageShift + len(pg)
	}
}
