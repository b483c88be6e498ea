package sim

// slabSize is how many values a Slab allocates at once.
const slabSize = 32

// Slab hands out pointers to zero values of T, allocated slabSize at a time:
// one allocation per slabSize values instead of one per value. It is for
// objects a simulated component makes on every message or timer and can
// never reuse, because whoever receives one may keep it (netsim's Requests,
// clock's timers). The price: a value still reachable keeps its whole chunk,
// and whatever the chunk's other values point to, from the garbage
// collector. The zero Slab is ready to use; it is not safe for concurrent
// use, like everything else a world owns.
type Slab[T any] struct {
	rest []T // what is left of the current chunk
}

// New returns a pointer to a zero T that no other call returns.
func (s *Slab[T]) New() *T {
	if len(s.rest) == 0 {
		s.rest = make([]T, slabSize)
	}
	v := &s.rest[0]
	s.rest = s.rest[1:]
	return v
}
