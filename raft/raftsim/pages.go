package raftsim

import "iter"

// pages is a list that only grows at its end, in pages: the first holds 16 items, each next
// one twice as many up to pageItems, then pageItems each. What the clients saw committed
// (thousands of items a run) was appended to slices, which move to an array twice their
// length each time they fill and so allocate two to four times their final size; pages
// are never copied.
type pages[T any] struct {
	full [][]T // the filled pages, in order
	last []T   // the page being filled
}

const pageItems = 512

// push appends v.
func (p *pages[T]) push(v T) {
	if len(p.last) == cap(p.last) {
		c := 16
		if p.last != nil {
			p.full = append(p.full, p.last)
			c = min(2*cap(p.last), pageItems)
		}
		p.last = make([]T, 0, c)
	}
	p.last = append(p.last, v)
}

// all yields the items in the order they were pushed.
func (p *pages[T]) all() iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, pg := range p.full {
			for _, v := range pg {
				if !yield(v) {
					return
				}
			}
		}
		for _, v := range p.last {
			if !yield(v) {
				return
			}
		}
	}
}
