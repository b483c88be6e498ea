// Package raft implements the Raft consensus protocol (Ongaro and Ousterhout, "In Search of
// an Understandable Consensus Algorithm", extended version) as a pure state machine.
//
// The core has no goroutines, clock, randomness of its own or I/O. The host hands in virtual
// time on every call and a seeded random stream in Config, feeds incoming messages to Step,
// calls Tick when Deadline is reached, and drains Ready: what to persist, what to send, what
// to apply. Section numbers in comments (§5.4.2) refer to the paper.
package raft

import (
	"fmt"
	"slices"
	"time"
)

// Rand is the node's seeded random stream (the simulator hands in *sim.Rand).
type Rand interface{ Int64N(n int64) int64 }

// Config configures one node.
type Config struct {
	ID    int // this node, 0..Peers-1
	Peers int // cluster size

	// ElectionTimeout is the base election timeout: the actual timeout is drawn uniformly
	// from [ElectionTimeout, 2*ElectionTimeout) at every reset.
	ElectionTimeout time.Duration
	// HeartbeatInterval is how often an idle leader sends AppendEntries to each follower.
	HeartbeatInterval time.Duration
	// Rand is the node's seeded random stream; it is used only for election timeouts.
	Rand Rand
	// MaxEntriesPerAppend caps the entries in one MsgApp; 0 means unlimited.
	MaxEntriesPerAppend int

	// UnsafeCommitOldTerms deliberately breaks §5.4.2: a leader commits entries of earlier
	// terms by counting replicas (the Figure 8 bug). It exists only so that tests can show
	// the safety checkers catch it. Never set it otherwise.
	UnsafeCommitOldTerms bool
	// UnsafeForgetVote deliberately breaks §5.1 durability: vote changes are not reported
	// in Ready.Hard (it always carries Vote -1), so a node that restarts may vote twice in
	// a term. It exists only so that tests can show the checkers catch it. Never set it
	// otherwise.
	UnsafeForgetVote bool
}

// DefaultConfig returns the configuration used for the 6.824 suite: heartbeats every 100 ms
// (the handout allows at most ten per second) and election timeouts drawn from
// [300 ms, 600 ms), so that a new leader is normally elected within about a second of losing
// the old one, well inside the suite's five seconds, even after a split vote or two.
func DefaultConfig(id, peers int, r Rand) Config {
	return Config{
		ID:                id,
		Peers:             peers,
		ElectionTimeout:   300 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond,
		Rand:              r,
	}
}

func (c *Config) validate() {
	switch {
	case c.Peers < 1:
		panic(fmt.Sprintf("raft: config: Peers = %d, need >= 1", c.Peers))
	case c.ID < 0 || c.ID >= c.Peers:
		panic(fmt.Sprintf("raft: config: ID = %d outside [0, %d)", c.ID, c.Peers))
	case c.ElectionTimeout <= 0 || c.HeartbeatInterval <= 0:
		panic(fmt.Sprintf("raft: config: ElectionTimeout %v and HeartbeatInterval %v must be > 0", c.ElectionTimeout, c.HeartbeatInterval))
	case c.Rand == nil:
		panic("raft: config: Rand is nil")
	case c.MaxEntriesPerAppend < 0:
		panic(fmt.Sprintf("raft: config: MaxEntriesPerAppend = %d, need >= 0", c.MaxEntriesPerAppend))
	}
}

// HardState is the state that must be on stable storage before the node answers any RPC
// (§5.1, Figure 2): the current term and the vote cast in it (-1 = none).
type HardState struct {
	Term int
	Vote int
}

// SnapshotState is a snapshot with its data, as persisted and as sent in MsgSnap.
type SnapshotState struct {
	Meta SnapshotMeta
	Data []byte
}

// Persistent is what a node recovered from storage at boot. The zero value is a fresh node
// (at term 0 no vote can have been cast, so Hard.Vote is read as -1 when Hard.Term is 0).
// New keeps Entries as its log without copying them and never writes them, so the caller
// must not modify them afterwards. It appends into the spare capacity of their array (past
// len), which is the node's too: the caller must leave it alone. DecodeLog leaves room there,
// so that a restarted node's first append does not move its whole log to a larger array.
type Persistent struct {
	Hard         HardState
	Snapshot     SnapshotMeta
	SnapshotData []byte
	Entries      []Entry // the entries after Snapshot.Index, contiguous
}

// ApplyMsg is one item of the apply stream: a committed command, or a snapshot the node
// installed from its leader. The stream is strictly in order: after a snapshot at index i,
// the next command has index i+1. Command and Snapshot must be treated as read-only.
type ApplyMsg struct {
	CommandValid bool
	Command      []byte
	CommandIndex int
	CommandTerm  int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotIndex int
	SnapshotTerm  int
}

// Ready is a batch of work for the host, taken with Raft.Ready and acknowledged with
// Raft.Advance. The host must do it in this order:
//
//  1. Persist, then sync: Hard (if non-nil), then Snapshot (if non-nil; it replaces every
//     log entry through Snapshot.Meta.Index), then Truncate (if > 0, drop stored entries
//     with index >= Truncate), then append Entries; each durable before the next is relied
//     on (persist.go says why and how on a file system).
//  2. Only then send Messages. This is the durability order of §5.1 (Figure 2: persistent
//     state is "updated on stable storage before responding to RPCs"): a vote grant, an
//     append success, or a candidate's vote request (which carries its vote for itself)
//     travels in the same Ready as the state it acknowledges, so sending it first and then
//     crashing would let the node vote twice in a term or forget entries a leader counted
//     towards commitment.
//  3. Apply Apply to the service, in order. The leader counts its own log towards commitment
//     before this Ready is persisted, which is safe only because step 1 comes first. A Ready
//     applies at most 64 committed entries: a node with more to apply at once (a restarted
//     one) hands out the rest in the Readies that follow, which carry nothing but them.
//  4. Call Advance with this Ready. Advance recycles the Messages and Apply slices: the host
//     must copy what it keeps of them (the simulated network copies every message it sends).
//     Entries, and the Entries of every MsgApp, are not copied: they share the log's array,
//     whose elements the core does not write again until the host has advanced this Ready
//     and the next one (see raftLog.slice): a host or checker reads them as they are while
//     it does the Ready, and must copy what it keeps longer. Snapshot is the node's too,
//     written again once this Ready is advanced and a later one carrying a snapshot is
//     taken (Raft.snapStates); its Data is never written.
type Ready struct {
	Hard     *HardState
	Truncate int
	Entries  []Entry
	Snapshot *SnapshotState
	Messages []Message
	Apply    []ApplyMsg
	// Reached says which of the rare situations that the literature's bugs need the node
	// went through since the previous Ready, so that a host can count how often a test
	// reaches them (coverage probes). Nothing in the protocol depends on it.
	Reached Reached

	// catchUp: a Ready that only carries on applying a batch too large for one (see
	// Raft.catchUp), whose Advance recycles nothing but its Apply array. Next to Reached,
	// in the padding of its word: a Ready is copied by value from host to checks.
	catchUp bool
	seq     uint64 // which Ready this is, for Advance's check
}

// Reached is a set of situations a node went through (see Ready.Reached).
type Reached uint8

