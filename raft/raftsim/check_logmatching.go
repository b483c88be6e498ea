package raftsim

import "github.com/lockstep-dst/lockstep/raft"
import "fmt"

type entryKey struct{ index, term int }

type entryFacts struct {
	command  uint64 // hash of the command
	prevTerm int    // term of the entry before it (0 at index 1 or unknown)
}

// logMatching: if two logs contain an entry with the same index and term,
// the logs are identical in all entries up through that index (§5.3). Every
// entry a peer persists is recorded by (index, term) with its command and
// its predecessor's term; a peer persisting the same (index, term) with a
// different command or predecessor breaks the property. By induction over
// the predecessor's term this checks the whole prefix at O(1) per entry.
type logMatching struct {
	seen map[entryKey]entryFacts
}

func (l *logMatching) check(core *raft.Raft, rd raft.Ready) error {
	for _, e := range rd.Entries {
		facts := entryFacts{command: hashBytes(e.Command)}
		if e.Index > 1 {
			if t, ok := core.Term(e.Index - 1); ok {
				facts.prevTerm = t
			} else {
				facts.prevTerm = -1 // covered by a snapshot: unknown
			}
		}
		k := entryKey{e.Index, e.Term}
		prev, ok := l.seen[k]
		if !ok {
			l.seen[k] = facts
			continue
		}
		if prev.command != facts.command {
			return fmt.Errorf("peer %d has a different command at index %d term %d than another peer", core.ID(), e.Index, e.Term)
		}
		if prev.prevTerm >= 0 && facts.prevTerm >= 0 && prev.prevTerm != facts.prevTerm {
			return fmt.Errorf("peer %d: entry index %d term %d follows term %d, another peer's follows term %d",
				core.ID(), e.Index, e.Term, facts.prevTerm, prev.prevTerm)
		}
		if prev.prevTerm < 0 {
			l.seen[k] = facts
		}
	}
	return nil
}
