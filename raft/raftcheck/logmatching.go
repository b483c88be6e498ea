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

// seen reports whether the first entry seen at index i has term t and facts f: of the n
// peers that persist an entry, all but the first normally find it there as they have it,
// so the loop over a Ready's entries asks this in line and calls check only otherwise.
func (l *logMatching) seen(i, t int, f entryFacts) bool {
	if i < 1 || i > l.first.Len() {
		return false
	}
	first := l.first.At(i - 1)
	return first.term == t && first.facts == f
}

// check records or checks entry e, whose command hashes to hash, persisted by peer id
// after an entry of prevTerm.
func (l *logMatching) check(id int, e *raft.Entry, hash uint64, prevTerm int) error {
	facts := entryFacts{command: hash, prevTerm: prevTerm}
	l.first.Grow(e.Index - 1)
	first := l.first.At(e.Index - 1)
	switch {
	case first.term == 0:
		*first = firstFacts{term: e.Term, facts: facts}
		return nil
	case first.term == e.Term:
		if first.facts == facts {
			return nil
		}
		return differ(id, e, facts, first.facts)
	}
	prev, ok := l.others[entryKey{e.Index, e.Term}]
	if !ok {
		l.others[entryKey{e.Index, e.Term}] = facts
		return nil
	}
	return differ(id, e, facts, prev)
}

// differ returns the violation of log matching, if any, that an entry e with facts breaks
// where another peer persisted one of the same index and term with prev.
func differ(id int, e *raft.Entry, facts, prev entryFacts) error {
	switch {
	case prev.command != facts.command:
		return violation(LogMatching, "peer %d has command %q at index %d term %d, another peer a different one",
			id, short(e.Command), e.Index, e.Term)
	case prev.prevTerm != facts.prevTerm:
		return violation(LogMatching, "peer %d: entry index %d term %d follows term %d, another peer's follows term %d",
			id, e.Index, e.Term, facts.prevTerm, prev.prevTerm)
	}
	return nil
}

// hash returns the hash of the command logMatching holds for index i and term t.
func (l *logMatching) hash(i, t int) (uint64, bool) {
	if i < 1 || i > l.first.Len() {
		return 0, false
	}
	if first := l.first.At(i - 1); first.term == t {
		return first.facts.command, true
	}
	f, ok := l.others[entryKey{i, t}]
	return f.command, ok
}

// recovered records the entries a peer recovered at a boot, hashes[k] the hash of
// rec.Entries[k]'s command, where nothing is known at their index and term. They are not
// checked against what other peers persisted: as before the mirror kept hashes of its own,
// a boot is held only to what the peer itself synced (durability). The first known entries
// are held already, and not looked up.
func (l *logMatching) recovered(rec raft.Persistent, hashes []uint64, known int) {
	prevTerm := rec.Snapshot.Term
	if known > 0 {
		prevTerm = rec.Entries[known-1].Term
	}
	for k := known; k < len(rec.Entries); k++ {
		i, t := rec.Snapshot.Index+1+k, rec.Entries[k].Term
		if _, ok := l.hash(i, t); !ok {
			facts := entryFacts{command: hashes[k], prevTerm: prevTerm}
			l.first.Grow(i - 1)
			if first := l.first.At(i - 1); first.term == 0 {
				*first = firstFacts{term: t, facts: facts}
			} else {
				l.others[entryKey{i, t}] = facts
			}
		}
		prevTerm = t
	}
}