const (
	// ReachedCommitAfterDivergentTail: a follower whose log had a tail that conflicted with
	// its leader's, cut off and replaced, learned a commit index covering the replaced part.
	ReachedCommitAfterDivergentTail Reached = 1 << iota
	// ReachedSnapshotOverLongerLog: an InstallSnapshot reached a follower whose log goes on
	// past the snapshot and matches it at the snapshot's index; it kept the entries after.
	ReachedSnapshotOverLongerLog
	// ReachedStaleSnapshot: an InstallSnapshot (delayed or duplicated) arrived covering no
	// more than the follower had already applied; it must not roll the state machine back.
	ReachedStaleSnapshot
	// ReachedVoteAfterStepDown: a vote request of term T from a third candidate reached a
	// node that had stepped down in term T (from candidate or leader) because of another.
	ReachedVoteAfterStepDown
)

// role is a node's role; each role has its own step (see Raft.Step) and tick (Raft.Tick),
// both chosen by it.
type role int

const (
	follower role = iota
	candidate
	leader
)

func (r role) String() string { return [...]string{"follower", "candidate", "leader"}[r] }

// progress is the leader's view of one follower (§5.3 nextIndex and matchIndex).
//
// Flow control: at most one append that carries entries (or one snapshot) is in flight to
// a follower, and it is sent from next = match+1 once the follower's position is known, so
// its prev is an entry the follower acknowledged. The network delays each request on its
// own (0-26 ms in the 6.824 suite), so two appends in flight can arrive in either order;
// with a leader that advanced next as it sent, the second (prev = the end of the first)
// overtook the first, was rejected for a prev the follower did not hold yet, and the
// leader backed up and re-sent the entries both carried: 23% of kv/SnapshotRecover-
// ManyClients3B's appends were rejected so. Entries proposed meanwhile wait for the
// response and go in one append (6.824 TestCount2B); a heartbeat due meanwhile sends the
// append again if it has been out for retryAfter, and otherwise an append without entries
// from match (sendHeartbeat); neither can be made to fail by any reordering.
type progress struct {
	match int // highest index known to be replicated on the follower
	// next is the next index to send: match+1 once the follower's log is known to match,
	// or above it while the leader probes for the point where the logs agree (a new
	// leader, or after a rejection); it moves only on responses, never as entries are
	// sent.
	next int
	// inflight: an append or snapshot is outstanding, sent at sentAt with PrevIndex
	// sentPrev (-1 for a snapshot) and entries through sentLast (the snapshot's index).
	// Only a response that answers it clears it: a success acknowledging sentLast or
	// beyond, or a rejection of sentPrev (see handleAppendResp). One that stays unanswered
	// for retryAfter is sent again by the next heartbeat.
	inflight bool
	sentAt   time.Duration
	sentPrev int
	sentLast int
	// sentCommit is the leader commit index carried by the last append sent, so that a
	// commit advance is pushed to the follower once, not on every response.
	sentCommit int
	// commitDue: the commit push came due (see maybeCommit) while an append was in
	// flight; the response sends the commit index even with no entries to go with it.
	commitDue bool
}

// Raft is one node's protocol state machine. It is not safe for concurrent use; the
// simulator drives it from one goroutine.
type Raft struct {
	cfg Config
	id  int
	now time.Duration

	// Persistent state (§5.1, Figure 2).
	term int
	vote int // -1 = none
	log  raftLog
	// snapData is the data of the snapshot log.snap; immutable once set (replaced, never
	// mutated), so it can be shared with Ready and messages.
	snapData []byte

	// Volatile state.
	role   role
	lead   int // known leader of term, -1 if unknown
	commit int // Invariant: log.snap.Index <= applied <= commit <= log.lastIndex().
	// applied is the last index handed to the service in a Ready.Apply, or to be handed
	// in the Readies that follow it (catchUp), or covered by a snapshot; "applied" from
	// the point of view of the core.
	applied int

	// Candidate state.
	votes []vote

	// For Ready.Reached: the index from which a follower replaced a conflicting tail (0 if
	// none since its commit index passed it), the term a node last stepped down in from
	// candidate or leader and the node that made it, and what was reached so far.
	healedFrom    int
	stepDownTerm  int
	stepDownCause int
	reached       Reached
	// Leader state, indexed by node; prs[id] is unused.
	prs []progress
	// matchScratch is maybeCommit's buffer (it runs on every append response).
	matchScratch []int
	// commands is the chunk that proposed commands are copied into (keepCommand); what
	// it holds up to its length is never written again.
	commands []byte

	// Timers: the next election (follower, candidate) or heartbeat (leader).
	electionDeadline  time.Duration
	heartbeatDeadline time.Duration
	// commitPushAt (leader) is when followers not told the commit index yet get an append
	// for it alone; 0 if none is pending (see maybeCommit).
	commitPushAt time.Duration

	// Ready bookkeeping. Everything up to persistedLast was handed to the host in a Ready;
	// the storage the host holds after processing every Ready handed out equals the log
	// through persistedLast, once pendingTruncate is applied.
	persistedLast   int
	pendingTruncate int            // 0 = none; otherwise the next Ready must drop stored entries >= it
	pendingSnap     *SnapshotState // one of snapStates
	// snapStates are the SnapshotStates a Ready's Snapshot points at, used in turn
	// (snapTurn is the one the next pending snapshot goes into): the one a Ready handed out
	// is not written again before another Ready that carries a snapshot is taken, which
	// Advance of the first must come before (see Ready). One allocated per snapshot was a
	// sixth of the objects a snapshotting kv service's Raft allocated.
	snapStates [2]SnapshotState
	snapTurn   int
	prevHard   HardState // last HardState handed out
	msgs       []Message
	applyQueue []ApplyMsg // installed snapshots waiting for the next Ready
	// The arrays of an advanced Ready's Messages and Apply, emptied, for the Ready after
	// next: a host that persists asynchronously steps messages in while a Ready is out, so
	// msgs and applyQueue are rarely empty when it is advanced (see Advance).
	spareMsgs  []Message
	spareApply []ApplyMsg
	readySeq   uint64
	readyOut   bool // a Ready was handed out and not yet Advanced
	// catchUp holds committed entries already counted as applied (applied is past them)
	// whose ApplyMsgs the next Readies hand out, maxApplyBatch at a time, before anything
	// else: a node that applies its whole log at once (a restart) would otherwise need an
	// apply array of its whole log, allocated at every restart (a tenth of the bytes
	// raft/ReliableChurn2C allocated). Only Readies of apply items follow one another
	// until it is empty, so the host does what it did with one large Ready, in the same
	// order: everything the first Ready carried, then every item, then whatever the
	// service's callbacks queued meanwhile. The entries are a slice of the log, which the
	// core does not write while any are left (raftLog.slice: an array the log moved away
	// from is freed for reuse only once catchUp is empty, see Advance).
	catchUp []Entry
	// spareLogFreeAt is the first Ready taken after the log last moved to another array
	// (compactLog, or an append that found its array full): the array it left is free once
	// the host advanced that Ready, or a later one, that is not a catch-up (a catch-up Ready
	// leaves the messages queued).
	spareLogFreeAt uint64
}

