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

// grow returns s long enough to hold index i, the new elements zero.
func grow[T any](s []T, i int) []T {
	if i < len(s) {
		return s
	}
	return append(s, make([]T, i+1-len(s))...)
}
