package raftcheck

import (
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/internal/paged"
)

type committedEntry struct {
	term int
	// commitTerm is the lowest current term of a peer when it applied the entry. A peer
	// applies only what a leader of its current term, or of an earlier one, said is
	// committed, so the entry was committed in commitTerm or before, and every leader of
	// a later term must hold it (leader completeness). A leader applies what it commits
	// in the same Ready, so this is normally the exact term of commitment.
	commitTerm int
	known      bool // some peer applied it (the zero value: none did)
	// n and cmd are a copy of the first command applied at the index (see setCommand): its
	// length (-1: nil), and the command, or where the checker's commands keep it. The checks
	// compare bytes, so a later apply is held to exactly this command.
	n   int32
	cmd [shortCommand]byte
}

// stateMachineSafety: if a server has applied a log entry at a given index to its state
// machine, no other server will ever apply a different log entry for the same index
// (§5.4.3), and each server applies in index order, with nothing skipped (after a
// snapshot at i, the next command is i+1). It also runs the apply half of
// snapshot-advances: a snapshot a peer installs replaces its state machine, so it must be
// beyond everything that state machine applied.
type stateMachineSafety struct {
	committed    paged.Table[committedEntry] // committed.At(i-1) is index i: indices are dense
	commands     commandStore                // the committed commands too long for their entries
	maxCommitted int
	applied      []int // per peer: last index applied (or covered by its snapshot)
}

// entry returns what was applied at index i, or nil if no peer applied a command there.
// The pointer is good until the table next grows (check).
func (s *stateMachineSafety) entry(i int) *committedEntry {
	if i < 1 || i > s.committed.Len() {
		return nil
	}
	if e := s.committed.At(i - 1); e.known {
		return e
	}
	return nil
}

// booted: the service restores the recovered snapshot, and applies from after it.
func (s *stateMachineSafety) booted(id int, rec raft.Persistent) {
	s.applied[id] = rec.Snapshot.Index
}

// check checks the applies of one Ready of peer id, whose current term is term. The peer's
// last applied index is kept in a local while its applies are gone through, and stored back
// before any return: read through s.applied[id], it was loaded and bounds-checked three
// times an apply.
func (s *stateMachineSafety) check(id, term int, rd *raft.Ready) error {
	applied := s.applied[id]
	// The slice in a local: read through rd, it was loaded and bounds-checked again at
	// every apply, as the loop's stores might have changed it.
	apply := rd.Apply
	for i := range apply {
		a := &apply[i]
		if a.SnapshotValid {
			if a.SnapshotIndex <= applied {
				s.applied[id] = applied
				return violation(SnapshotAdvances, "peer %d installed a snapshot at index %d, but had applied through %d",
					id, a.SnapshotIndex, applied)
			}
			applied = a.SnapshotIndex
			continue
		}
		if !a.CommandValid {
			continue
		}
		if a.CommandIndex != applied+1 {
			s.applied[id] = applied
			return violation(StateMachineSafety, "peer %d applied index %d out of order: expected %d",
				id, a.CommandIndex, applied+1)
		}
		applied = a.CommandIndex
		s.committed.Grow(a.CommandIndex - 1) // a slot not applied yet is zero: not known
		prev := s.committed.At(a.CommandIndex - 1)
		if prev.known {
			if prev.term != a.CommandTerm || !sameCommand(prev.command(&s.commands), a.Command) {
				s.applied[id] = applied
				return violation(StateMachineSafety, "peer %d applied %q (term %d) at index %d, another peer applied %q (term %d)",
					id, short(a.Command), a.CommandTerm, a.CommandIndex, short(prev.command(&s.commands)), prev.term)
			}
			prev.commitTerm = min(prev.commitTerm, term)
			continue
		}
		prev.term, prev.commitTerm, prev.known = a.CommandTerm, term, true
		prev.setCommand(&s.commands, a.Command)
		s.maxCommitted = max(s.maxCommitted, a.CommandIndex)
	}
	s.applied[id] = applied
	return nil
}