// New builds a node from what it recovered from storage (zero Persistent = fresh node) at
// virtual time now. With a snapshot, lastApplied = commitIndex = snapshot index: the service
// restores the snapshot itself, so it is not re-emitted on the apply stream.
func New(cfg Config, p Persistent, now time.Duration) *Raft {
	cfg.validate()
	r := &Raft{cfg: cfg, id: cfg.ID, now: now, term: p.Hard.Term, vote: p.Hard.Vote, lead: -1}
	if r.term == 0 {
		r.vote = -1
	}
	if r.vote < -1 || r.vote >= cfg.Peers {
		panic(fmt.Sprintf("raft: recovered vote %d outside [-1, %d)", r.vote, cfg.Peers))
	}
	r.log.snap = p.Snapshot
	// The recovered entries are kept, not copied (a restart's copy of its whole log was
	// 2% of raft/ReliableChurn2C's allocation): the log never writes an entry it holds
	// (raftLog.slice), and appends into the array's spare capacity, which Persistent gives
	// it.
	r.log.ents = p.Entries
	r.log.settledLast = r.log.lastIndex()
	r.log.check()
	if t := r.log.lastTerm(); t > r.term {
		panic(fmt.Sprintf("raft: recovered log holds term %d beyond recovered term %d", t, r.term))
	}
	r.snapData = p.SnapshotData
	r.commit = p.Snapshot.Index
	r.applied = p.Snapshot.Index
	r.persistedLast = r.log.lastIndex()
	r.prevHard = r.hardState()
	r.becomeFollower(r.term, -1)
	r.resetElectionTimer()
	return r
}

// ---- Role transitions ----------------------------------------------------------------

// becomeFollower does not reset the election timer (§5.2 resets it only on granting a vote,
// hearing from the leader, or starting an election): a partitioned node that rejoins with
// a high term and a stale log deposes everyone with each vote request, and if that also
// postponed their elections, it could keep the cluster leaderless as long as its own
// timeout kept firing first. A deposed leader, whose timer was not running, gets a fresh
// one.
func (r *Raft) becomeFollower(term, lead int) {
	if term < r.term {
		panic(fmt.Sprintf("raft: invariant term never decreases violated: %d -> %d", r.term, term))
	}
	if term > r.term {
		r.term = term
		r.vote = -1
	}
	r.lead = lead
	r.votes = nil
	r.prs = nil
	r.commitPushAt = 0
	if r.role == leader {
		r.resetElectionTimer()
	}
	r.role = follower
}

func (r *Raft) becomeCandidate() {
	if r.role == leader {
		panic("raft: leader cannot become candidate")
	}
	r.term++
	r.vote = r.id
	r.role = candidate
	r.lead = -1
	r.votes = make([]vote, r.cfg.Peers)
	r.votes[r.id] = voteGranted
	r.resetElectionTimer()
}

func (r *Raft) becomeLeader() {
	if r.role != candidate {
		panic(fmt.Sprintf("raft: %v cannot become leader", r.role))
	}
	r.role = leader
	r.lead = r.id
	r.votes = nil
	r.prs = make([]progress, r.cfg.Peers)
	r.commitPushAt = 0
	for i := range r.prs {
		r.prs[i] = progress{next: r.log.lastIndex() + 1}
	}
	// No no-op entry: the 6.824 tests expect Start indexes without gaps. Entries of earlier
	// terms therefore commit only once an entry of this term does (§5.4.2).
	r.bcastAppend()
	r.heartbeatDeadline = r.now + r.cfg.HeartbeatInterval
}

// noteStepDown remembers, for Ready.Reached, that a candidate or leader becomes a follower
// in term because of node cause.
func (r *Raft) noteStepDown(term, cause int) {
	if r.role != follower {
		r.stepDownTerm, r.stepDownCause = term, cause
	}
}

func (r *Raft) resetElectionTimer() {
	et := r.cfg.ElectionTimeout
	r.electionDeadline = r.now + et + time.Duration(r.cfg.Rand.Int64N(int64(et)))
}

// ---- Time ------------------------------------------------------------------------------

// Deadline returns the virtual time at which Tick must next be called.
func (r *Raft) Deadline() time.Duration {
	if r.role == leader {
		if r.commitPushAt != 0 && r.commitPushAt < r.heartbeatDeadline {
			return r.commitPushAt
		}
		return r.heartbeatDeadline
	}
	return r.electionDeadline
}

// Tick fires the election or heartbeat timer if it is due at now.
func (r *Raft) Tick(now time.Duration) {
	r.setNow(now)
	if r.role == leader {
		tickHeartbeat(r)
	} else {
		tickElection(r)
	}
	r.assertInvariants()
}

func (r *Raft) setNow(now time.Duration) {
	if now < r.now {
		panic(fmt.Sprintf("raft: time went backwards: %v -> %v", r.now, now))
	}
	r.now = now
}

func tickElection(r *Raft) {
	if r.now < r.electionDeadline {
		return
	}
	r.campaign()
}

func tickHeartbeat(r *Raft) {
	if r.now >= r.heartbeatDeadline {
		r.heartbeatDeadline = r.now + r.cfg.HeartbeatInterval
		for to := range r.prs {
			if to != r.id {
				r.heartbeat(to)
			}
		}
		r.commitPushAt = 0 // the heartbeats carry the commit index, or leave it due (heartbeat)
		return
	}
	if r.commitPushAt != 0 && r.now >= r.commitPushAt {
		r.commitPushAt = 0
		for to := range r.prs {
			if pr := &r.prs[to]; to != r.id && pr.sentCommit < r.commit {
				if pr.inflight {
					pr.commitDue = true
				} else {
					r.sendAppend(to)
				}
			}
		}
	}
}

// campaign starts an election (§5.2). The vote requests land in the same Ready as the new
// term and the vote for self, so they go out only after both are persisted.
func (r *Raft) campaign() {
	r.becomeCandidate()
	if voteResult(r.votes) == VoteWon { // a single-node cluster
		r.becomeLeader()
		return
	}
	for to := range r.cfg.Peers {
		if to == r.id {
			continue
		}
		r.send(&Message{Type: MsgVote, To: to, LastLogIndex: r.log.lastIndex(), LastLogTerm: r.log.lastTerm()})
	}
}

// ---- Input -------------------------------------------------------------------------------

// Step processes one incoming message (request or response) at virtual time now. Every
// request is answered by exactly one response, found in a later Ready's Messages.
func (r *Raft) Step(now time.Duration, m Message) {
	r.setNow(now)
	if m.To != r.id {
		panic(fmt.Sprintf("raft: message for node %d stepped into node %d: %v", m.To, r.id, m))
	}
	if m.From < 0 || m.From >= r.cfg.Peers || m.From == r.id {
		panic(fmt.Sprintf("raft: message from invalid node %d stepped into node %d: %v", m.From, r.id, m))
	}
	switch {
	case m.Term > r.term:
		// §5.1: a higher term makes any node a follower. Only AppendEntries and
		// InstallSnapshot come from the leader of that term.
		lead := -1
		if m.Type == MsgApp || m.Type == MsgSnap {
			lead = m.From
		}
		r.noteStepDown(m.Term, m.From)
		r.becomeFollower(m.Term, lead)
	case m.Term < r.term:
		// A stale request still gets its one response; our term in it tells the sender
		// to step down. Stale responses are dropped.
		if m.Type == MsgSnap && m.Snapshot.Index <= r.applied {
			r.reached |= ReachedStaleSnapshot
		}
		if m.Type.IsRequest() {
			r.send(&Message{Type: m.Type.ResponseType(), To: m.From, PrevIndex: m.PrevIndex, ConflictTerm: -1})
		}
		return
	}
	// The role's step is chosen by a switch, and handed the message by pointer, as the
	// step hands it to its handler and send takes the message it queues: through a
	// function value the pointer would escape (a message on the heap per Step), and by
	// value a message, 160 bytes, was copied into every call.
	switch {
	case m.Type == MsgVote:
		r.handleVote(&m)
	case r.role == follower:
		stepFollower(r, &m)
	case r.role == leader:
		stepLeader(r, &m)
	default:
		stepCandidate(r, &m)
	}
	r.assertInvariants()
}

