package raft

import "fmt"

// leaderCompleteness: if a log entry is committed in a given term, it is
// present in the logs of the leaders of all higher terms (§5.4). When a peer
// is first seen leading a term, its log must hold every entry any peer has
// applied (applied implies committed), except those its snapshot covers.
type leaderCompleteness struct {
	checked map[int]bool // terms already checked
}

func (l *leaderCompleteness) check(core *Raft, term int, m *stateMachineSafety) error {
	if l.checked[term] {
		return nil
	}
	l.checked[term] = true
	first := core.SnapshotMeta().Index + 1
	for i := first; i <= m.maxCommitted; i++ {
		want, ok := m.committed[i]
		if !ok {
			continue // known only through a snapshot
		}
		got, present := core.Term(i)
		if !present {
			return fmt.Errorf("leader %d of term %d lacks committed entry %d (its log ends at %d)", core.ID(), term, i, core.LastIndex())
		}
		if got != want.term {
			return fmt.Errorf("leader %d of term %d has term %d at committed index %d, committed term was %d", core.ID(), term, got, i, want.term)
		}
	}
	return nil
}
