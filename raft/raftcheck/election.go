package raftcheck

// electionSafety: at most one leader can be elected in a given term (§5.2, Figure 3). A
// peer seen leading a term claims it; any other peer seen leading the same term is a
// violation.
type electionSafety struct {
	leaders map[int]int // term -> leader
}

func (e *electionSafety) check(id, term int) error {
	if l, ok := e.leaders[term]; ok {
		if l != id {
			return violation(ElectionSafety, "two leaders in term %d: peers %d and %d", term, l, id)
		}
		return nil
	}
	e.leaders[term] = id
	return nil
}