// handleVote answers RequestVote in any role (§5.2, §5.4.1); m.Term == r.term here.
func (r *Raft) handleVote(m *Message) {
	if r.stepDownTerm == m.Term && m.From != r.stepDownCause {
		r.reached |= ReachedVoteAfterStepDown
	}
	grant := (r.vote == -1 || r.vote == m.From) && r.log.isUpToDate(m.LastLogIndex, m.LastLogTerm)
	if grant {
		r.vote = m.From
		// Only granting resets the timer: a node with a stale log that keeps asking must
		// not hold off the elections of nodes that could win.
		r.resetElectionTimer()
	}
	r.send(&Message{Type: MsgVoteResp, To: m.From, Granted: grant})
}

func stepFollower(r *Raft, m *Message) {
	switch m.Type {
	case MsgApp:
		r.lead = m.From
		r.resetElectionTimer()
		r.handleAppend(m)
	case MsgSnap:
		r.lead = m.From
		r.resetElectionTimer()
		r.handleSnapshot(m)
	}
	// Responses are late answers to a role this node no longer has: drop them.
}

func stepCandidate(r *Raft, m *Message) {
	switch m.Type {
	case MsgApp, MsgSnap:
		// §5.2: an AppendEntries from a leader of this term ends the election.
		r.noteStepDown(m.Term, m.From)
		r.becomeFollower(m.Term, m.From)
		stepFollower(r, m)
	case MsgVoteResp:
		if m.Granted {
			r.votes[m.From] = voteGranted
		} else {
			r.votes[m.From] = voteRejected
		}
		if voteResult(r.votes) == VoteWon {
			r.becomeLeader()
		}
		// A lost election just waits for the timer to start the next one.
	}
}

func stepLeader(r *Raft, m *Message) {
	switch m.Type {
	case MsgApp, MsgSnap:
		if !r.cfg.UnsafeForgetVote {
			panic(fmt.Sprintf("raft: invariant one leader per term violated: leader %d of term %d received %v", r.id, r.term, *m))
		}
		// Under UnsafeForgetVote two leaders per term are the expected failure, for the
		// checkers to report; answer with a plain rejection.
		r.send(&Message{Type: m.Type.ResponseType(), To: m.From, PrevIndex: m.PrevIndex, ConflictTerm: -1})
	case MsgAppResp:
		r.handleAppendResp(m)
	case MsgSnapResp:
		r.handleSnapshotResp(m)
	}
}

// handleAppend is the follower side of AppendEntries (§5.3); m.Term == r.term.
func (r *Raft) handleAppend(m *Message) {
	resp := Message{Type: MsgAppResp, To: m.From, PrevIndex: m.PrevIndex}
	prev, prevTerm, ents := m.PrevIndex, m.PrevTerm, m.Entries
	if snap := r.log.snap; prev < snap.Index {
		// Everything through our snapshot is committed, so it matches the leader's log
		// (Leader Completeness, §5.4); skip the part of the request it covers.
		skip := snap.Index - prev
		if skip > len(ents) {
			resp.Success, resp.MatchIndex = true, snap.Index
			r.send(&resp)
			return
		}
		if skip > 0 && ents[skip-1].Term != snap.Term {
			panic(fmt.Sprintf("raft: invariant log matching violated: leader %d sends %d/t%d, node %d has it committed in snapshot with t%d", m.From, snap.Index, ents[skip-1].Term, r.id, snap.Term))
		}
		prev, prevTerm, ents = snap.Index, snap.Term, ents[skip:]
	}
	if prev > r.log.lastIndex() {
		resp.ConflictIndex, resp.ConflictTerm = r.log.lastIndex()+1, -1
		r.send(&resp)
		return
	}
	if t := r.log.mustTerm(prev); t != prevTerm {
		if prev <= r.commit {
			panic(fmt.Sprintf("raft: invariant log matching violated: committed %d/t%d on node %d, leader %d says t%d", prev, t, r.id, m.From, prevTerm))
		}
		resp.ConflictTerm, resp.ConflictIndex = t, r.log.firstIndexOfTerm(t, prev)
		r.send(&resp)
		return
	}
	// The logs match through prev. Append what is new; truncate only on a real conflict,
	// never because the request is shorter than our log: a delayed, older AppendEntries
	// must not cut off entries a newer one added (and we may already have acknowledged).
	for i, e := range ents {
		if e.Index <= r.log.lastIndex() {
			if r.log.mustTerm(e.Index) == e.Term {
				continue
			}
			if e.Index <= r.commit {
				panic(fmt.Sprintf("raft: invariant committed entries are never truncated violated: node %d, index %d (commit %d)", r.id, e.Index, r.commit))
			}
			r.truncateFrom(e.Index)
			if r.healedFrom == 0 || e.Index < r.healedFrom {
				r.healedFrom = e.Index
			}
		}
		r.appendLog(ents[i:]...)
		break
	}
	match := prev + len(ents)
	if c := min(m.Commit, match); c > r.commit {
		r.commitTo(c)
		if r.healedFrom > 0 && c >= r.healedFrom {
			r.reached |= ReachedCommitAfterDivergentTail
			r.healedFrom = 0
		}
	}
	resp.Success, resp.MatchIndex = true, match
	r.send(&resp)
}

// handleSnapshot is the follower side of InstallSnapshot (§7); m.Term == r.term.
func (r *Raft) handleSnapshot(m *Message) {
	s := m.Snapshot
	if s.Index <= r.applied {
		r.reached |= ReachedStaleSnapshot
	}
	if s.Index <= r.commit {
		// We already have everything it covers, committed; just tell the leader.
		r.send(&Message{Type: MsgSnapResp, To: m.From, Success: true, MatchIndex: r.commit})
		return
	}
	if t, ok := r.log.term(s.Index); ok && t == s.Term {
		// Our log agrees at the snapshot point: keep the entries after it (§7, "If
		// existing log entry has same index and term as snapshot's last included entry,
		// retain log entries following it").
		if r.log.lastIndex() > s.Index {
			r.reached |= ReachedSnapshotOverLongerLog
		}
		r.compactLog(s.Index)
	} else {
		r.discardLogFor(s)
	}
	r.snapData = m.Data
	r.setPendingSnap(s)
	r.persistedLast = max(r.persistedLast, s.Index)
	r.commit = s.Index
	r.applied = s.Index
	r.applyQueue = append(r.applyQueue, ApplyMsg{SnapshotValid: true, Snapshot: m.Data, SnapshotIndex: s.Index, SnapshotTerm: s.Term})
	r.send(&Message{Type: MsgSnapResp, To: m.From, Success: true, MatchIndex: s.Index})
}

// logMoved notes whether the log just moved to another array. If it did, slices of the
// one it left may be out in the Ready the host holds, and in messages queued for the next
// Ready: the array is free once the first Ready taken from now on is advanced (Advance),
// with no catch-up entries left that could be in it.
func (r *Raft) logMoved(moved bool) {
	if moved {
		r.spareLogFreeAt = r.readySeq + 1
	}
}

// compactLog discards the log through i (raftLog.compact), which may move it.
func (r *Raft) compactLog(i int) { r.logMoved(r.log.compact(i)) }

