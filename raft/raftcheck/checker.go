// Package raftcheck checks Raft's safety properties (Figure 3 of the paper, and the
// durability and bookkeeping rules they rest on) on the states and Readies of a group of
// peers, independently of whatever hosts them. It imports only the Raft core (and its
// internal table, paged) and the standard library: a host (the simulator's rafthost.Peer,
// the in-test cluster of package raft, a real server) feeds it what each peer recovered at
// boot and every Ready the peer persisted, and gets back a *Violation naming the check that
// failed.
//
// Every check is incremental: a Ready costs O(1) plus O(entries and messages in it), never
// O(log). The exception is leader completeness, which scans the committed entries the
// new leader must hold once per term and leader instance, and a boot, which compares what
// was recovered with what was synced.
//
// The checks, by the name a Violation carries:
//
//   - election-safety: at most one leader per term (§5.2).
//   - votes: a peer votes for at most one candidate per term (§5.2), counting the vote a
//     candidate casts for itself as well as those it grants.
//   - vote-stable: a persisted vote never changes within a term, and a persisted term never
//     decreases.
//   - log-matching: two logs holding an entry with the same index and term hold the same
//     command and the same entries before it (§5.3).
//   - leader-completeness: a leader holds every entry committed in an earlier term (§5.4).
//   - state-machine-safety: no two peers apply different commands at one index, and each
//     peer applies in index order without gaps (§5.4.3).
//   - durability: a peer restarts with everything it synced (term, vote, snapshot, log) and
//     with every vote it cast, except what a Ready it was writing when it crashed replaced.
//   - ack-retained: a peer never drops an entry it acknowledged in its current term (a
//     follower's successful reply, a leader's own log) unless a leader of a higher term
//     overwrote it, and never acknowledges an entry it has not persisted.
//   - snapshot-advances: every snapshot a peer persists is beyond its previous one, and
//     every snapshot it installs is beyond what its state machine applied: a snapshot never
//     rolls the state machine back.
//   - match-bound: a leader's match index for a peer never exceeds its own log.
package raftcheck

import (
	"encoding/binary"
	"fmt"

	"github.com/lockstep-dst/lockstep/raft"
)

// The names of the checks, as Violation.Check carries them.
const (
	ElectionSafety     = "election-safety"
	Votes              = "votes"
	VoteStable         = "vote-stable"
	LogMatching        = "log-matching"
	LeaderCompleteness = "leader-completeness"
	StateMachineSafety = "state-machine-safety"
	Durability         = "durability"
	AckRetained        = "ack-retained"
	SnapshotAdvances   = "snapshot-advances"
	MatchBound         = "match-bound"
)

// Violation is a broken safety property: which check failed, and how.
type Violation struct {
	Check string // one of the constants above
	Err   error
}

func (v *Violation) Error() string { return v.Check + ": " + v.Err.Error() }
func (v *Violation) Unwrap() error { return v.Err }

func violation(check, format string, args ...any) *Violation {
	return &Violation{Check: check, Err: fmt.Errorf(format, args...)}
}

// View is the read-only state of a peer's core that the checks look at, as it is when
// the host reports a Ready persisted. *raft.Raft satisfies it; tests build their own.
type View interface {
	// State returns the current term and whether this peer leads it.
	State() (term int, isLeader bool)
	// SnapshotMeta returns the position of the peer's snapshot.
	SnapshotMeta() raft.SnapshotMeta
	// LastIndex returns the index of the last entry of the peer's log.
	LastIndex() int
	// Term returns the term of the entry at i, for SnapshotMeta().Index <= i <= LastIndex().
	Term(i int) (term int, ok bool)
	// Match returns a leader's match index for another peer.
	Match(peer int) (index int, ok bool)
}

var _ View = (*raft.Raft)(nil)

