package raftsim

import "fmt"

// electionSafety: at most one leader can be elected in a given term (§5.2,
// Figure 3). A node seen as leader of a term claims it; any other node seen
// as leader of the same term is a violation.
type electionSafety struct {
	leaders map[int]int // term -> leader
}

func (e *electionSafety) check(id, term int) error {
	if l, ok := e.leaders[term]; ok && l != id {
		return fmt.Errorf("two leaders in term %d: peers %d and %d", term, l, id)
	}
	e.leaders[term] = id
	return nil
}