// appendLog appends ents to the log (raftLog.append). An append that finds the log's array
// full moves the log to another.
func (r *Raft) appendLog(ents ...Entry) { r.logMoved(r.log.append(ents...)) }

// discardLogFor replaces the whole log by snapshot s, and makes storage drop every stored
// entry of the old log, not only those after s.Index. Counterexample for "truncate from
// s.Index+1" alone: storage holds 40..46 of term 3, the node installs 42/t5 and appends
// 43/t5; storage now holds 42/t3 beside snapshot 42/t5, and recovery (ReplayLog), which
// must treat a term mismatch at the snapshot index as stale entries whose truncate never
// made it to disk, would throw away the acknowledged 43/t5.
func (r *Raft) discardLogFor(s SnapshotMeta) {
	if r.persistedLast >= r.log.firstIndex() {
		r.addTruncate(r.log.firstIndex())
	}
	r.logMoved(r.log.restore(s))
	r.persistedLast = s.Index
}

// truncateFrom drops log entries >= i and arranges for storage to drop them too.
func (r *Raft) truncateFrom(i int) {
	if i <= r.persistedLast {
		r.addTruncate(i)
		r.persistedLast = i - 1
	}
	r.log.truncateFrom(i)
}

func (r *Raft) addTruncate(i int) {
	if r.pendingTruncate == 0 || i < r.pendingTruncate {
		r.pendingTruncate = i
	}
}

// handleAppendResp is the leader side of an AppendEntries reply.
func (r *Raft) handleAppendResp(m *Message) {
	pr := &r.prs[m.From]
	if m.Success {
		if m.MatchIndex > pr.match {
			pr.match = m.MatchIndex
		}
		pr.next = max(pr.next, pr.match+1)
		if pr.match >= pr.sentLast {
			// The follower holds everything in flight: whichever request this answers
			// (the append, a retry of it, or a heartbeat that found a snapshot beyond
			// it), nothing the leader sent is still to be acknowledged. A success short
			// of sentLast answers a heartbeat or an older append and leaves the
			// outstanding one in flight, so that it is not doubled by a second append
			// that could overtake it.
			pr.inflight = false
		}
		r.maybeCommit()
	} else if m.PrevIndex == pr.sentPrev {
		pr.inflight = false // it answers the append in flight (or a retry of it: the same prev)
	}
	if !m.Success && m.PrevIndex >= pr.match {
		// (A rejection with PrevIndex < match answers an older request: the follower has
		// since matched further, so it says nothing new.)
		// Fast backup (6.824 guide): skip a whole conflicting term per round trip
		// instead of one entry, so a leader backs up over 50 divergent entries
		// (TestBackup2B) in a few RPCs.
		next := m.ConflictIndex
		if m.ConflictTerm >= 0 {
			if last := r.log.lastIndexOfTerm(m.ConflictTerm, m.PrevIndex); last > 0 {
				next = last + 1
			}
		}
		// Only ever move back (the entry at PrevIndex did not match; a duplicated or
		// reordered rejection must not undo progress of the backup), but never below
		// what is known to match.
		next = max(min(next, m.PrevIndex, pr.next), pr.match+1)
		if next == pr.next {
			// The rejection teaches nothing new (it is stale, or the follower lost
			// entries it acknowledged): leave the retry to the heartbeat rather than
			// ping-pong with the follower at one instant.
			return
		}
		pr.next = next
	}
	r.maybeSendAppend(m.From)
}

// handleSnapshotResp is the leader side of an InstallSnapshot reply.
func (r *Raft) handleSnapshotResp(m *Message) {
	pr := &r.prs[m.From]
	if m.Success && m.MatchIndex > pr.match {
		pr.match = m.MatchIndex
		pr.next = max(pr.next, pr.match+1)
		r.maybeCommit()
	}
	if pr.match >= pr.sentLast {
		pr.inflight = false // as in handleAppendResp
	}
	r.maybeSendAppend(m.From)
}

// maybeCommit advances the commit index to the highest index stored on a majority, subject
// to §5.4.2, and arranges for the followers to learn it within commitPushDelay.
//
// Not at once: an append of its own for a commit index alone doubled the appends of a
// cluster whose clients each wait for their command to commit before proposing the next (a
// leader of five sent four appends with the entry, then four without, to carry the commit
// index: 4,887 of raft/ReliableChurn2C's 11,299 requests on seed 1). Any append sent meanwhile
// carries the index (Figure 2's leaderCommit), typically the next client's proposal; the
// followers that none reached get an append for it alone when commitPushDelay has passed.
// Only the leader's apply waits on the commit index; a follower learns it at most
// commitPushDelay later than before, so a bug that shows in the followers' applies (the
// planted CommitOldTerms) still shows there.
func (r *Raft) maybeCommit() {
	// The commit index moves only if a majority holds an entry past it. Counted first, the
	// match indexes are sorted only then: most responses acknowledge what is committed
	// already (a heartbeat's, or those after the majority's), and maybeCommit with a sort
	// on each of them was 1-1.5% of raft/Swarm's and raft/ReliableChurn2C's instructions.
	past, prs, commit := 0, r.prs, r.commit
	if r.log.lastIndex() > commit {
		past = 1 // the leader's own log
	}
	for i := range prs {
		if prs[i].match > commit && i != r.id {
			past++
		}
	}
	if past < majority(len(prs)) {
		return
	}
	match := r.matchScratch[:0]
	for i := range prs {
		match = append(match, prs[i].match)
	}
	match[r.id] = r.log.lastIndex()
	r.matchScratch = match
	n := quorumMatchSorting(match)
	if n <= r.commit {
		return
	}
	// §5.4.2 (Figure 8): "Raft never commits log entries from previous terms by counting
	// replicas." Counterexample without this line, 5 nodes: S1 leads term 2 and puts
	// 2/t2 on S1,S2; S5 leads term 3 with 2/t3 on S5 alone; S1 leads term 4 and
	// re-replicates 2/t2 to S3 (now on a majority); if S1 committed it now and crashed, S5
	// could win term 5 (votes of S2,S3,S4: its last term 3 > 2) and overwrite index 2
	// everywhere. Only an entry of the current term, once on a majority, pins the log.
	if r.log.mustTerm(n) != r.term && !r.cfg.UnsafeCommitOldTerms {
		return
	}
	r.commitTo(n)
	if r.commitPushAt == 0 {
		r.commitPushAt = r.now + r.commitPushDelay()
	}
}

// allToldCommit reports whether every follower was sent the current commit index.
func (r *Raft) allToldCommit() bool {
	for to := range r.prs {
		if to != r.id && r.prs[to].sentCommit < r.commit {
			return false
		}
	}
	return true
}

// commitPushDelay is how long a new commit index waits for an append to carry it before it
// is sent on its own: a tenth of the heartbeat interval (10 ms for the 6.824 suite's 100 ms).
func (r *Raft) commitPushDelay() time.Duration { return max(r.cfg.HeartbeatInterval/10, 1) }

func (r *Raft) commitTo(n int) {
	if n < r.commit {
		panic(fmt.Sprintf("raft: invariant commit never decreases violated on node %d: %d -> %d", r.id, r.commit, n))
	}
	if n > r.log.lastIndex() {
		panic(fmt.Sprintf("raft: invariant commit <= last index violated on node %d: commit %d, last %d", r.id, n, r.log.lastIndex()))
	}
	r.commit = n
}

// ---- Sending ---------------------------------------------------------------------------

