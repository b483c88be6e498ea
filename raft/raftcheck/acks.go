package raftcheck

import "github.com/lockstep-dst/lockstep/raft"

// ack is the "ack-retained" check's record of one peer: the highest index it acknowledged
// in term, and the term of its entry there. A follower acknowledges with a successful
// AppendEntries or InstallSnapshot reply (its match index); a leader with its own log,
// which it counts towards commitment as soon as it has persisted it. A leader of term may
// have counted the acknowledgement towards a commit, so until a leader of a higher term
// overwrites them the entries must stay: dropping one un-counts a replica the commit
// relied on. Checked after every Ready at O(1): by log matching, the same term at index
// means the same entries through it.
type ack struct {
	term      int // the term the acknowledgements were made in
	index     int // highest index acknowledged in term (0 = none)
	entryTerm int // term of the entry at index when acknowledged; -1 = a snapshot covered it
}

// check runs after a Ready is applied to st, the peer's stored state, whose term is term;
// acked is the highest index the Ready's messages acknowledge in term (voteLedger.record),
// and leader says whether the peer leads term.
func (a *ack) check(id, term int, st *stored, acked int, leader bool) error {
	if term > a.term {
		*a = ack{term: term}
	}
	if a.index > 0 && a.entryTerm >= 0 {
		t, ok := st.term(a.index)
		switch {
		case ok && t != a.entryTerm:
			return violation(AckRetained, "peer %d replaced entry %d of term %d, acknowledged in term %d, by one of term %d",
				id, a.index, a.entryTerm, a.term, t)
		case !ok && a.index > st.last():
			return violation(AckRetained, "peer %d dropped entries %d..%d, acknowledged in term %d, still in term %d",
				id, st.last()+1, a.index, a.term, term)
		}
	}
	hi := acked
	if leader {
		hi = max(hi, st.last())
	}
	if hi > a.index {
		t, ok := st.term(hi)
		if !ok {
			if hi > st.last() {
				return violation(AckRetained, "peer %d acknowledged index %d in term %d, but has stored only through %d",
					id, hi, term, st.last())
			}
			t = -1
		}
		a.index, a.entryTerm = hi, t
	}
	return nil
}

// checkMatchBound is the "match-bound" check on a leader: its match index for a peer
// (the highest index it believes the peer holds) never exceeds its own log. A larger one
// counts entries that do not exist towards commitment.
func checkMatchBound(id int, s View, n int) error {
	if r, ok := s.(*raft.Raft); ok {
		// The core itself, called directly: its Match inlines, where a call through View
		// for each peer was most of this check.
		last := r.LastIndex()
		for p := range n {
			if m, ok := r.Match(p); ok && m > last {
				return matchBeyond(id, m, p, last)
			}
		}
		return nil
	}
	last := s.LastIndex()
	for p := range n {
		if m, ok := s.Match(p); ok && m > last {
			return matchBeyond(id, m, p, last)
		}
	}
	return nil
}

func matchBeyond(id, match, peer, last int) error {
	return violation(MatchBound, "leader %d has match index %d for peer %d, beyond its last index %d", id, match, peer, last)
}
