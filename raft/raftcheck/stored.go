package raftcheck

import "github.com/lockstep-dst/lockstep/raft"

// fact is what the checks remember of one log entry: its term and a hash of its command.
type fact struct {
	term int
	hash uint64
}

func factOf(e raft.Entry) fact { return fact{e.Term, hashBytes(e.Command)} }

// stored mirrors what a peer's storage holds, built from the Readies it persisted by the
// Ready contract (snapshot, then truncate, then entries, then hard state), so that the
// checks need not trust the host's or the core's bookkeeping. It costs O(entries in the
// Ready) per Ready, amortized: entries leave it only from the front (a snapshot) or the
// back (a truncate).
//
// The entries lie at the end of an array the mirror keeps from its start (arr), so that
// the slots a snapshot frees at the front are used again (push). Resliced from the front
// alone, the entries of a peer that snapshots every few entries (kv's
// SnapshotRecoverManyClients3B) ran off the end of one new array after another.
type stored struct {
	hard raft.HardState
	snap raft.SnapshotMeta
	ents []fact // ents[i] is the entry at index snap.Index+1+i; ents == arr[len(arr)-len(ents):]
	arr  []fact // the array of ents, from its first slot through the last entry
}

// storedOf is the state a peer recovered (the core reads vote -1 at term 0), its entries
// appended to buf[:0] (nil or an array no other mirror uses).
//
// A new array has room for twice the entries: the peer's log goes on growing from there,
// and an array of exactly its length was moved (push) at the first Ready after the boot.
func storedOf(rec raft.Persistent, buf []fact) stored {
	if cap(buf) < len(rec.Entries) {
		buf = make([]fact, 0, max(2*len(rec.Entries), 16))
	}
	s := stored{hard: rec.Hard, snap: rec.Snapshot, arr: buf[:0]}
	if s.hard.Term == 0 {
		s.hard.Vote = -1
	}
	for _, e := range rec.Entries {
		s.arr = append(s.arr, factOf(e))
	}
	s.ents = s.arr
	return s
}

func (s *stored) last() int { return s.snap.Index + len(s.ents) }

func (s *stored) lastTerm() int {
	if n := len(s.ents); n > 0 {
		return s.ents[n-1].term
	}
	return s.snap.Term
}

// term returns the term at i, for snap.Index <= i <= last().
func (s *stored) term(i int) (int, bool) {
	switch {
	case i == s.snap.Index:
		return s.snap.Term, true
	case i < s.snap.Index || i > s.last():
		return 0, false
	}
	return s.ents[i-s.snap.Index-1].term, true
}

// fact returns the entry at i, for snap.Index < i <= last().
func (s *stored) fact(i int) (fact, bool) {
	if i <= s.snap.Index || i > s.last() {
		return fact{}, false
	}
	return s.ents[i-s.snap.Index-1], true
}

// apply applies rd to the mirror. m, if set, checks each appended entry with its hash and
// the term of the entry before it (log matching). An append that does not continue the stored
// log is a violation of log matching: the peer's storage would hold a log with a gap or
// two entries at one index.
func (s *stored) apply(id int, rd *raft.Ready, m *logMatching) error {
	if rd.Snapshot != nil {
		meta := rd.Snapshot.Meta
		switch {
		case meta.Index >= s.last() || meta.Index <= s.snap.Index:
			s.cut(0)
		default:
			s.ents = s.ents[meta.Index-s.snap.Index:]
		}
		s.snap = meta
	}
	if t := rd.Truncate; t > 0 {
		switch {
		case t <= s.snap.Index+1:
			s.cut(0)
		case t <= s.last():
			s.cut(t - s.snap.Index - 1)
		}
	}
	for k := range rd.Entries {
		e := &rd.Entries[k]
		if e.Index != s.last()+1 {
			return violation(LogMatching, "peer %d persisted entry %d after a stored log ending at %d", id, e.Index, s.last())
		}
		f := fact{e.Term, hashBytes(e.Command)}
		if m != nil {
			if err := m.check(id, e, f, s.lastTerm()); err != nil {
				return err
			}
		}
		s.push(f)
	}
	if rd.Hard != nil {
		s.hard = *rd.Hard
	}
	return nil
}

// cut keeps the first n entries.
func (s *stored) cut(n int) {
	s.arr = s.arr[:len(s.arr)-len(s.ents)+n]
	s.ents = s.ents[:n]
}

// push appends f. When the array is full it moves the entries to its start if they fill at
// most half of it (the other half, or more, freed by snapshots), and otherwise moves them to
// a new array twice their length: either way the move is paid for by as many appends since
// the last one, and the mirror of a log of n entries allocates O(n) over a run however often
// the peer snapshots.
func (s *stored) push(f fact) {
	if len(s.arr) == cap(s.arr) {
		n := len(s.ents)
		if free := len(s.arr) - n; free >= n && free > 0 {
			s.arr = s.arr[:copy(s.arr, s.ents)]
		} else {
			s.arr = append(make([]fact, 0, max(2*n, 16)), s.ents...)
		}
	}
	s.arr = append(s.arr, f)
	s.ents = s.arr[len(s.arr)-len(s.ents)-1:]
}

// delta is a Ready being written (Checker.Writing), kept small: the state after it is the
// synced state cut at cut, with ents from ents[0].Index on. It is reused from Ready to
// Ready, and costs no hashing until a boot compares with it.
type delta struct {
	hard    raft.HardState
	hasHard bool
	snap    raft.SnapshotMeta
	hasSnap bool
	cut     int          // the first synced index it removes (its Truncate), 0 = none
	ents    []raft.Entry // its entries, shared with the Ready (raft.Ready.Entries is never written after Ready)
}

// set makes d the delta of rd.
func (d *delta) set(rd *raft.Ready) {
	d.hasHard, d.hasSnap, d.cut = rd.Hard != nil, rd.Snapshot != nil, rd.Truncate
	if d.hasHard {
		d.hard = *rd.Hard
	}
	if d.hasSnap {
		d.snap = rd.Snapshot.Meta
	}
	d.ents = rd.Entries
}

// fact returns the entry the delta writes at i.
func (d *delta) fact(i int) (fact, bool) {
	if d == nil || len(d.ents) == 0 || i < d.ents[0].Index || i >= d.ents[0].Index+len(d.ents) {
		return fact{}, false
	}
	return factOf(d.ents[i-d.ents[0].Index]), true
}
