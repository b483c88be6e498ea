package raft

import (
	"fmt"
	"slices"
)

// Entry is one log entry. Index starts at 1; index 0 is the empty log's sentinel with term 0.
// Command is opaque to Raft and must be treated as immutable once proposed.
type Entry struct {
	Term    int
	Index   int
	Command []byte
}

// SnapshotMeta identifies a snapshot: it covers every entry through Index, and Term is the
// term of the entry at Index. The zero value is "no snapshot".
type SnapshotMeta struct {
	Index int
	Term  int
}

// raftLog is the in-memory log: a snapshot followed by the entries after it.
//
// Invariants (checked by check):
//   - ents[i].Index == snap.Index+1+i (contiguous, starting right after the snapshot);
//   - terms never decrease along the log, and the first entry's term >= snap.Term.
type raftLog struct {
	snap SnapshotMeta
	ents []Entry
	// base is the whole of the array ents is in, from its first element, if the log
	// allocated it (compact or append moved the log there; nil: recovered entries, the
	// host's array, or none).
	base []Entry
	// spare is the array compact or append last moved the log away from (a base), and
	// spareFree says that nothing reads it any more, so that the next move may go back into
	// it instead of allocating: the core sets it once the host is done with every Ready that
	// could carry a slice of it (Raft.Advance).
	spare     []Entry
	spareFree bool
	// settledLast is the last index of the log when New recovered it from storage or
	// truncateFrom last cut it (0: neither): append doubles the log only once it holds
	// nothing from before (see append).
	settledLast int
}

func (l *raftLog) firstIndex() int { return l.snap.Index + 1 }
func (l *raftLog) lastIndex() int  { return l.snap.Index + len(l.ents) }

func (l *raftLog) lastTerm() int {
	if n := len(l.ents); n > 0 {
		return l.ents[n-1].Term
	}
	return l.snap.Term
}

// term returns the term of the entry at i, for i in [snap.Index, lastIndex]; ok is false
// outside that range (compacted away, or not yet there).
func (l *raftLog) term(i int) (t int, ok bool) {
	switch {
	case i == l.snap.Index:
		return l.snap.Term, true
	case i < l.snap.Index || i > l.lastIndex():
		return 0, false
	}
	return l.ents[i-l.snap.Index-1].Term, true
}

// mustTerm is term for callers that have already checked the range.
func (l *raftLog) mustTerm(i int) int {
	// term's cases, the commonest first.
	if k := i - l.snap.Index - 1; uint(k) < uint(len(l.ents)) {
		return l.ents[k].Term
	}
	if i != l.snap.Index {
		panic(outsideLog{lo: i, hi: i, first: l.snap.Index, last: l.lastIndex()})
	}
	return l.snap.Term
}

// entry returns the entry at i, which must be in [firstIndex, lastIndex].
func (l *raftLog) entry(i int) Entry {
	if i < l.firstIndex() || i > l.lastIndex() {
		panic(fmt.Sprintf("raft: entry %d requested outside log [%d, %d]", i, l.firstIndex(), l.lastIndex()))
	}
	return l.ents[i-l.snap.Index-1]
}

// outsideLog is the panic of a request for a term or entries the log does not hold (a bug in
// the core): a value, not a message formatted at the panic, so that mustTerm and slice,
// which run several times per message, are small enough to inline.
type outsideLog struct {
	slice               bool // [lo, hi) asked of slice, else lo asked of mustTerm
	lo, hi, first, last int
}

func (e outsideLog) Error() string {
	if e.slice {
		return fmt.Sprintf("raft: slice [%d, %d) requested outside log [%d, %d]", e.lo, e.hi, e.first, e.last)
	}
	return fmt.Sprintf("raft: term of index %d requested outside log [%d, %d]", e.lo, e.first, e.last)
}

// slice returns the entries [lo, hi), sharing the log's array: nothing is copied, since
// the Ready and every MsgApp carry a slice of the log and the network copies what it sends.
// The shared part is not written again while anything may read it: append writes only
// past the log's length, truncateFrom caps the array so that the next append moves the log
// to another, and compact and append move the log back into an array it left only once it is
// free (spare). The slice's capacity is capped too, so an append to it cannot write into the log.
func (l *raftLog) slice(lo, hi int) []Entry {
	a, b := lo-l.snap.Index-1, hi-l.snap.Index-1 // lo < firstIndex, hi > lastIndex+1: a < 0, b > len
	if a < 0 || b > len(l.ents) || a > b {
		panic(outsideLog{slice: true, lo: lo, hi: hi, first: l.firstIndex(), last: l.lastIndex()})
	}
	if a == b {
		return nil
	}
	return l.ents[a:b:b]
}