// send queues m for the next Ready, stamping sender and term.
//
// It writes the queued message field by field: a Message holds pointers, and appending it
// whole is a typed copy that, while the garbage collector marks, runs the bulk write
// barrier over the whole 160 bytes (with the small heaps of a simulation, a mark phase is
// under way for a third or so of a run); field by field, only the two slices take one.
// Every field is written, since the slots past the queue's length keep stale messages (see
// Advance).
func (r *Raft) send(m *Message) {
	n := len(r.msgs)
	if n == cap(r.msgs) {
		r.msgs = slices.Grow(r.msgs, 1)
	}
	r.msgs = r.msgs[:n+1]
	q := &r.msgs[n]
	q.Type, q.Granted, q.Success = m.Type, m.Granted, m.Success
	q.From, q.To, q.Term = r.id, m.To, r.term
	q.LastLogIndex, q.LastLogTerm = m.LastLogIndex, m.LastLogTerm
	q.PrevIndex, q.PrevTerm, q.Commit = m.PrevIndex, m.PrevTerm, m.Commit
	q.Entries = m.Entries
	q.ConflictIndex, q.ConflictTerm, q.MatchIndex = m.ConflictIndex, m.ConflictTerm, m.MatchIndex
	q.Snapshot = m.Snapshot
	q.Data = m.Data
}

// bcastAppend sends an AppendEntries (or snapshot) to every follower: a new leader's
// first heartbeat, which probes at its last index.
func (r *Raft) bcastAppend() {
	for to := range r.prs {
		if to != r.id {
			r.sendAppend(to)
		}
	}
}

// retryAfter is how long an append or snapshot may stay unanswered before the heartbeat
// sends it again (from next, with whatever was proposed since) instead of an append
// without entries: an eighth of the heartbeat interval, 12.5 ms in the 6.824 suite, whose
// network delays a request up to 26 ms. A lost request is thus sent again by the first
// heartbeat after it, as the old heartbeat did (it was rejected, and the backup re-sent the
// entries). A request that is merely slow costs an append the follower mostly finds it
// holds, but no rejection: the retry is sent from next, which only responses move, so it
// has the same prev, and whichever answer covers the other clears inflight. Measured over
// seeds 1-10, half the heartbeat interval lost 7-12% of the client operations of kv's
// unreliable scenarios (PersistPartitionUnreliableLinearizable3A, SnapshotUnreliable3B:
// entries waited behind lost appends), and an eighth none, with no more events per
// operation; a retry at every heartbeat gained at most 1.5% more, and would send a large
// catch-up append again whenever a heartbeat fell while it was out.
func (r *Raft) retryAfter() time.Duration { return max(r.cfg.HeartbeatInterval/8, 1) }

// heartbeat is the leader's periodic AppendEntries to one follower (§5.2: it keeps the
// follower from starting an election, and carries the commit index). With nothing in
// flight, or with a request out for retryAfter, it is an append from next, with whatever
// entries the follower lacks; otherwise one without entries (sendHeartbeat).
func (r *Raft) heartbeat(to int) {
	pr := &r.prs[to]
	if !pr.inflight || r.now-pr.sentAt >= r.retryAfter() {
		r.sendAppend(to)
		return
	}
	r.sendHeartbeat(to)
}

// sendHeartbeat sends an AppendEntries without entries whose prev is the follower's match,
// an entry it acknowledged, so that whatever the order in which it and the append in
// flight arrive, neither is rejected (the old heartbeat, sent from the end of the append in
// flight, was rejected whenever it overtook it). It carries the commit index, which the
// follower takes up to its match (Figure 2: min(leaderCommit, index of last new entry));
// if that may fall short, the commit is left due for the response to the append in flight.
// It does not change inflight: its success (MatchIndex = match) acknowledges nothing new.
//
// A match compacted out of the leader's log has no term to send (the follower is then
// being sent a snapshot): the heartbeat uses index 0, term 0 instead, the sentinel every
// log starts with, which every follower accepts.
func (r *Raft) sendHeartbeat(to int) {
	pr := &r.prs[to]
	prev := pr.match
	prevTerm, ok := r.log.term(prev)
	if !ok {
		prev, prevTerm = 0, 0
	}
	r.send(&Message{Type: MsgApp, To: to, PrevIndex: prev, PrevTerm: prevTerm, Commit: r.commit})
	if pr.sentCommit < r.commit {
		pr.commitDue = true
	}
}

// maybeSendAppend sends to a follower with nothing in flight if it lacks entries or is due
// the current commit index (see maybeCommit).
func (r *Raft) maybeSendAppend(to int) {
	pr := &r.prs[to]
	if !pr.inflight && (pr.next <= r.log.lastIndex() || (pr.commitDue && pr.sentCommit < r.commit)) {
		r.sendAppend(to)
	}
}

// sendAppend sends the entries from the follower's next index, or the snapshot if they
// have been compacted away, and records it as the request in flight.
func (r *Raft) sendAppend(to int) {
	pr := &r.prs[to]
	pr.inflight = true
	pr.sentAt = r.now
	if pr.next < r.log.firstIndex() {
		r.send(&Message{Type: MsgSnap, To: to, Snapshot: r.log.snap, Data: r.snapData})
		pr.sentPrev, pr.sentLast = -1, r.log.snap.Index
		// The follower that installs it commits through its index (handleSnapshot).
		pr.sentCommit = max(pr.sentCommit, r.log.snap.Index)
		return
	}
	prev := pr.next - 1
	hi := r.log.lastIndex() + 1
	if k := r.cfg.MaxEntriesPerAppend; k > 0 && hi-pr.next > k {
		hi = pr.next + k
	}
	ents := r.log.slice(pr.next, hi)
	r.send(&Message{Type: MsgApp, To: to, PrevIndex: prev, PrevTerm: r.log.mustTerm(prev), Entries: ents, Commit: r.commit})
	pr.sentPrev, pr.sentLast = prev, hi-1
	pr.sentCommit, pr.commitDue = r.commit, false
	if r.commitPushAt != 0 && r.allToldCommit() {
		r.commitPushAt = 0 // every follower was sent the index (by this or earlier appends): no push is due
	}
}

// ---- Service interface -----------------------------------------------------------------

// Propose appends cmd to the leader's log and starts replicating it (6.824 Start). It
// returns the index and term the command will have if it is committed, and whether this
// node is the leader; on a non-leader it does nothing and index is -1.
func (r *Raft) Propose(now time.Duration, cmd []byte) (index, term int, isLeader bool) {
	r.setNow(now)
	if r.role != leader {
		return -1, r.term, false
	}
	e := Entry{Term: r.term, Index: r.log.lastIndex() + 1, Command: r.keepCommand(cmd)}
	r.appendLog(e)
	// Send at once to followers with nothing in flight; the others get it with the append
	// that the answer to theirs triggers (or with the heartbeat's retry of one out for
	// retryAfter), so a burst of proposals costs one append per follower, not one per
	// proposal.
	// (The progress slice and the id read once: r.prs[to] in the loop read them again at
	// every follower, since the call in it could change them; sendAppend changes neither.)
	prs, id := r.prs, r.id
	for to := range prs {
		if !prs[to].inflight && to != id {
			r.sendAppend(to)
		}
	}
	if len(r.prs) == 1 {
		// A single-node cluster commits at once. In a larger one the new entry moves no
		// commit: the index a majority holds is the majority-th highest match (majority >= 2),
		// never the highest alone, and the highest is the leader's own (its last index), the
		// only one that rose. maybeCommit on every proposal was a sixth of Propose's instructions.
		r.maybeCommit()
	}
	r.assertInvariants()
	return e.Index, e.Term, true
}

