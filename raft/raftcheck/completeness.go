package raftcheck

// checkLeaderCompleteness: if a log entry is committed in a given term, it is present in the
// logs of the leaders of all higher terms (§5.4). When an instance of a peer is first seen
// leading a term, its log must hold every entry any peer has applied (applied implies
// committed) in an earlier term, except those its snapshot covers. This scan is the one
// check that is not O(Ready): it runs once per term and leader instance, over the
// committed entries past the leader's snapshot. Per instance, not per term: a peer whose
// storage was lost (Halted) that comes back and leads the same term again, having been
// granted the votes it already had, may lead it with a shorter log, and only the second
// scan would see that.
//
// Only entries committed in an earlier term: a leader of an older term can be elected
// after a newer term committed more, and lack it legitimately (raft/Swarm seed 32): peer
// 1 asks for votes in term 15 and is paused with the grants in flight; peer 2 wins term
// 16 and commits index 132; peer 1 resumes, counts its term-15 votes and leads term 15
// with a log ending at 131. It can commit nothing (its followers are in term 16 now), and
// no leader of a term after 16 lacks 132.
func checkLeaderCompleteness(id int, s View, term int, m *stateMachineSafety) error {
	for i := s.SnapshotMeta().Index + 1; i <= m.maxCommitted; i++ {
		want := m.entry(i)
		if want == nil {
			continue // known only through a snapshot
		}
		if want.commitTerm > term {
			// Committed in a later term, as far as we know. (An entry a peer applied in
			// this very term was committed in it by this leader, which holds it, or
			// earlier: required either way.)
			continue
		}
		got, present := s.Term(i)
		if !present {
			return violation(LeaderCompleteness, "leader %d of term %d lacks committed entry %d (its log ends at %d)",
				id, term, i, s.LastIndex())
		}
		if got != want.term {
			return violation(LeaderCompleteness, "leader %d of term %d has term %d at committed index %d, committed term was %d",
				id, term, got, i, want.term)
		}
	}
	return nil
}