// append adds entries that must continue the log exactly.
//
// The entries are checked first, then appended in one copy: a follower appends tens at a
// time, and appending each by value copied it twice.
//
// A full array moves to a new one twice the log's length if every entry the log holds was
// appended since it settled (settledLast), and else to one a quarter larger (append's own
// growth for a large slice), unless the spare is free and holds the entries with half as
// much room past them (see move): a log that only grows (no snapshots) copied itself about
// five times over as it grew a quarter at a time, 36% of the bytes kv/Concurrent3A
// allocated; doubling copies it about twice. A log that still holds entries it recovered at a
// restart, which DecodeLog gives room to grow by half, or entries from before a
// truncation, which forced a move, is not doubled: doubling those made the servers of
// kv/PersistConcurrent3A and kv/PersistPartitionUnreliableLinearizable3A, which crash
// before their logs grow much, allocate 1.5% more, and doubling only those that had grown
// as much again since saved nothing. It reports whether the log moved to another array,
// which makes the one it left the spare (see Raft.compactLog).
func (l *raftLog) append(ents ...Entry) (moved bool) {
	last, lastTerm := l.lastIndex(), l.lastTerm()
	for i := range ents {
		e := &ents[i]
		if e.Index != last+1 || e.Term < lastTerm {
			panic(misfit{index: e.Index, term: e.Term, last: last, lastTerm: lastTerm})
		}
		last, lastTerm = e.Index, e.Term
	}
	if n := len(l.ents); n+len(ents) > cap(l.ents) {
		room := n / 4
		if l.settledLast <= l.snap.Index {
			room = n
		}
		l.move(n+len(ents)+room/2, n+len(ents)+room)
		moved = true
	}
	if len(ents) == 1 {
		// A proposal, or a follower's append of one entry (together 19,700 of the 27,100
		// appends of kv/SnapshotRecoverManyClients3B, seeds 1-3): append's bulk copy of a
		// type with pointers (typedslicecopy) was 65 instructions for one entry.
		n := len(l.ents)
		l.ents = l.ents[:n+1]
		l.ents[n] = ents[0]
		return moved
	}
	l.ents = append(l.ents, ents...)
	return moved
}

// misfit is append's panic: an entry at index, of term, that does not continue a log that
// ends at last, of lastTerm. A value, formatted when the panic is reported, so that the
// check of every entry appended is a loop of a few instructions, with no call in it.
type misfit struct{ index, term, last, lastTerm int }

func (m misfit) Error() string {
	if m.index != m.last+1 {
		return fmt.Sprintf("raft: invariant log contiguity violated: appending index %d after last index %d", m.index, m.last)
	}
	return fmt.Sprintf("raft: invariant log terms non-decreasing violated: appending %d/t%d after t%d", m.index, m.term, m.lastTerm)
}

// move moves the log to the start of another array, for append and compact: the spare, if
// it is free and has room for need entries, or else a new one with room for at least size.
// The array it leaves becomes the spare (nil if the log did not allocate it), free once
// nothing reads it (Raft.compactLog).
//
// A log that compaction keeps in place fills its array from a later and later start, and
// append moved it to a new array every few snapshots, 7% of the bytes
// kv/SnapshotRecoverManyClients3B allocated, while the array compaction or the last move
// had left was free again at most of those moves: going back into it cut the run's bytes by
// 2.6% (seeds 1-3). Asking the spare for half the room of a new array, as compact asks it
// for less, found it large enough at more moves (a spare is often from a shorter log) and
// allocated less than asking it for all of it; asking for a quarter saved no more.
func (l *raftLog) move(need, size int) {
	from := l.base
	if l.spareFree && cap(l.spare) >= need {
		l.ents = l.spare[:copy(l.spare[:len(l.ents)], l.ents)]
	} else {
		// Grown from the entries alone (capped at their length): the room past them, which
		// compact's kept tail and a partly filled array have, holds nothing to copy, and
		// append's growth then goes by the log's length rather than the old array's.
		n := len(l.ents)
		l.ents = slices.Grow(l.ents[:n:n], size-n)
	}
	l.base = l.ents[:0:cap(l.ents)] // the log at its start
	l.spare, l.spareFree = from, false
}