// Checker watches one Raft group of a fixed number of peers. A host calls Booted when a
// peer starts from what it recovered, Writing (optionally) when it hands a Ready to storage,
// and Persisted once that Ready is durable, before anything in it is sent or applied. The
// first violation a call finds is returned, and the rest of that call's Ready may not be
// recorded: a host may go on feeding the Checker (the golden trace does), but what it
// reports after a violation may follow from the first.
type Checker struct {
	n        int
	peers    []peerState
	election electionSafety
	votes    voteLedger
	matching logMatching
	machine  stateMachineSafety
	hashes   []uint64 // Booted's: the hashes of the recovered commands
}

// peerState is what the checker knows of one peer.
type peerState struct {
	synced  stored    // the state its storage holds after its last persisted Ready
	spare   []termRun // an array for the mirror of its next boot (the one before synced's)
	pending delta     // the Ready it is writing, if writing
	writing bool      // between Writing and Persisted
	known   bool      // synced is known: the checker saw the peer boot or persist
	halted  bool      // its host halted it on corrupt storage; its next boot starts afresh
	ack     ack       // what it acknowledged in its current term
	// led is the term the peer's current instance was last seen leading, -1 before that:
	// election safety and leader completeness need to hear of an instance leading a term
	// only once, and a leader persists a Ready for every round of messages it sends.
	led int
}

// New returns a Checker for a group of n peers, with ids 0..n-1, all fresh.
func New(n int) *Checker {
	c := &Checker{
		n:        n,
		peers:    make([]peerState, n),
		votes:    voteLedger{votes: map[voteKey]int{}},
		matching: logMatching{others: map[entryKey]entryFacts{}},
		machine:  stateMachineSafety{applied: make([]int, n)},
	}
	for i := range c.peers {
		c.peers[i].synced.hard.Vote = -1
		c.peers[i].led = -1
	}
	return c
}

// peer returns peer id's state. It is small enough to be inlined into every call: the
// panic's formatting is in a function of its own. The test is against the slice's own
// length (n), as one unsigned comparison, so that it is also the index's bounds check
// (a test of id against c.n, followed by the index, was two).
func (c *Checker) peer(id int) *peerState {
	if uint(id) < uint(len(c.peers)) {
		return &c.peers[id]
	}
	c.noPeer(id) // panics
	return nil
}

//go:noinline
func (c *Checker) noPeer(id int) {
	panic(fmt.Sprintf("raftcheck: peer %d outside [0, %d)", id, c.n))
}

// Booted checks what peer id recovered from its storage at a (re)start against what it had
// synced before (durability), and takes rec as its durable state from now on. The first
// boot of a peer the checker sees is not compared (it may come from storage written before
// the checker existed), nor is the boot of a peer its host halted (Halted): its storage
// was known to be lost.
func (c *Checker) Booted(id int, rec raft.Persistent) error {
	p := c.peer(id)
	// What it recovered is mirrored into the array of the mirror before the one it
	// replaces, which nothing else refers to.
	r := storedOf(rec, p.spare)
	// The recovered commands' hashes, taken once for both uses below.
	c.hashes = c.hashes[:0]
	for i := range rec.Entries {
		c.hashes = append(c.hashes, hashBytes(rec.Entries[i].Command))
	}
	var err error
	known := 0
	if !p.halted {
		known, err = c.checkRecovered(id, p, rec, c.hashes)
	}
	if err == nil {
		// Entries written by a Ready that was never reported persisted (a crash while
		// writing), or by storage the checker did not see written, are in the log now:
		// logMatching learns what their commands are, for the mirror's facts (cursor.fact).
		// The first known entries it holds already, as the durability check found.
		c.matching.recovered(rec, c.hashes, known)
	}
	p.spare = p.synced.runs[:0]
	p.synced = r
	p.writing = false
	p.known = true
	p.halted = false
	p.led = -1
	c.machine.booted(id, rec)
	return err
}

