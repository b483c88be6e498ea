package raftsim

import "github.com/lockstep-dst/lockstep/raft"
import "fmt"

// durableState is what a peer had synced after its last Ready.
type durableState struct {
	hard      raft.HardState
	snapIndex int
	lastIndex int
	lastTerm  int
}

// durability: what a peer synced survives its crash. Terms, votes and
// acknowledged entries never regress across a restart: a peer that forgets
// its vote can vote twice in a term; one that forgets acknowledged entries
// can un-commit them. The peer syncs every Ready before sending anything, so
// a restarted peer must recover exactly the state of its last Ready.
type durability struct {
	synced []durableState
	known  []bool
}

func (d *durability) persisted(id int, core *raft.Raft) {
	last := core.LastIndex()
	lt, _ := core.Term(last)
	d.synced[id] = durableState{hard: core.HardState(), snapIndex: core.SnapshotMeta().Index, lastIndex: last, lastTerm: lt}
	d.known[id] = true
}

func (d *durability) booted(id int, rec raft.Persistent) error {
	if !d.known[id] {
		return nil
	}
	want := d.synced[id]
	if rec.Hard.Term < want.hard.Term {
		return fmt.Errorf("peer %d restarted in term %d, but had synced term %d", id, rec.Hard.Term, want.hard.Term)
	}
	if rec.Hard.Term == want.hard.Term && want.hard.Vote >= 0 && rec.Hard.Vote != want.hard.Vote {
		return fmt.Errorf("peer %d restarted with vote %d in term %d, but had synced a vote for %d", id, rec.Hard.Vote, rec.Hard.Term, want.hard.Vote)
	}
	last := rec.Snapshot.Index
	lastTerm := rec.Snapshot.Term
	if n := len(rec.Entries); n > 0 {
		last, lastTerm = rec.Entries[n-1].Index, rec.Entries[n-1].Term
	}
	if rec.Snapshot.Index < want.snapIndex {
		return fmt.Errorf("peer %d restarted with snapshot at %d, but had synced one at %d", id, rec.Snapshot.Index, want.snapIndex)
	}
	if last != want.lastIndex || lastTerm != want.lastTerm {
		return fmt.Errorf("peer %d restarted with log ending at index %d term %d, but had synced index %d term %d",
			id, last, lastTerm, want.lastIndex, want.lastTerm)
	}
	return nil
}