// truncateFrom drops every entry with index >= i (i > snap.Index).
func (l *raftLog) truncateFrom(i int) {
	if i <= l.snap.Index {
		panic(fmt.Sprintf("raft: truncate from %d would cut into snapshot through %d", i, l.snap.Index))
	}
	if i > l.lastIndex() {
		return
	}
	// Cap, do not clear: slices handed out (slice) may still hold the tail, and must keep
	// seeing what they were given. The next append moves the log to a new array.
	k := i - l.snap.Index - 1
	l.ents = l.ents[:k:k]
	l.settledLast = i - 1
}

// compact discards entries through i, which must be in the log, making it the snapshot
// point, and reports whether it moved the log to another array.
//
// The kept tail stays where it is: the log now starts further into its array, and append
// goes on writing past its end, where nothing was handed out (see slice). Copying the tail
// to an array of its own size at every snapshot, as this did, made append regrow it from
// that size in doubling steps before the next one: 6 MB of kv/SnapshotRecoverManyClients3B's
// 37.5 MB, whose service snapshots every few entries. The array moves only when the room
// past the tail is less than the entries compacted now (about what the log gains before
// the next snapshot): then to one with room for compactRoom times that many, so it moves
// at most every other snapshot. The dead prefix keeps its entries' commands alive until then.
// The array it leaves becomes the spare, and a later move goes back into it if it is free
// by then and has room for the tail and as many entries again as are compacted now (a move
// into it costs a copy of the tail, no allocation, so it need not put the next move off as
// far): the arrays were a fifth of the bytes kv/SnapshotRecoverManyClients3B allocated once
// its snapshots and logs were recycled, and asking the spare for the room of a new array
// found it too small at half of the moves.
func (l *raftLog) compact(i int) (moved bool) {
	t := l.mustTerm(i)
	k := i - l.snap.Index
	keep := l.ents[k:]
	l.ents = keep
	if cap(keep)-len(keep) < k {
		l.move(len(keep)+k, len(keep)+compactRoom*k)
		moved = true
	}
	l.snap = SnapshotMeta{Index: i, Term: t}
	return moved
}

// compactRoom is how many times the entries of one compaction the log's new array has room
// for past its kept tail when compact moves it.
//
// Two, not four: measured, four made every kv/*3B scenario, raft/Swarm and every raft/*2D
// one allocate more bytes (0.3% to 3.5% more than two, -test.benchtime 10x), and one made
// two of them allocate more than two did.
const compactRoom = 2

// restore replaces the whole log by the snapshot s, and reports whether the array the log
// leaves became the spare, as a move's does: the array the log allocated, unless the spare
// is larger. An installed snapshot empties the log, whose next appends then started over
// from an array of exactly their entries: 16 of the 108 moves that allocated in
// kv/SnapshotRecoverManyClients3B seed 1 found no spare.
func (l *raftLog) restore(s SnapshotMeta) (spared bool) {
	l.snap = s
	if l.base != nil && cap(l.base) >= cap(l.spare) {
		l.spare, l.spareFree = l.base, false
		spared = true
	}
	l.ents, l.base = nil, nil
	return spared
}

// firstIndexOfTerm returns the first index of the run of entries of term t that contains i,
// stopping at firstIndex (earlier entries are compacted).
func (l *raftLog) firstIndexOfTerm(t, i int) int {
	for i > l.firstIndex() && l.mustTerm(i-1) == t {
		i--
	}
	return i
}

// lastIndexOfTerm returns the last index at or before from whose entry has term t, or 0 if
// the log (after the snapshot) holds no entry of term t at or before from.
func (l *raftLog) lastIndexOfTerm(t, from int) int {
	from = min(from, l.lastIndex())
	for i := from; i >= l.firstIndex(); i-- {
		switch et := l.mustTerm(i); {
		case et == t:
			return i
		case et < t:
			return 0 // terms only decrease going back
		}
	}
	return 0
}

// isUpToDate reports whether a log ending at (lastIndex, lastTerm) is at least as
// up-to-date as this one: the election restriction of §5.4.1.
func (l *raftLog) isUpToDate(lastIndex, lastTerm int) bool {
	return lastTerm > l.lastTerm() || (lastTerm == l.lastTerm() && lastIndex >= l.lastIndex())
}

// check asserts the log's invariants.
func (l *raftLog) check() {
	prev := l.snap.Term
	for i, e := range l.ents {
		if e.Index != l.snap.Index+1+i {
			panic(fmt.Sprintf("raft: invariant log contiguity violated: position %d holds index %d after snapshot %d", i, e.Index, l.snap.Index))
		}
		if e.Term < prev {
			panic(fmt.Sprintf("raft: invariant log terms non-decreasing violated at index %d: t%d after t%d", e.Index, e.Term, prev))
		}
		prev = e.Term
	}
}
