package raftcheck

import "github.com/lockstep-dst/lockstep/raft"

type voteKey struct{ node, term int }

// voteLedger is the "votes" check: each server votes for at most one candidate in a given
// term (§5.2), across restarts too. The ledger lives outside the peers, so a peer that
// forgets its vote in a crash and votes again is caught even when no second leader
// results. A peer's vote shows three ways, all recorded: the vote in a persisted hard
// state, a granted RequestVote reply, and a RequestVote request, which a candidate sends
// only after voting for itself.
type voteLedger struct {
	votes map[voteKey]int
}

// record records the votes rd casts: its hard state's, and those its messages show. It
// also returns the highest index its messages acknowledge in term (a successful
// AppendEntries or InstallSnapshot reply's match index), for the ack-retained check,
// which would otherwise go over the messages again.
func (v *voteLedger) record(id, term int, rd *raft.Ready) (acked int, err error) {
	if rd.Hard != nil && rd.Hard.Vote >= 0 {
		if err := v.cast(id, rd.Hard.Term, rd.Hard.Vote); err != nil {
			return 0, err
		}
	}
	for i := range rd.Messages {
		m := &rd.Messages[i]
		switch m.Type {
		case raft.MsgAppResp, raft.MsgSnapResp:
			if m.Success && m.Term == term {
				acked = max(acked, m.MatchIndex)
			}
		case raft.MsgVote:
			err = v.cast(id, m.Term, id)
		case raft.MsgVoteResp:
			if m.Granted {
				err = v.cast(id, m.Term, m.To)
			}
		}
		if err != nil {
			return 0, err
		}
	}
	return acked, nil
}

func (v *voteLedger) cast(id, term, candidate int) error {
	k := voteKey{id, term}
	if prev, ok := v.votes[k]; ok {
		if prev != candidate {
			return violation(Votes, "peer %d voted twice in term %d: for %d and for %d", id, term, prev, candidate)
		}
		return nil
	}
	v.votes[k] = candidate
	return nil
}

// voted returns the vote peer id cast in term, if the ledger saw one.
func (v *voteLedger) voted(id, term int) (int, bool) {
	c, ok := v.votes[voteKey{id, term}]
	return c, ok
}

// checkVoteStable is the "vote-stable" check on a persisted hard state next after prev:
// the persisted term never decreases, and within a term a persisted vote never changes
// (not to another candidate, not back to none). A changed vote on disk lets a restart
// vote again even if the peer never sent the second vote before it crashed.
func checkVoteStable(id int, prev, next raft.HardState) error {
	switch {
	case next.Term < prev.Term:
		return violation(VoteStable, "peer %d persisted term %d after term %d", id, next.Term, prev.Term)
	case next.Term == prev.Term && prev.Vote >= 0 && next.Vote != prev.Vote:
		return violation(VoteStable, "peer %d persisted vote %d in term %d, after persisting a vote for %d in it",
			id, next.Vote, next.Term, prev.Vote)
	}
	return nil
}