// Halted tells the checker that the host stopped peer id because its storage was corrupt.
// The peer's synced state and acknowledgements are forgotten, since the disk lost them,
// not the protocol; its votes are not: a peer that comes back and votes again in a term it
// voted in still breaks "votes". Its next Booted is not checked for durability.
func (c *Checker) Halted(id int) {
	p := c.peer(id)
	p.halted = true
	p.writing = false
	p.ack = ack{}
}

// Writing tells the checker that peer id is handing rd to its storage and that a crash
// may leave any part of it there until Persisted(rd) is called: a restart is then checked
// against the state both before and after rd. A host that writes and syncs a Ready with no
// crash possible in between need not call it. The Ready is taken by pointer, as a host
// keeps it in place (a Ready is fourteen words, copied at every call that takes it by
// value, twice a Ready). The checker keeps no pointer to *rd, only the slice of its
// entries, which it reads only until Persisted(rd) or, after a crash, the peer's next
// Booted: while rd is not advanced, or its core is gone, nothing writes them (raft.Ready).
func (c *Checker) Writing(id int, rd *raft.Ready) {
	p := c.peer(id)
	p.pending.set(rd)
	p.writing = true
}

// Persisted checks one Ready of peer id, now durable, against the peer's state s (its
// core as it was when it produced rd) and the history of the group. The checker reads *rd
// during the call and keeps no pointer to it, only the commands it holds, which a core
// never writes again (raft.Ready).
func (c *Checker) Persisted(id int, s View, rd *raft.Ready) error {
	p := c.peer(id)
	p.writing = false
	p.known = true
	// Each part of rd is looked at only if rd has it: most Readies carry messages and
	// little else, and a call per check on each of them was most of the checkers' cost.
	if rd.Hard != nil {
		if err := checkVoteStable(id, p.synced.hard, *rd.Hard); err != nil {
			return err
		}
	}
	if rd.Snapshot != nil && rd.Snapshot.Meta.Index <= p.synced.snap.Index {
		return violation(SnapshotAdvances, "peer %d persisted a snapshot at index %d over its snapshot at %d",
			id, rd.Snapshot.Meta.Index, p.synced.snap.Index)
	}
	if rd.Hard != nil || rd.Snapshot != nil || rd.Truncate > 0 || len(rd.Entries) > 0 {
		if err := p.synced.apply(id, rd, &c.matching); err != nil {
			return err
		}
	}
	term := p.synced.hard.Term
	// One pass over the messages for the votes they cast and the entries they acknowledge.
	acked := 0
	if rd.Hard != nil || len(rd.Messages) > 0 {
		var err error
		if acked, err = c.votes.record(id, term, rd); err != nil {
			return err
		}
	}
	viewTerm, leader := s.State()
	leader = leader && viewTerm == term
	if err := p.ack.check(id, term, &p.synced, acked, leader); err != nil {
		return err
	}
	if leader {
		if p.led != term {
			if err := c.election.check(id, term); err != nil {
				return err
			}
			// Heard of before the scan, so that a leader that fails it is reported once,
			// not at each of its Readies.
			p.led = term
			if err := checkLeaderCompleteness(id, s, term, &c.machine); err != nil {
				return err
			}
		}
		if err := checkMatchBound(id, s, c.n); err != nil {
			return err
		}
	}
	if len(rd.Apply) == 0 {
		return nil
	}
	return c.machine.check(id, term, rd)
}

// Committed returns the command committed at index as the checker saw it applied, and
// whether any peer applied it.
func (c *Checker) Committed(index int) ([]byte, bool) {
	if e := c.machine.entry(index); e != nil {
		return e.command(&c.machine.commands), true
	}
	return nil, false
}

// MaxCommitted returns the highest index any peer applied a command at.
func (c *Checker) MaxCommitted() int { return c.machine.maxCommitted }

