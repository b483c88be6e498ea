package raftcheck

import (
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/internal/paged"
)

type entryKey struct{ index, term int }

type entryFacts struct {
	command  uint64 // hash of the command
	prevTerm int    // term of the entry before it (0 at index 1)
}

// logMatching: if two logs contain an entry with the same index and term, the logs are
// identical in all entries up through that index (§5.3). Every entry a peer persists is
// recorded by (index, term) with its command and its predecessor's term (from the mirror
// of the peer's storage, so known even right after a snapshot); a peer persisting the same
// (index, term) with a different command or predecessor breaks the property. By induction
// over the predecessor's term this checks the whole prefix at O(1) per entry.
//
// Most indices only ever hold entries of one term, so the first term seen at an index is
// kept in a table by index (paged.Table), and the facts of any other term at that index in a map.
type logMatching struct {
	first  paged.Table[firstFacts] // first.At(i-1): the first term seen at index i, with its facts
	others map[entryKey]entryFacts
}

type firstFacts struct {
	term  int // 0: nothing seen at this index (terms start at 1)
	facts entryFacts
}

func (l *logMatching) check(id int, e *raft.Entry, f fact, prevTerm int) error {
	facts := entryFacts{command: f.hash, prevTerm: prevTerm}
	var prev entryFacts
	ok := false
	l.first.Grow(e.Index - 1)
	switch first := l.first.At(e.Index - 1); {
	case first.term == 0:
		*first = firstFacts{term: e.Term, facts: facts}
		return nil
	case first.term == e.Term:
		prev, ok = first.facts, true
	default:
		prev, ok = l.others[entryKey{e.Index, e.Term}]
	}
	switch {
	case !ok:
		l.others[entryKey{e.Index, e.Term}] = facts
	case prev.command != facts.command:
		return violation(LogMatching, "peer %d has command %q at index %d term %d, another peer a different one",
			id, short(e.Command), e.Index, e.Term)
	case prev.prevTerm != facts.prevTerm:
		return violation(LogMatching, "peer %d: entry index %d term %d follows term %d, another peer's follows term %d",
			id, e.Index, e.Term, facts.prevTerm, prev.prevTerm)
	}
	return nil
}