// keepCommand returns a copy of a proposed command for the log, never nil. Commands of up
// to commandChunk/8 bytes are copied into a chunk shared with the commands proposed before
// and after them, each capped so that an append to one cannot reach the next: one
// allocation for a hundred or so of the ten-byte commands of the 6.824 tests rather than
// one each (a tenth of raft/ReliableChurn2C's allocations). The first chunk of a leader
// has commandChunk/8 bytes, each next one twice the last up to commandChunk, so that a
// leader that proposes a few commands does not allocate the whole chunk. A chunk stays
// alive while any command in it does, at most commandChunk bytes for one.
func (r *Raft) keepCommand(cmd []byte) []byte {
	if len(cmd) > commandChunk/8 {
		return append(make([]byte, 0, len(cmd)), cmd...)
	}
	if cap(r.commands)-len(r.commands) < len(cmd) || r.commands == nil {
		r.commands = make([]byte, 0, min(max(2*cap(r.commands), commandChunk/8), commandChunk))
	}
	start := len(r.commands)
	r.commands = append(r.commands, cmd...)
	return r.commands[start:len(r.commands):len(r.commands)]
}

// commandChunk is the size of the arrays that keepCommand copies small commands into.
const commandChunk = 2048

// State returns the current term and whether this node believes it is the leader (6.824
// GetState).
func (r *Raft) State() (term int, isLeader bool) { return r.term, r.role == leader }

// Snapshot tells the node that the service has a snapshot covering everything through
// index. The log through index is discarded and the snapshot persisted via Ready.Snapshot.
// It is ignored if index is not beyond the current snapshot or not yet applied.
//
// Snapshot takes data over: the caller must not modify it afterwards. The node keeps it as
// it is, hands it to the host in Ready.Snapshot and sends it in every MsgSnap (the network
// copies what it sends). A service encodes a fresh snapshot each time, and a copy here was
// the largest allocation of raft/Swarm, whose snapshots hold the whole history. The node
// reads data until a later snapshot (taken or installed) replaces it, which the first Ready
// after that carries, with every message queued before it: once the host has done that
// Ready, only the host's own copies of data remain (rafthost recycles the array).
func (r *Raft) Snapshot(index int, data []byte) {
	if index <= r.log.snap.Index || index > r.applied {
		return
	}
	r.compactLog(index)
	r.snapData = data
	r.setPendingSnap(r.log.snap)
	r.persistedLast = max(r.persistedLast, index)
	r.assertInvariants()
}

// setPendingSnap makes the snapshot at meta, with snapData, the one the next Ready carries:
// in place of one already pending, which no Ready has handed out, or else in the
// SnapshotState whose turn it is (snapStates).
func (r *Raft) setPendingSnap(meta SnapshotMeta) {
	if r.pendingSnap == nil {
		r.pendingSnap = &r.snapStates[r.snapTurn]
	}
	*r.pendingSnap = SnapshotState{Meta: meta, Data: r.snapData}
}

// ---- Ready -----------------------------------------------------------------------------

func (r *Raft) hardState() HardState {
	h := HardState{Term: r.term, Vote: r.vote}
	if r.cfg.UnsafeForgetVote {
		h.Vote = -1
	}
	return h
}

// HasReady reports whether Ready would return any work.
func (r *Raft) HasReady() bool {
	// The three queues' lengths summed, not compared one by one: small enough to inline.
	return r.hardState() != r.prevHard || r.pendingTruncate > 0 || r.persistedLast < r.log.lastIndex() ||
		r.pendingSnap != nil || len(r.msgs)+len(r.applyQueue)+len(r.catchUp) > 0 || r.applied < r.commit || r.reached != 0
}

// Ready takes the pending work: state to persist, messages to send, entries to apply. See
// the Ready type for the order in which the host must do it. Everything in it is handed
// over: the next Ready holds only what happens after this call. Ready panics if the
// previous Ready has not been passed to Advance yet.
func (r *Raft) Ready() Ready {
	var rd Ready
	r.ReadyInto(&rd)
	return rd
}

// ReadyInto is Ready, written into *rd (all of it): a host that keeps the Ready it works on
// in place takes it there, without the two copies of Ready's result (a Ready is 112 bytes,
// taken once per event or so).
func (r *Raft) ReadyInto(rd *Ready) {
	if r.readyOut {
		panic(fmt.Sprintf("raft: node %d: Ready called before Advance of the previous Ready", r.id))
	}
	r.readySeq++
	r.readyOut = true
	if len(r.catchUp) > 0 {
		ents := r.catchUp[:min(len(r.catchUp), maxApplyBatch)]
		r.catchUp = r.catchUp[len(ents):]
		if len(r.catchUp) == 0 {
			r.catchUp = nil
		}
		// Into an apply array of the node's that holds nothing queued, which Advance
		// takes back: a catch-up buffer of its own, besides the array the restart's
		// first Ready filled, was an eighth of the bytes kv/PersistConcurrent3A
		// allocated, whose servers restart with their whole logs.
		var buf []ApplyMsg
		if len(r.applyQueue) == 0 {
			buf, r.applyQueue = r.applyQueue, nil
		} else {
			buf, r.spareApply = r.spareApply, nil
		}
		*rd = Ready{seq: r.readySeq, Apply: appendApply(buf[:0], ents), catchUp: true}
		return
	}
	// Each field written once, from locals: a Ready literal assigned whole was built on
	// the stack, then copied, 112 bytes, under the bulk write barrier's test.
	var hard *HardState
	if h := r.hardState(); h != r.prevHard {
		// A copy allocated here only: taking &h escaped h, an allocation on every Ready.
		hard = new(HardState)
		*hard = h
		r.prevHard = h
	}
	var ents []Entry
	if r.persistedLast < r.log.lastIndex() {
		ents = r.log.slice(r.persistedLast+1, r.log.lastIndex()+1)
		r.persistedLast = r.log.lastIndex()
	}
	apply := r.applyQueue
	if r.applied < r.commit {
		committed := r.log.slice(r.applied+1, r.commit+1)
		if len(committed) > maxApplyBatch {
			// A restarted peer applies its whole log at once: the rest in the Readies
			// that follow (catchUp).
			committed, r.catchUp = committed[:maxApplyBatch], committed[maxApplyBatch:]
		}
		apply = appendApply(apply, committed)
	}
	rd.Hard, rd.Truncate, rd.Entries, rd.Snapshot = hard, r.pendingTruncate, ents, r.pendingSnap
	rd.Messages, rd.Apply, rd.Reached = r.msgs, apply, r.reached
	rd.catchUp, rd.seq = false, r.readySeq
	r.reached = 0
	r.applied = r.commit
	if r.pendingSnap != nil {
		r.snapTurn ^= 1 // handed out: the next pending snapshot goes into the other
	}
	r.pendingTruncate, r.pendingSnap = 0, nil
	r.msgs, r.applyQueue, r.spareMsgs, r.spareApply = r.spareMsgs, r.spareApply, nil, nil
}

