package raftsim

import "github.com/lockstep-dst/lockstep/raft"
import "fmt"

type voteKey struct{ node, term int }

// oneVotePerTerm: each server votes for at most one candidate in a given
// term (§5.2), across restarts too. The checker remembers every granted vote
// outside the nodes, so a peer that forgets its vote in a crash and votes
// again is caught even when no second leader results.
type oneVotePerTerm struct {
	votes map[voteKey]int
}

func (v *oneVotePerTerm) check(id int, rd raft.Ready) error {
	for _, m := range rd.Messages {
		if m.Type != raft.MsgVoteResp || !m.Granted {
			continue
		}
		k := voteKey{id, m.Term}
		if prev, ok := v.votes[k]; ok && prev != m.To {
			return fmt.Errorf("peer %d voted twice in term %d: for %d and for %d", id, m.Term, prev, m.To)
		}
		v.votes[k] = m.To
	}
	return nil
}
