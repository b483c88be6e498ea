package raftcheck

import "github.com/lockstep-dst/lockstep/raft"

// checkRecovered is the durability check: what a peer synced survives its crash. Terms,
// votes and entries never regress across a restart: a peer that forgets its vote can vote
// twice in a term, and one that forgets entries can un-commit what a leader counted on
// it. A peer syncs every Ready before it sends anything, so it must restart with exactly
// the state of its last persisted Ready, or, if it crashed while writing the next one
// (Writing), with a mix of the two that the write order and torn writes allow: the
// hard state of either, the snapshot of either, and a log holding every synced entry the
// new Ready did not cut, each entry as one of them wrote it. Beyond what it synced, every vote it cast (sent) must be
// there: a vote sent but never made durable is forgotten at the next crash.
//
// hashes[k] is the hash of the command of rec.Entries[k]. known is how many of the first
// recovered entries logMatching already holds as they are (with that hash at that index and
// term): those its recovered need not look up again.
func (c *Checker) checkRecovered(id int, p *peerState, rec raft.Persistent, hashes []uint64) (known int, err error) {
	if !p.known {
		return 0, nil // the first boot the checker sees: nothing to compare with
	}
	s := &p.synced
	r := struct {
		hard raft.HardState
		snap raft.SnapshotMeta
	}{rec.Hard, rec.Snapshot}
	if r.hard.Term == 0 {
		r.hard.Vote = -1 // as the core reads it
	}
	var d *delta
	if p.writing {
		d = &p.pending
	}

	switch {
	case r.hard.Term < s.hard.Term:
		return 0, violation(Durability, "peer %d restarted in term %d, but had synced term %d", id, r.hard.Term, s.hard.Term)
	case r.hard.Term == s.hard.Term && s.hard.Vote >= 0 && r.hard.Vote != s.hard.Vote:
		return 0, violation(Durability, "peer %d restarted with vote %d in term %d, but had synced a vote for %d",
			id, r.hard.Vote, r.hard.Term, s.hard.Vote)
	case r.hard != s.hard && (d == nil || !d.hasHard || r.hard != d.hard):
		return 0, violation(Durability, "peer %d restarted with term %d vote %d, which it never wrote (synced term %d vote %d)",
			id, r.hard.Term, r.hard.Vote, s.hard.Term, s.hard.Vote)
	}
	if v, ok := c.votes.voted(id, r.hard.Term); ok && r.hard.Vote != v {
		return 0, violation(Durability, "peer %d restarted with vote %d in term %d, but had voted for %d in it",
			id, r.hard.Vote, r.hard.Term, v)
	}

	if r.snap != s.snap && (d == nil || !d.hasSnap || r.snap != d.snap) {
		if r.snap.Index < s.snap.Index {
			return 0, violation(Durability, "peer %d restarted with its snapshot at index %d, but had synced one at %d",
				id, r.snap.Index, s.snap.Index)
		}
		return 0, violation(Durability, "peer %d restarted with a snapshot at index %d term %d, which it never wrote (synced index %d term %d)",
			id, r.snap.Index, r.snap.Term, s.snap.Index, s.snap.Term)
	}

	at := cursor{s: s, k: -1}
	for k := range rec.Entries {
		i := r.snap.Index + 1 + k
		f := fact{rec.Entries[k].Term, hashes[k]}
		sf, synced := at.fact(i, &c.matching)
		if synced && sf == f {
			if known == k {
				known++
			}
			continue
		}
		if df, ok := d.fact(i); ok && df == f {
			continue
		}
		if st, ok := s.term(i); ok && i > s.snap.Index && st != f.term {
			return 0, violation(Durability, "peer %d restarted with an entry of term %d at index %d, but had synced one of term %d",
				id, f.term, i, st)
		}
		return 0, violation(Durability, "peer %d restarted with an entry at index %d (term %d) that it never wrote as such",
			id, i, f.term)
	}
	need := s.last()
	if d != nil && d.cut > 0 {
		need = min(need, d.cut-1)
	}
	if last := r.snap.Index + len(rec.Entries); last < need {
		return 0, violation(Durability, "peer %d restarted with its log ending at index %d, but had synced through %d",
			id, last, s.last())
	}
	return known, nil
}