// appendApply appends an ApplyMsg for each of ents to apply. Each item is written field
// by field, as send writes a message, and only its command's fields: the slots may hold
// stale items, but only stale commands, whose every field is written over, since Advance
// clears the snapshot fields of the items that install snapshots (a slot never used is zero).
// Writing the four snapshot fields of every applied command was a tenth of a Ready's
// instructions in kv/SnapshotRecoverManyClients3B.
func appendApply(apply []ApplyMsg, ents []Entry) []ApplyMsg {
	base := len(apply)
	apply = slices.Grow(apply, len(ents))[:base+len(ents)]
	for k := range ents {
		e, a := &ents[k], &apply[base+k]
		a.CommandValid, a.Command, a.CommandIndex, a.CommandTerm = true, e.Command, e.Index, e.Term
	}
	return apply
}

// maxApplyBatch is the most committed entries one Ready applies (see Raft.catchUp). A
// restarted node's first Ready allocates an apply array this long, of 96-byte items, which
// its catch-up Readies then borrow: at 256 those arrays were 7% of the bytes
// kv/PersistConcurrent3A allocated, whose servers restart often with long logs. Smaller
// batches cost a Ready per batch.
const maxApplyBatch = 64

// Advance tells the node that the host has done rd: persisted and synced its state, sent
// its messages and applied its entries. It panics if rd is not the last Ready returned or
// was already advanced. It keeps no pointer to rd: by pointer only because copying the
// Ready into the call was about 30 instructions per Ready.
func (r *Raft) Advance(rd *Ready) {
	if !r.readyOut || rd.seq != r.readySeq {
		panic(fmt.Sprintf("raft: node %d: Advance with Ready #%d, but the outstanding Ready is #%d (outstanding=%v)", r.id, rd.seq, r.readySeq, r.readyOut))
	}
	r.readyOut = false
	if !rd.catchUp { // a catch-up Ready carries nothing but applied items
		r.advanceMessages(rd)
	}
	// Into applyQueue if nothing was queued since Ready, else as the spare, which
	// the next Ready hands on (a catch-up Ready's array is one of the two, see
	// Ready). The applied commands are not cleared (appendApply writes every field
	// of a command over them, and the snapshot queue writes whole items), but the
	// items of the installed snapshots, which lead the batch (Ready), are: their data
	// is not kept alive, and appendApply writes only a command's fields. A stale
	// command is one the log held, and clearing the batch was a bulk write barrier on
	// every Ready that applied anything.
	for i := range rd.Apply {
		a := &rd.Apply[i]
		if !a.SnapshotValid {
			break
		}
		a.SnapshotValid, a.Snapshot, a.SnapshotIndex, a.SnapshotTerm = false, nil, 0, 0
	}
	if r.applyQueue == nil {
		r.applyQueue = rd.Apply[:0]
	} else {
		r.spareApply = rd.Apply[:0]
	}
}

// advanceMessages is Advance's part for a Ready that is not a catch-up: it frees the
// spare log array once nothing can read it (compactLog) and takes back the messages'
// array. The host is done with rd's message and apply slices (it copied what it sent
// and applied), so their arrays carry a later Ready's: a Ready per event made these two
// appends the largest allocation in the simulator. Into msgs if nothing was queued since
// Ready (which handed it the spare, if any), else as the spare. The messages are not
// cleared: later ones overwrite them, and the few stale ones past the end hold only
// slices of the log and snapshot data, while clearing every slot cost a write barrier per
// pointer on every Ready.
func (r *Raft) advanceMessages(rd *Ready) {
	if r.log.spare != nil && !r.log.spareFree && rd.seq >= r.spareLogFreeAt && len(r.catchUp) == 0 {
		r.log.spareFree = true // see compactLog
	}
	if r.msgs == nil {
		r.msgs = rd.Messages[:0]
	} else {
		r.spareMsgs = rd.Messages[:0]
	}
}

// ---- Accessors for hosts and checkers ----------------------------------------------------

// ID returns this node's id.
func (r *Raft) ID() int { return r.id }

// Role returns "follower", "candidate" or "leader".
func (r *Raft) Role() string { return r.role.String() }

// Leader returns the leader of the current term as far as this node knows, or -1.
func (r *Raft) Leader() int { return r.lead }

// HardState returns the current term and vote (not necessarily persisted yet).
func (r *Raft) HardState() HardState { return HardState{Term: r.term, Vote: r.vote} }

// CommitIndex returns the highest index known to be committed.
func (r *Raft) CommitIndex() int { return r.commit }

// AppliedIndex returns the highest index handed to the service (in a Ready, or to be in
// the Readies of apply items that follow it) or covered by the snapshot.
func (r *Raft) AppliedIndex() int { return r.applied }

// SnapshotMeta returns the position of the current snapshot (zero if none).
func (r *Raft) SnapshotMeta() SnapshotMeta { return r.log.snap }

// FirstIndex returns the index of the first entry in the log (snapshot index + 1).
func (r *Raft) FirstIndex() int { return r.log.firstIndex() }

// LastIndex returns the index of the last entry in the log (the snapshot index if empty).
func (r *Raft) LastIndex() int { return r.log.lastIndex() }

// Term returns the term of the entry at i; ok is false unless SnapshotMeta().Index <= i <=
// LastIndex() (the snapshot point itself has its term).
func (r *Raft) Term(i int) (term int, ok bool) { return r.log.term(i) }

// Entry returns the entry at i; ok is false unless FirstIndex() <= i <= LastIndex().
func (r *Raft) Entry(i int) (e Entry, ok bool) {
	if i < r.log.firstIndex() || i > r.log.lastIndex() {
		return Entry{}, false
	}
	return r.log.entry(i), true
}

// String describes the node's state for traces.
func (r *Raft) String() string {
	return fmt.Sprintf("node %d %v t%d vote=%d lead=%d log=[%d..%d] commit=%d applied=%d", r.id, r.role, r.term, r.vote, r.lead, r.log.firstIndex(), r.log.lastIndex(), r.commit, r.applied)
}

// assertInvariants checks the cheap invariants after every input; a violation is a bug
// and panics, which the simulator reports as a failing seed.
func (r *Raft) assertInvariants() {
	// One test of them all, small enough to inline in the calls after every input; the
	// panic's value says which (brokenInvariant).
	if r.applied > r.commit || r.commit-r.log.snap.Index > len(r.log.ents) || r.log.snap.Index > r.applied ||
		r.log.lastTerm() > r.term || r.role == leader && (r.vote != r.id || r.lead != r.id) {
		panic((*brokenInvariant)(r))
	}
}

// brokenInvariant is assertInvariants' panic: its message names the first invariant r
// breaks, and r's state. It is formatted when the panic is reported, from r as the panic
// left it: nothing runs on a node's core after it panicked (the run stops at its first
// failure).
type brokenInvariant Raft

func (b *brokenInvariant) Error() string {
	r := (*Raft)(b)
	switch {
	case r.applied > r.commit:
		return fmt.Sprintf("raft: invariant applied <= committed violated: %v", r)
	case r.commit > r.log.lastIndex():
		return fmt.Sprintf("raft: invariant committed <= last index violated: %v", r)
	case r.log.snap.Index > r.applied:
		return fmt.Sprintf("raft: invariant snapshot <= applied violated: snapshot %d, %v", r.log.snap.Index, r)
	case r.log.lastTerm() > r.term:
		return fmt.Sprintf("raft: invariant log terms <= current term violated: last term %d, %v", r.log.lastTerm(), r)
	case r.role == leader && r.vote != r.id:
		return fmt.Sprintf("raft: invariant leader voted for itself violated: %v", r)
	}
	return fmt.Sprintf("raft: invariant leader knows itself violated: %v", r)
}
