package raftcheck

import (
	"cmp"
	"slices"

	"github.com/lockstep-dst/lockstep/raft"
)

// fact is what the checks remember of one log entry: its term and a hash of its command.
type fact struct {
	term int
	hash uint64
}

func factOf(e raft.Entry) fact { return fact{e.Term, hashBytes(e.Command)} }

// stored mirrors what a peer's storage holds, built from the Readies it persisted by the
// Ready contract (snapshot, then truncate, then entries, then hard state), so that the
// checks need not trust the host's or the core's bookkeeping. It costs O(entries in the
// Ready) per Ready.
//
// It holds the terms of the entries, as runs of one term each (a log holds a few dozen
// terms for thousands of entries), not the entries: what a command was is in logMatching,
// by index and term, for the whole group (see fact). An array of every entry's term and
// hash, per peer, moved to a larger one as the log grew and rebuilt at each restart, was
// a tenth of the bytes raft/ReliableChurn2C allocated.
type stored struct {
	hard raft.HardState
	snap raft.SnapshotMeta
	end  int       // the last index stored (snap.Index if no entry is)
	runs []termRun // the entries snap.Index+1..end, by term: runs[k] from runs[k].first to the next run's first-1
}

// termRun is a stretch of a log whose entries all have one term, from index first on.
type termRun struct{ first, term int }

// storedOf is the state a peer recovered (the core reads vote -1 at term 0), its runs
// appended to runs[:0] (nil or an array no other mirror uses).
func storedOf(rec raft.Persistent, runs []termRun) stored {
	s := stored{hard: rec.Hard, snap: rec.Snapshot, end: rec.Snapshot.Index, runs: runs[:0]}
	if s.hard.Term == 0 {
		s.hard.Vote = -1
	}
	for i := range rec.Entries {
		s.push(rec.Entries[i].Term)
	}
	return s
}

func (s *stored) last() int { return s.end }

func (s *stored) lastTerm() int {
	if n := len(s.runs); n > 0 {
		return s.runs[n-1].term
	}
	return s.snap.Term
}

// term returns the term at i, for snap.Index <= i <= last(). The checks ask about the end
// of the log, so the runs are searched from the last, in a loop that inlines.
func (s *stored) term(i int) (int, bool) {
	if i <= s.snap.Index || i > s.end {
		return s.snap.Term, i == s.snap.Index
	}
	k := len(s.runs) - 1
	for s.runs[k].first > i {
		k--
	}
	return s.runs[k].term, true
}

// run returns the run holding entry i, for snap.Index < i <= last(), by binary search:
// a snapshot or a truncation cuts into the runs there (apply), and a boot's cursor starts there.
func (s *stored) run(i int) int {
	n := len(s.runs)
	if s.runs[n-1].first <= i {
		return n - 1
	}
	k, _ := slices.BinarySearchFunc(s.runs[:n-1], i, func(r termRun, i int) int { return cmp.Compare(r.first, i) })
	if k == n-1 || s.runs[k].first > i {
		k--
	}
	return k
}

// cursor reads the mirror's entries at increasing indexes, keeping the run it found the
// last one in: a boot compares every entry of the log it recovered with the mirror, and a
// search of the runs per entry (stored.run) was most of that comparison.
type cursor struct {
	s    *stored
	k    int // the run holding the last index asked about, or -1
	next int // the first index past run k (the next run's first, or end+1)
}

// fact returns the entry at i, for snap.Index < i <= last() and i beyond the index asked
// before: its term from the mirror, and the hash of its command that logMatching holds
// for that index and term. The peer's own command at (i, term) hashed to exactly that, or
// log matching failed when the peer persisted it (apply), or it was recovered at a boot,
// which records what logMatching did not know (Checker.Booted).
func (c *cursor) fact(i int, m *logMatching) (fact, bool) {
	s := c.s
	if i <= s.snap.Index || i > s.end {
		return fact{}, false
	}
	if c.k < 0 || s.runs[c.k].first > i {
		c.seek(s.run(i))
	}
	for i >= c.next {
		c.seek(c.k + 1)
	}
	t := s.runs[c.k].term
	h, ok := m.hash(i, t)
	return fact{t, h}, ok
}

// seek makes run k the cursor's.
func (c *cursor) seek(k int) {
	c.k, c.next = k, c.s.end+1
	if k+1 < len(c.s.runs) {
		c.next = c.s.runs[k+1].first
	}
}

// apply applies rd to the mirror. m, if set, checks each appended entry with its hash and
// the term of the entry before it (log matching). An append that does not continue the stored
// log is a violation of log matching: the peer's storage would hold a log with a gap or
// two entries at one index.
func (s *stored) apply(id int, rd *raft.Ready, m *logMatching) error {
	if rd.Snapshot != nil {
		meta := rd.Snapshot.Meta
		switch {
		case meta.Index >= s.end || meta.Index <= s.snap.Index:
			s.runs = s.runs[:0]
			s.end = meta.Index
		default:
			// Drop the runs that end at or before the snapshot; the one it cuts into
			// starts after it.
			k := s.run(meta.Index + 1)
			s.runs = s.runs[k:]
			s.runs[0].first = meta.Index + 1
		}
		s.snap = meta
	}
	if t := rd.Truncate; t > 0 {
		switch {
		case t <= s.snap.Index+1:
			s.runs = s.runs[:0]
			s.end = s.snap.Index
		case t <= s.end:
			k := s.run(t)
			if s.runs[k].first < t {
				k++
			}
			s.runs = s.runs[:k]
			s.end = t - 1
		}
	}
	prevTerm := s.lastTerm()
	ents := rd.Entries // in a local, as in stateMachineSafety.check
	for k := range ents {
		e := &ents[k]
		if e.Index != s.end+1 {
			return violation(LogMatching, "peer %d persisted entry %d after a stored log ending at %d", id, e.Index, s.end)
		}
		if m != nil {
			if h := hashBytes(e.Command); !m.seen(e.Index, e.Term, entryFacts{h, prevTerm}) {
				if err := m.check(id, e, h, prevTerm); err != nil {
					return err
				}
			}
		}
		s.pushAfter(prevTerm, e.Term)
		prevTerm = e.Term
	}
	if rd.Hard != nil {
		s.hard = *rd.Hard
	}
	return nil
}

// push appends an entry of term t.
func (s *stored) push(t int) { s.pushAfter(s.lastTerm(), t) }

// pushAfter is push for a caller that knows the term of the last entry, prev (lastTerm):
// the loop over a Ready's entries, which carries it from one entry to the next.
func (s *stored) pushAfter(prev, t int) {
	s.end++
	if len(s.runs) == 0 || t != prev {
		s.runs = append(s.runs, termRun{s.end, t})
	}
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
