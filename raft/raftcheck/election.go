package raftcheck

// electionSafety: at most one leader can be elected in a given term (§5.2, Figure 3). A
// peer seen leading a term claims it; any other peer seen leading the same term is a
// violation.
type electionSafety struct {
	leaders []int // leaders[term] is the leader of term plus one (0: none seen); terms are small and dense
}

func (e *electionSafety) check(id, term int) error {
	if term < len(e.leaders) && e.leaders[term] > 0 {
		if l := e.leaders[term] - 1; l != id {
			return violation(ElectionSafety, "two leaders in term %d: peers %d and %d", term, l, id)
		}
		return nil
	}
	e.leaders = grow(e.leaders, term)
	e.leaders[term] = id + 1
	return nil
}

// grow returns s long enough to hold index i, the new elements zero. A full array is
// replaced by one of twice the length: the tables it grows (one slot per index committed
// or logged, per term) grow by a few slots at a time to thousands, and append's growth of
// a quarter for long slices allocated about five times their final size over a run where
// doubling allocates about twice.
func grow[T any](s []T, i int) []T {
	switch {
	case i < len(s):
		return s
	case i < cap(s):
		n := len(s)
		s = s[:i+1]
		clear(s[n:]) // zero even where a caller shortened s
		return s
	}
	t := make([]T, i+1, max(2*cap(s), i+1, 16))
	copy(t, s)
	return t
}