// hashBytes hashes a command for the log mirror and log matching, which hash every entry
// each peer persists: FNV-1a over bytes is 4-5 cycles a byte (the multiply of one byte waits for
// the last), which made it a quarter of raft/RPCBytes2B's CPU with its 5,000-byte
// commands. Long commands are taken 8 bytes at a time in four independent lanes, each a
// chain of bijections (xor in a word, multiply by an odd constant, xor-shift), so that a
// command differing from another in one word always differs in that lane's final value;
// the rest, and a command shorter than 32 bytes, goes through one more such chain, 8 bytes
// at a time and then its last few bytes as one word (a byte at a time, the tail of the
// typical command of raft/ReliableChurn2C, ten digits, was most of its hashing). The
// length is mixed in first. A pure function of the bytes, like FNV: no seed, the same
// everywhere.
func hashBytes(b []byte) uint64 {
	const (
		offset = 14695981039346656037
		m      = 0xbf58476d1ce4e5b9
	)
	h := uint64(offset) ^ uint64(len(b))*m
	if n := len(b); n < 16 {
		// The same chain as below for a short command (kv's are 5-15 bytes), with no loop
		// and no re-slicing: a word, if the command has 8 bytes, then the rest as one
		// word, loaded as below (TestHashBytesTailIsTheBytewiseWord holds both to the
		// same values). The loop and its re-slicing were over a quarter of the cost of
		// hashing such a command.
		var w uint64
		switch {
		case n >= 8:
			h = (h ^ binary.LittleEndian.Uint64(b)) * m
			h ^= h >> 29
			if n == 8 {
				return h * m
			}
			w = binary.LittleEndian.Uint64(b[n-8:]) >> (8 * (16 - n))
		case n >= 4:
			w = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<(8*(n-4))
		case n > 0:
			for i, c := range b {
				w |= uint64(c) << (8 * i)
			}
		default:
			return h * m
		}
		h = (h ^ w) * m
		h ^= h >> 29
		return h * m
	}
	if len(b) >= 32 {
		h0, h1, h2, h3 := uint64(len(b)), uint64(0x9e3779b97f4a7c15), uint64(0x94d049bb133111eb), uint64(offset)
		for ; len(b) >= 32; b = b[32:] {
			h0 = (h0 ^ binary.LittleEndian.Uint64(b)) * m
			h1 = (h1 ^ binary.LittleEndian.Uint64(b[8:])) * m
			h2 = (h2 ^ binary.LittleEndian.Uint64(b[16:])) * m
			h3 = (h3 ^ binary.LittleEndian.Uint64(b[24:])) * m
			h0 ^= h0 >> 29
			h1 ^= h1 >> 29
			h2 ^= h2 >> 29
			h3 ^= h3 >> 29
		}
		// Fold the lanes in order, each through a multiply, so that no two lanes cancel.
		h = ((((h^h0)*m^h1)*m^h2)*m ^ h3) * m
	}
	whole := b
	for ; len(b) >= 8; b = b[8:] {
		h = (h ^ binary.LittleEndian.Uint64(b)) * m
		h ^= h >> 29
	}
	if k := len(b); k > 0 {
		// The last 1-7 bytes as one word, zero above them: with the length mixed in, two
		// tails that differ in a byte differ in the word. Loaded whole, not a byte at a
		// time (a byte loop over the tails of raft/Swarm's commands, "c1-123456789", was
		// half of hashBytes): from the last 8 bytes of a command of 8 or more, shifted
		// down; otherwise from two 4-byte loads that overlap, or bytes.
		var w uint64
		switch {
		case len(whole) >= 8:
			w = binary.LittleEndian.Uint64(whole[len(whole)-8:]) >> (8 * (8 - k))
		case k >= 4:
			w = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[k-4:]))<<(8*(k-4))
		default:
			for i, c := range b {
				w |= uint64(c) << (8 * i)
			}
		}
		h = (h ^ w) * m
		h ^= h >> 29
	}
	return h * m
}

func short(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}
