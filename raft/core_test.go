package raft

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pcgRand adapts math/rand/v2 to Rand (tests only; the simulator hands in *sim.Rand).
type pcgRand struct{ r *rand.Rand }

func (p pcgRand) Int64N(n int64) int64 { return p.r.Int64N(n) }

func newRand(seed uint64) Rand { return pcgRand{rand.New(rand.NewPCG(seed, seed))} }

// logOf builds entries 1..n with the given terms; the command of index i is "c<i>".
func logOf(terms ...int) []Entry {
	out := make([]Entry, len(terms))
	for i, t := range terms {
		out[i] = entry(t, i+1, fmt.Sprintf("c%d", i+1))
	}
	return out
}

func testConfig(id, peers int) Config { return DefaultConfig(id, peers, newRand(uint64(id)+1)) }

// newNode builds node id of a cluster of peers with the given persistent state, and drains
// its (empty) first Ready.
func newNode(t *testing.T, id, peers int, p Persistent) *Raft {
	t.Helper()
	r := New(testConfig(id, peers), p, 0)
	require.False(t, r.HasReady(), "a freshly recovered node has nothing to persist")
	return r
}

// drain takes and advances one Ready, returning a copy the test may keep:
// Advance recycles the Ready's message and apply slices.
func drain(r *Raft) Ready {
	rd := r.Ready()
	kept := rd
	kept.Messages = slices.Clone(rd.Messages)
	kept.Apply = slices.Clone(rd.Apply)
	r.Advance(&rd)
	return kept
}

// oneMsg drains r and returns its only message, which must be of type typ.
func oneMsg(t *testing.T, r *Raft, typ MsgType) (Message, Ready) {
	t.Helper()
	rd := drain(r)
	require.Len(t, rd.Messages, 1, "messages: %v", rd.Messages)
	require.Equal(t, typ, rd.Messages[0].Type)
	return rd.Messages[0], rd
}

// makeLeader turns a node into the leader of term+1 (it campaigns and gets every vote) and
// drains the resulting Readies.
func makeLeader(t *testing.T, r *Raft) {
	t.Helper()
	r.Tick(r.Deadline())
	rd := drain(r)
	for _, m := range rd.Messages {
		require.Equal(t, MsgVote, m.Type)
		r.Step(r.now, Message{Type: MsgVoteResp, From: m.To, To: r.id, Term: r.term, Granted: true})
	}
	require.Equal(t, "leader", r.Role())
	drain(r)
}

// §5.1, §5.2, §5.4.1: "If votedFor is null or candidateId, and candidate's log is at least
// as up-to-date as receiver's log, grant vote"; "Reply false if term < currentTerm".
func TestVoteGranting(t *testing.T) {
	// Receiver: term 2, log [1 2] (last 2/t2).
	tests := []struct {
		name      string
		vote      int // receiver's vote in term 2
		term      int // candidate's term
		lastIndex int
		lastTerm  int
		granted   bool
		wantTerm  int
		wantVote  int
	}{
		{"stale term is rejected", -1, 1, 9, 9, false, 2, -1},
		{"not voted, log equal", -1, 2, 2, 2, true, 2, 1},
		{"not voted, log longer", -1, 2, 5, 2, true, 2, 1},
		{"not voted, higher last term but shorter", -1, 2, 1, 3, true, 2, 1},
		{"not voted, same last term but shorter", -1, 2, 1, 2, false, 2, -1},
		{"not voted, lower last term but longer", -1, 2, 9, 1, false, 2, -1},
		{"already voted for another", 0, 2, 9, 9, false, 2, 0},
		{"already voted for this candidate (duplicate request)", 1, 2, 2, 2, true, 2, 1},
		{"higher term clears the old vote", 0, 3, 2, 2, true, 3, 1},
		{"higher term but stale log: adopt term, no vote", 0, 3, 1, 1, false, 3, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newNode(t, 2, 3, Persistent{Hard: HardState{Term: 2, Vote: tt.vote}, Entries: logOf(1, 2)})
			r.Step(0, Message{Type: MsgVote, From: 1, To: 2, Term: tt.term, LastLogIndex: tt.lastIndex, LastLogTerm: tt.lastTerm})
			resp, rd := oneMsg(t, r, MsgVoteResp)
			require.Equal(t, tt.granted, resp.Granted)
			require.Equal(t, tt.wantTerm, resp.Term)
			require.Equal(t, 1, resp.To)
			require.Equal(t, HardState{Term: tt.wantTerm, Vote: tt.wantVote}, r.HardState())
			if tt.granted && tt.vote != 1 || tt.wantTerm != 2 {
				// Durability order: the grant travels with the state it acknowledges.
				require.NotNil(t, rd.Hard, "state change must be in the same Ready as the response")
				require.Equal(t, HardState{Term: tt.wantTerm, Vote: tt.wantVote}, *rd.Hard)
			} else {
				require.Nil(t, rd.Hard)
			}
		})
	}
}

// §5.1: a node restarted from its persisted hard state does not vote twice in a term.
func TestVoteSurvivesRestart(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{})
	r.Step(0, Message{Type: MsgVote, From: 1, To: 0, Term: 1})
	_, rd := oneMsg(t, r, MsgVoteResp)
	require.NotNil(t, rd.Hard)

	r2 := newNode(t, 0, 3, Persistent{Hard: *rd.Hard})
	r2.Step(0, Message{Type: MsgVote, From: 2, To: 0, Term: 1})
	resp, _ := oneMsg(t, r2, MsgVoteResp)
	require.False(t, resp.Granted)

	// UnsafeForgetVote drops the vote from Ready.Hard, so the same restart votes twice.
	cfg := testConfig(0, 3)
	cfg.UnsafeForgetVote = true
	u := New(cfg, Persistent{}, 0)
	u.Step(0, Message{Type: MsgVote, From: 1, To: 0, Term: 1})
	rd = drain(u)
	require.Equal(t, HardState{Term: 1, Vote: -1}, *rd.Hard)
	u2 := New(cfg, Persistent{Hard: *rd.Hard}, 0)
	u2.Step(0, Message{Type: MsgVote, From: 2, To: 0, Term: 1})
	resp, _ = oneMsg(t, u2, MsgVoteResp)
	require.True(t, resp.Granted, "the broken configuration must be able to vote twice")
}

// A candidate's vote requests carry its vote for itself and go out in the same Ready as
// the term and vote they depend on.
func TestCampaignDurabilityOrder(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 4, Vote: -1}, Entries: logOf(1, 4)})
	require.Greater(t, r.Deadline(), time.Duration(0))
	r.Tick(r.Deadline() - 1)
	require.False(t, r.HasReady(), "nothing fires before the deadline")
	r.Tick(r.Deadline())
	rd := drain(r)
	require.Equal(t, &HardState{Term: 5, Vote: 0}, rd.Hard)
	require.Len(t, rd.Messages, 2)
	for i, m := range rd.Messages {
		require.Equal(t, Message{Type: MsgVote, From: 0, To: i + 1, Term: 5, LastLogIndex: 2, LastLogTerm: 4}, m)
	}
}

func TestElectionTimeoutRange(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{})
	et := r.cfg.ElectionTimeout
	seen := map[time.Duration]bool{}
	now := time.Duration(0)
	for range 200 {
		d := r.Deadline() - now
		require.GreaterOrEqual(t, d, et)
		require.Less(t, d, 2*et)
		seen[d] = true
		now = r.Deadline()
		r.Tick(now) // campaigns again: redraws
		drain(r)
	}
	require.Greater(t, len(seen), 100, "timeouts must be randomized")
}

func TestReadyAdvanceContract(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{})
	r.Tick(r.Deadline())
	rd := r.Ready()
	require.Panics(t, func() { r.Ready() }, "Ready before Advance")
	r.Advance(&rd)
	require.Panics(t, func() { r.Advance(&rd) }, "double Advance")
	r.Step(r.now, Message{Type: MsgVoteResp, From: 1, To: 0, Term: 1, Granted: true})
	rd2 := r.Ready()
	require.Panics(t, func() { r.Advance(&rd) }, "Advance with an older Ready")
	require.Panics(t, func() { r.Advance(&Ready{}) }, "Advance with a made-up Ready")
	r.Advance(&rd2)
}

// A host persists a Ready while the core steps on (rafthost does, asynchronously), and
// Ready.Entries and a MsgApp's Entries share the log's array instead of copying it: what a
// Ready handed out must stay as it was while a later conflicting append truncates the log and
// writes new entries at the same indices, and its messages must stay as they were while
// steps queue new ones, until Advance.
func TestHandedOutEntriesAndMessagesStay(t *testing.T) {
	r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 3, Vote: 0}, Entries: logOf(1, 1)})
	r.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 3, PrevIndex: 2, PrevTerm: 1,
		Entries: []Entry{entry(3, 3, "a"), entry(3, 4, "b"), entry(3, 5, "c")}})
	rd := r.Ready()
	require.Equal(t, []Entry{entry(3, 3, "a"), entry(3, 4, "b"), entry(3, 5, "c")}, rd.Entries)
	require.Len(t, rd.Messages, 1)
	msg := rd.Messages[0]

	// A leader of term 4 overwrites index 4 on: truncate and append in place of b and c.
	r.Step(0, Message{Type: MsgApp, From: 2, To: 1, Term: 4, PrevIndex: 3, PrevTerm: 3,
		Entries: []Entry{entry(4, 4, "x"), entry(4, 5, "y"), entry(4, 6, "z")}})
	require.Equal(t, []Entry{entry(3, 3, "a"), entry(3, 4, "b"), entry(3, 5, "c")}, rd.Entries,
		"the outstanding Ready's entries were overwritten by a later append")
	require.Equal(t, []Message{msg}, rd.Messages, "the outstanding Ready's messages changed")
	r.Advance(&rd)

	next := r.Ready()
	require.Equal(t, 4, next.Truncate)
	require.Equal(t, []Entry{entry(4, 4, "x"), entry(4, 5, "y"), entry(4, 6, "z")}, next.Entries)
	require.Len(t, next.Messages, 1)
	require.Equal(t, 6, next.Messages[0].MatchIndex)
	r.Advance(&next)
	for i, want := range []string{"c1", "c2", "a", "x", "y", "z"} {
		e, ok := r.Entry(i + 1)
		require.True(t, ok)
		require.Equal(t, want, string(e.Command), "index %d", i+1)
	}
}

// §5.3: "Reply false if log doesn't contain an entry at prevLogIndex whose term matches
// prevLogTerm"; "If an existing entry conflicts with a new one (same index but different
// terms), delete the existing entry and all that follow it"; "Append any new entries not
// already in the log"; "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
// index of last new entry)". Plus the 6.824 fast-backup fields on rejection.
func TestAppendEntries(t *testing.T) {
	// Follower: term 3, log [1 1 2 2 2] (indices 1..5), commit 1.
	tests := []struct {
		name         string
		term         int
		prev, prevT  int
		ents         []Entry
		commit       int
		success      bool
		match        int
		conflictIdx  int
		conflictTerm int
		wantTerms    []int // the follower's log terms afterwards
		wantCommit   int
		wantTruncate int
		wantAppended int // entries in Ready.Entries
	}{
		{name: "stale term", term: 2, prev: 5, prevT: 2, success: false, conflictTerm: -1,
			wantTerms: []int{1, 1, 2, 2, 2}, wantCommit: 1},
		{name: "heartbeat matches", term: 3, prev: 5, prevT: 2, commit: 4, success: true, match: 5,
			wantTerms: []int{1, 1, 2, 2, 2}, wantCommit: 4},
		{name: "log too short", term: 3, prev: 8, prevT: 3, success: false, conflictIdx: 6, conflictTerm: -1,
			wantTerms: []int{1, 1, 2, 2, 2}, wantCommit: 1},
		{name: "term mismatch reports first index of the conflicting term", term: 3, prev: 5, prevT: 3, success: false, conflictIdx: 3, conflictTerm: 2,
			wantTerms: []int{1, 1, 2, 2, 2}, wantCommit: 1},
		{name: "term mismatch in the first run", term: 3, prev: 2, prevT: 0, success: false, conflictIdx: 1, conflictTerm: 1,
			wantTerms: []int{1, 1, 2, 2, 2}, wantCommit: 1},
		{name: "append after the end", term: 3, prev: 5, prevT: 2, ents: []Entry{entry(3, 6, "x"), entry(3, 7, "y")}, commit: 9, success: true, match: 7,
			wantTerms: []int{1, 1, 2, 2, 2, 3, 3}, wantCommit: 7, wantAppended: 2},
		{name: "conflict truncates the rest", term: 3, prev: 2, prevT: 1, ents: []Entry{entry(3, 3, "x")}, success: true, match: 3,
			wantTerms: []int{1, 1, 3}, wantCommit: 1, wantTruncate: 3, wantAppended: 1},
		{name: "stale shorter append never truncates", term: 3, prev: 1, prevT: 1, ents: []Entry{entry(1, 2, "c2"), entry(2, 3, "c3")}, commit: 5, success: true, match: 3,
			wantTerms: []int{1, 1, 2, 2, 2}, wantCommit: 3},
		{name: "higher term from a new leader", term: 4, prev: 5, prevT: 2, ents: []Entry{entry(4, 6, "x")}, success: true, match: 6,
			wantTerms: []int{1, 1, 2, 2, 2, 4}, wantCommit: 1, wantAppended: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 3, Vote: 0}, Entries: logOf(1, 1, 2, 2, 2)})
			r.commit = 1
			r.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: tt.term, PrevIndex: tt.prev, PrevTerm: tt.prevT, Entries: tt.ents, Commit: tt.commit})
			resp, rd := oneMsg(t, r, MsgAppResp)
			require.Equal(t, max(3, tt.term), resp.Term)
			require.Equal(t, tt.success, resp.Success)
			require.Equal(t, tt.prev, resp.PrevIndex, "the response echoes PrevIndex")
			if tt.success {
				require.Equal(t, tt.match, resp.MatchIndex)
			} else {
				require.Equal(t, tt.conflictIdx, resp.ConflictIndex)
				require.Equal(t, tt.conflictTerm, resp.ConflictTerm)
			}
			var terms []int
			for i := r.FirstIndex(); i <= r.LastIndex(); i++ {
				tm, ok := r.Term(i)
				require.True(t, ok)
				terms = append(terms, tm)
			}
			require.Equal(t, tt.wantTerms, terms)
			require.Equal(t, tt.wantCommit, r.CommitIndex())
			require.Equal(t, tt.wantTruncate, rd.Truncate)
			require.Len(t, rd.Entries, tt.wantAppended, "appended entries are in the same Ready as the success")
			require.Len(t, rd.Apply, tt.wantCommit, "applied 0 before the step")
		})
	}
}

// The leader's half of fast backup: after a rejection, nextIndex skips a whole term.
func TestFastBackupLeader(t *testing.T) {
	// Leader log (Figure 7's leader): terms 1 1 1 4 4 5 5 6 6 6, indices 1..10.
	tests := []struct {
		name         string
		conflictIdx  int
		conflictTerm int
		wantNext     int
	}{
		{"follower log too short", 6, -1, 6},
		{"leader has no entry of the conflict term", 4, 2, 4},
		{"leader has the conflict term: go past its last entry of it", 4, 4, 6},
		{"conflict term 5 ends at 7", 6, 5, 8},
		{"never beyond the rejected position", 12, -1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 6, Vote: -1}, Entries: logOf(1, 1, 1, 4, 4, 5, 5, 6, 6, 6)})
			makeLeader(t, r)
			require.Equal(t, 11, r.prs[1].next)
			r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: r.term, PrevIndex: 10, ConflictIndex: tt.conflictIdx, ConflictTerm: tt.conflictTerm})
			require.Equal(t, tt.wantNext, r.prs[1].next)
			m, _ := oneMsg(t, r, MsgApp)
			require.Equal(t, tt.wantNext-1, m.PrevIndex, "the retry is sent at once")
			require.Len(t, m.Entries, 11-tt.wantNext)
		})
	}
}

// A rejection that answers an older request does not move nextIndex back below match.
func TestStaleRejectionIgnored(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 1}, Entries: logOf(1, 1, 1)})
	makeLeader(t, r)
	r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: r.term, Success: true, MatchIndex: 3, PrevIndex: 3})
	require.Equal(t, 3, r.prs[1].match)
	drain(r)
	r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: r.term, PrevIndex: 1, ConflictIndex: 1, ConflictTerm: -1})
	require.Equal(t, 4, r.prs[1].next)
}

// §5.4.2 / Figure 8: "Raft never commits log entries from previous terms by counting
// replicas. Only log entries from the leader's current term are committed by counting
// replicas."
func TestCommitOnlyCurrentTerm(t *testing.T) {
	for _, unsafe := range []bool{false, true} {
		t.Run(fmt.Sprintf("UnsafeCommitOldTerms=%v", unsafe), func(t *testing.T) {
			// Figure 8 (c): S1 leads term 4 (here: campaigns from term 3) with 2/t2 in its
			// log, and replicates it to a majority of 5.
			cfg := testConfig(0, 5)
			cfg.UnsafeCommitOldTerms = unsafe
			r := New(cfg, Persistent{Hard: HardState{Term: 3, Vote: -1}, Entries: logOf(1, 2)}, 0)
			makeLeader(t, r)
			require.Equal(t, 4, r.term)
			for _, from := range []int{1, 2} {
				r.Step(r.now, Message{Type: MsgAppResp, From: from, To: 0, Term: 4, Success: true, PrevIndex: 2, MatchIndex: 2})
			}
			if unsafe {
				require.Equal(t, 2, r.CommitIndex(), "the broken configuration commits the old-term entry")
				return
			}
			require.Equal(t, 0, r.CommitIndex(), "2/t2 is on a majority but is not of the current term")
			rd := drain(r)
			require.Empty(t, rd.Apply)

			// Once an entry of term 4 is on a majority, it and everything before commit.
			idx, term, ok := r.Propose(r.now, []byte("x"))
			require.Equal(t, []any{3, 4, true}, []any{idx, term, ok})
			for _, from := range []int{1, 2} {
				r.Step(r.now, Message{Type: MsgAppResp, From: from, To: 0, Term: 4, Success: true, PrevIndex: 2, MatchIndex: 3})
			}
			require.Equal(t, 3, r.CommitIndex())
			rd = drain(r)
			require.Len(t, rd.Apply, 3)
			for i, a := range rd.Apply {
				require.Equal(t, i+1, a.CommandIndex)
			}
		})
	}
}

// TestProposeBatching: proposals go at once to followers with nothing in flight and are
// batched for the others (6.824 TestCount2B).
func TestProposeBatching(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{})
	makeLeader(t, r) // its first heartbeats are in flight
	for i := range 5 {
		idx, _, ok := r.Propose(r.now, []byte{byte(i)})
		require.True(t, ok)
		require.Equal(t, i+1, idx)
	}
	rd := drain(r)
	require.Empty(t, rd.Messages, "heartbeats still in flight: batch")
	require.Len(t, rd.Entries, 5)

	r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: r.term, Success: true})
	m, _ := oneMsg(t, r, MsgApp)
	require.Equal(t, 1, m.To)
	require.Len(t, m.Entries, 5, "the response triggers one append with the whole batch")

	r.Propose(r.now, []byte("more"))
	rd = drain(r)
	require.Empty(t, rd.Messages, "follower 1 has an append in flight, follower 2 its heartbeat")

	// An idle leader sends one append per follower per heartbeat interval.
	r.Tick(r.Deadline())
	rd = drain(r)
	require.Len(t, rd.Messages, 2)
}

// §7: InstallSnapshot on the follower, and the apply order after it.
func TestInstallSnapshot(t *testing.T) {
	tests := []struct {
		name         string
		snap         SnapshotMeta
		wantFirst    int
		wantLast     int
		wantTruncate int
		installed    bool
	}{
		{"covered by commit: ignored", SnapshotMeta{Index: 2, Term: 1}, 1, 8, 0, false},
		{"matching entry: retain the log after it", SnapshotMeta{Index: 5, Term: 1}, 6, 8, 0, true},
		{"conflicting entry: discard the whole log", SnapshotMeta{Index: 5, Term: 2}, 6, 5, 1, true},
		{"beyond the log: discard it", SnapshotMeta{Index: 12, Term: 2}, 13, 12, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 2, Vote: 0}, Entries: logOf(1, 1, 1, 1, 1, 1, 1, 1)})
			r.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 2, PrevIndex: 8, PrevTerm: 1, Commit: 3})
			drain(r)
			require.Equal(t, 3, r.AppliedIndex())

			r.Step(0, Message{Type: MsgSnap, From: 0, To: 1, Term: 2, Snapshot: tt.snap, Data: []byte("state")})
			resp, rd := oneMsg(t, r, MsgSnapResp)
			require.True(t, resp.Success)
			require.Equal(t, tt.wantFirst, r.FirstIndex())
			require.Equal(t, tt.wantLast, r.LastIndex())
			require.Equal(t, tt.wantTruncate, rd.Truncate)
			if !tt.installed {
				require.Equal(t, 3, resp.MatchIndex)
				require.Nil(t, rd.Snapshot)
				require.Empty(t, rd.Apply)
				return
			}
			require.Equal(t, tt.snap.Index, resp.MatchIndex)
			require.Equal(t, &SnapshotState{Meta: tt.snap, Data: []byte("state")}, rd.Snapshot)
			require.Equal(t, []ApplyMsg{{SnapshotValid: true, Snapshot: []byte("state"), SnapshotIndex: tt.snap.Index, SnapshotTerm: tt.snap.Term}}, rd.Apply)
			require.Equal(t, tt.snap.Index, r.CommitIndex())

			// The next command applied is snapshot index + 1.
			next := tt.snap.Index + 1
			r.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 2, PrevIndex: tt.snap.Index, PrevTerm: tt.snap.Term,
				Entries: []Entry{entry(2, next, "n")}, Commit: next})
			rd = drain(r)
			require.Len(t, rd.Apply, 1)
			require.Equal(t, next, rd.Apply[0].CommandIndex)
			require.Equal(t, "n", string(rd.Apply[0].Command))
		})
	}
}

// Snapshot from the service compacts the log; the leader then ships the snapshot to a
// follower that needs compacted entries; New with a snapshot does not re-apply it.
func TestSnapshotCompactionAndSend(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 1}})
	makeLeader(t, r)
	for i := range 6 {
		r.Propose(r.now, []byte{byte(i)})
	}
	r.Step(r.now, Message{Type: MsgAppResp, From: 2, To: 0, Term: 2, Success: true, MatchIndex: 0})
	drain(r)
	r.Step(r.now, Message{Type: MsgAppResp, From: 2, To: 0, Term: 2, Success: true, MatchIndex: 6})
	require.Equal(t, 6, r.CommitIndex())

	r.Snapshot(5, []byte("s5"))
	require.Equal(t, 1, r.FirstIndex(), "not applied yet: ignored")
	rd := drain(r)
	require.Len(t, rd.Apply, 6)

	r.Snapshot(7, []byte("s7"))
	require.Equal(t, 1, r.FirstIndex(), "beyond applied: ignored")
	s4 := []byte("s4")
	r.Snapshot(4, s4)
	require.Equal(t, 5, r.FirstIndex())
	require.Equal(t, 6, r.LastIndex())
	tm, ok := r.Term(4)
	require.True(t, ok)
	require.Equal(t, 2, tm)
	_, ok = r.Entry(4)
	require.False(t, ok)
	r.Snapshot(3, []byte("s3"))
	require.Equal(t, 5, r.FirstIndex(), "older than the current snapshot: ignored")
	rd = drain(r)
	require.Equal(t, &SnapshotState{Meta: SnapshotMeta{Index: 4, Term: 2}, Data: []byte("s4")}, rd.Snapshot)
	require.Same(t, &s4[0], &rd.Snapshot.Data[0], "Snapshot takes the service's data over: no copy")

	// Follower 1 never answered, so it still needs index 1, which is compacted: the next
	// heartbeat sends it the snapshot.
	r.Tick(r.heartbeatDeadline)
	rd = drain(r)
	require.Len(t, rd.Messages, 2)
	require.Equal(t, MsgApp, rd.Messages[1].Type, "follower 2 is up to date")
	m := rd.Messages[0]
	require.Equal(t, MsgSnap, m.Type)
	require.Equal(t, SnapshotMeta{Index: 4, Term: 2}, m.Snapshot)
	require.Equal(t, "s4", string(m.Data))
	r.Step(r.now, Message{Type: MsgSnapResp, From: 1, To: 0, Term: 2, Success: true, MatchIndex: 4})
	m, _ = oneMsg(t, r, MsgApp)
	require.Equal(t, 4, m.PrevIndex)
	require.Equal(t, 2, m.PrevTerm)
	require.Len(t, m.Entries, 2)

	// Restart from the snapshot: commit = applied = 4, nothing re-emitted; 5 comes next.
	f := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 2, Vote: 0}, Snapshot: SnapshotMeta{Index: 4, Term: 2}, SnapshotData: []byte("s4"), Entries: []Entry{entry(2, 5, "a"), entry(2, 6, "b")}})
	require.Equal(t, 4, f.CommitIndex())
	require.Equal(t, 4, f.AppliedIndex())
	f.Step(0, Message{Type: MsgApp, From: 1, To: 0, Term: 2, PrevIndex: 6, PrevTerm: 2, Commit: 6})
	rd = drain(f)
	require.Len(t, rd.Apply, 2)
	require.Equal(t, 5, rd.Apply[0].CommandIndex)
}

// Appends that reach below the follower's snapshot are trimmed, not rejected.
func TestAppendBelowSnapshot(t *testing.T) {
	r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 2, Vote: 0}, Snapshot: SnapshotMeta{Index: 5, Term: 2}})
	r.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 2, PrevIndex: 3, PrevTerm: 1,
		Entries: []Entry{entry(2, 4, ""), entry(2, 5, ""), entry(2, 6, "six")}, Commit: 6})
	resp, rd := oneMsg(t, r, MsgAppResp)
	require.True(t, resp.Success)
	require.Equal(t, 6, resp.MatchIndex)
	require.Equal(t, []Entry{entry(2, 6, "six")}, rd.Entries)
	require.Equal(t, 6, rd.Apply[0].CommandIndex)

	r.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 2, PrevIndex: 1, PrevTerm: 1, Entries: []Entry{entry(1, 2, "")}})
	resp, _ = oneMsg(t, r, MsgAppResp)
	require.True(t, resp.Success)
	require.Equal(t, 5, resp.MatchIndex)
}

func TestSingleNodeCluster(t *testing.T) {
	r := newNode(t, 0, 1, Persistent{})
	r.Tick(r.Deadline())
	require.Equal(t, "leader", r.Role())
	idx, _, ok := r.Propose(r.now, []byte("a"))
	require.True(t, ok)
	rd := drain(r)
	require.Equal(t, []Entry{{Term: 1, Index: 1, Command: []byte("a")}}, rd.Entries)
	require.Len(t, rd.Apply, 1)
	require.Equal(t, idx, rd.Apply[0].CommandIndex)
}

func TestInvariantPanicsAreLoud(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 1}, Entries: logOf(1, 1)})
	r.commit = 2
	require.PanicsWithValue(t, "raft: invariant committed entries are never truncated violated: node 0, index 2 (commit 2)", func() {
		r.Step(0, Message{Type: MsgApp, From: 1, To: 0, Term: 2, PrevIndex: 1, PrevTerm: 1, Entries: []Entry{entry(2, 2, "")}})
	})
	require.Panics(t, func() { New(testConfig(3, 3), Persistent{}, 0) })
	require.Panics(t, func() { newNode(t, 0, 3, Persistent{}).Step(0, Message{Type: MsgApp, From: 1, To: 2}) })
	q := newNode(t, 0, 3, Persistent{})
	q.Tick(time.Second)
	require.Panics(t, func() { q.Tick(0) }, "time must not go backwards")
}

// A new commit index reaches the followers with the next append that has entries, or, if
// none goes out within commitPushDelay, in appends of its own (maybeCommit).
func TestCommitIndexRidesTheNextAppend(t *testing.T) {
	r := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 1}})
	makeLeader(t, r)
	for _, from := range []int{1, 2} {
		r.Step(r.now, Message{Type: MsgAppResp, From: from, To: 0, Term: 2, Success: true})
	}
	drain(r)
	heartbeat := r.heartbeatDeadline
	app := func(to, prev, n, commit int, m Message) Message {
		require.Len(t, m.Entries, n)
		return Message{Type: MsgApp, From: 0, To: to, Term: 2, PrevIndex: prev, PrevTerm: 2, Entries: m.Entries, Commit: commit}
	}

	// Both followers acknowledge entry 1: it commits, and nothing is sent for that alone.
	r.Propose(r.now, []byte("a"))
	drain(r)
	r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: 2, Success: true, MatchIndex: 1})
	r.Step(r.now, Message{Type: MsgAppResp, From: 2, To: 0, Term: 2, Success: true, MatchIndex: 1})
	require.Equal(t, 1, r.CommitIndex())
	require.Empty(t, drain(r).Messages, "the commit index alone is not sent at once")
	push := r.now + r.commitPushDelay()
	require.Equal(t, push, r.Deadline())

	// A proposal before the push is due carries the commit index to both.
	r.Propose(r.now+time.Millisecond, []byte("b"))
	rd := drain(r)
	require.Len(t, rd.Messages, 2)
	for i, to := range []int{1, 2} {
		require.Equal(t, app(to, 1, 1, 1, rd.Messages[i]), rd.Messages[i])
	}
	require.Equal(t, heartbeat, r.Deadline(), "every follower was told: no push is pending")

	// Entry 2 commits with follower 1's acknowledgement; follower 2's is late. When the
	// push is due, follower 1 (idle) gets the commit index alone; follower 2 (an append in
	// flight) gets it with the response to its answer.
	r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: 2, Success: true, MatchIndex: 2})
	require.Equal(t, 2, r.CommitIndex())
	require.Empty(t, drain(r).Messages)
	r.Tick(r.Deadline())
	rd = drain(r)
	require.Equal(t, []Message{app(1, 2, 0, 2, rd.Messages[0])}, rd.Messages)
	r.Step(r.now, Message{Type: MsgAppResp, From: 2, To: 0, Term: 2, Success: true, MatchIndex: 2})
	rd = drain(r)
	require.Equal(t, []Message{app(2, 2, 0, 2, rd.Messages[0])}, rd.Messages)
	require.Equal(t, heartbeat, r.Deadline())
}

// TestSendWritesEveryField: send queues a message field by field into slots that may hold
// stale messages, so it must write every field of Message, a field added later included.
// Each field is set to a value of its own (reflection, so a new field is covered without
// touching this test), the message is queued over a slot holding a different message,
// and the queued one must equal it with From and Term stamped.
func TestSendWritesEveryField(t *testing.T) {
	r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 7, Vote: -1}})
	var m Message
	setEveryField(t, reflect.ValueOf(&m).Elem(), 100)
	stale := Message{Type: MsgSnap, Granted: false, Entries: []Entry{{Term: 1, Index: 1}, {Term: 1, Index: 2}},
		Data: []byte("stale"), Snapshot: SnapshotMeta{Index: 1, Term: 1}, ConflictTerm: -1}
	r.msgs = append(r.msgs[:0], stale)[:0] // the slot holds a stale message past the queue's end
	r.send(&m)
	require.Len(t, r.msgs, 1)
	want := m
	want.From, want.Term = 1, 7
	require.Equal(t, want, r.msgs[0])
	require.Same(t, &m.Entries[0], &r.msgs[0].Entries[0], "the entries are shared, not copied")
}

// TestReadyApplyOverStaleSlots: Ready writes applied commands into the apply arrays that
// Advance recycles, only their command fields; what a slot held before (an installed
// snapshot's item, SnapshotValid with data) must not show through a command written over it.
// A follower installs snapshots and applies commands in turn, so that every slot of both
// arrays holds a snapshot's item before a command's.
func TestReadyApplyOverStaleSlots(t *testing.T) {
	r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 2, Vote: 0}})
	for round := range 6 {
		at := 10*round + 3
		r.Step(0, Message{Type: MsgSnap, From: 0, To: 1, Term: 2, Snapshot: SnapshotMeta{Index: at, Term: 2}, Data: []byte("snap")})
		rd := r.Ready()
		require.Equal(t, []ApplyMsg{{SnapshotValid: true, Snapshot: []byte("snap"), SnapshotIndex: at, SnapshotTerm: 2}}, rd.Apply)
		r.Advance(&rd)
		var ents []Entry
		var want []ApplyMsg
		for k := range 1 + round%3 {
			cmd := []byte(fmt.Sprintf("c%d.%d", round, k))
			ents = append(ents, Entry{Term: 2, Index: at + 1 + k, Command: cmd})
			want = append(want, ApplyMsg{CommandValid: true, Command: cmd, CommandIndex: at + 1 + k, CommandTerm: 2})
		}
		r.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 2, PrevIndex: at, PrevTerm: 2, Entries: ents, Commit: at + len(ents)})
		rd = r.Ready()
		require.Equal(t, want, rd.Apply, "round %d", round)
		r.Advance(&rd)
	}
}

// TestReadySnapshotStaysWhileOut: a Ready's Snapshot is one of the two SnapshotStates the
// node uses in turn (Raft.snapStates). It must not change while the Ready is out, however
// many snapshots are installed meanwhile, nor once advanced until a later Ready that
// carries a snapshot is taken (Ready's contract), and the next one must not be written
// into while it is out either.
func TestReadySnapshotStaysWhileOut(t *testing.T) {
	r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 2, Vote: 0}})
	install := func(at int) {
		r.Step(0, Message{Type: MsgSnap, From: 0, To: 1, Term: 2, Snapshot: SnapshotMeta{Index: at, Term: 2},
			Data: []byte(fmt.Sprintf("snap %d", at))})
	}
	state := func(at int) SnapshotState {
		return SnapshotState{Meta: SnapshotMeta{Index: at, Term: 2}, Data: []byte(fmt.Sprintf("snap %d", at))}
	}
	install(10)
	a := r.Ready()
	require.Equal(t, state(10), *a.Snapshot)
	install(20) // while a is out
	install(30) // over 20, which no Ready handed out
	require.Equal(t, state(10), *a.Snapshot, "a is out")
	r.Advance(&a)
	install(40)
	require.Equal(t, state(10), *a.Snapshot, "advanced, but no later Ready with a snapshot taken")
	b := r.Ready()
	require.Equal(t, state(40), *b.Snapshot)
	require.NotSame(t, a.Snapshot, b.Snapshot)
	install(50) // into a's, which is free now
	require.Equal(t, state(40), *b.Snapshot, "b is out")
	r.Advance(&b)
	c := r.Ready()
	require.Equal(t, state(50), *c.Snapshot)
	require.Equal(t, state(40), *b.Snapshot, "advanced, and c carries a snapshot, but none was set since")
	r.Advance(&c)
}

// TestProposedCommandsAreCopies: Propose keeps a copy of each command, small ones packed
// into a shared chunk: a caller that reuses its buffer after Start does not change what was
// proposed, an append to one command in the log cannot overwrite the next, an empty or nil
// command is kept as an empty non-nil one, and a large one as a copy of its own.
func TestProposedCommandsAreCopies(t *testing.T) {
	r := newNode(t, 0, 1, Persistent{})
	r.Tick(r.Deadline())
	drain(r)
	require.Equal(t, "leader", r.Role())
	buf := []byte("first")
	r.Propose(r.now, buf)
	copy(buf, "XXXXX")
	r.Propose(r.now, []byte("second"))
	r.Propose(r.now, nil)
	r.Propose(r.now, []byte{})
	big := bytes.Repeat([]byte("b"), commandChunk)
	r.Propose(r.now, big)
	big[0] = 'X'
	r.Propose(r.now, []byte("third"))

	cmd := func(i int) []byte {
		e, ok := r.Entry(i)
		require.True(t, ok)
		return e.Command
	}
	require.Equal(t, "first", string(cmd(1)))
	_ = append(cmd(1), "!!!!!!"...)
	require.Equal(t, "second", string(cmd(2)), "an append to the first command reached the second")
	for _, i := range []int{3, 4} {
		require.NotNil(t, cmd(i), "index %d", i)
		require.Empty(t, cmd(i), "index %d", i)
	}
	require.Equal(t, bytes.Repeat([]byte("b"), commandChunk), cmd(5))
	require.Equal(t, "third", string(cmd(6)))
}

// TestAdvanceDropsInstalledSnapshotData: Advance recycles the apply array without clearing
// it, but for the data of the snapshots it carried: a stale item must not keep an installed
// snapshot's data alive until the slot is written again.
func TestAdvanceDropsInstalledSnapshotData(t *testing.T) {
	r := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 2, Vote: 0}, Entries: logOf(1, 1, 1)})
	r.Step(0, Message{Type: MsgSnap, From: 0, To: 1, Term: 2, Snapshot: SnapshotMeta{Index: 5, Term: 2}, Data: []byte("state")})
	rd := r.Ready()
	require.Len(t, rd.Apply, 1)
	require.True(t, rd.Apply[0].SnapshotValid)
	arr := rd.Apply[:1]
	r.Advance(&rd)
	require.Nil(t, arr[0].Snapshot, "the recycled array still holds the installed snapshot's data")
}

// TestLargeApplyIsHandedOutInBatches: a restarted follower that learns its whole log of 600
// entries is committed applies it in Readies of at most 256 entries. The first Ready
// carries everything else too (the response to the append); those that follow carry only
// apply items, in order, even when the service proposes or the leader's next append is
// stepped in meanwhile: what they queued comes after the last item, as it did after one
// large Ready.
func TestLargeApplyIsHandedOutInBatches(t *testing.T) {
	const n = 600
	terms := make([]int, n)
	for i := range terms {
		terms[i] = 1
	}
	f := newNode(t, 1, 3, Persistent{Hard: HardState{Term: 1, Vote: 0}, Entries: logOf(terms...)})
	f.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 1, PrevIndex: n, PrevTerm: 1, Commit: n})
	require.Equal(t, n, f.CommitIndex())

	rd := drain(f)
	require.Len(t, rd.Messages, 1, "the first Ready answers the append")
	require.Equal(t, MsgAppResp, rd.Messages[0].Type)
	require.Len(t, rd.Apply, maxApplyBatch)
	applied := rd.Apply

	// Stepped in while the batches are out: a heartbeat to answer.
	f.Step(0, Message{Type: MsgApp, From: 0, To: 1, Term: 1, PrevIndex: n, PrevTerm: 1, Commit: n})
	for f.HasReady() {
		rd := drain(f)
		if len(rd.Messages) > 0 {
			require.Empty(t, rd.Apply, "the heartbeat's response comes after every apply item")
			require.Equal(t, n, len(applied))
			break
		}
		require.Nil(t, rd.Hard)
		require.Empty(t, rd.Entries)
		require.NotEmpty(t, rd.Apply)
		require.LessOrEqual(t, len(rd.Apply), maxApplyBatch)
		applied = append(applied, rd.Apply...)
	}
	require.Len(t, applied, n)
	for i, a := range applied {
		require.True(t, a.CommandValid)
		require.Equal(t, i+1, a.CommandIndex)
		require.Equal(t, fmt.Sprintf("c%d", i+1), string(a.Command))
	}
	require.Equal(t, n, f.AppliedIndex())
	require.False(t, f.HasReady())
}

// TestBrokenInvariantsPanicSayingWhich: a node whose state breaks one of the invariants
// checked after every input panics when next checked, with a message naming that invariant
// and the node's state.
func TestBrokenInvariantsPanicSayingWhich(t *testing.T) {
	for _, c := range []struct {
		breakIt func(r *Raft)
		msg     string
	}{
		{func(r *Raft) { r.applied = r.commit + 1 }, "raft: invariant applied <= committed violated: node 0 leader t2 vote=0 lead=0 log=[4..6] commit=5 applied=6"},
		{func(r *Raft) { r.commit, r.applied = 7, 7 }, "raft: invariant committed <= last index violated: node 0 leader t2 vote=0 lead=0 log=[4..6] commit=7 applied=7"},
		{func(r *Raft) { r.applied = 2 }, "raft: invariant snapshot <= applied violated: snapshot 3, node 0 leader t2 vote=0 lead=0 log=[4..6] commit=5 applied=2"},
		{func(r *Raft) { r.term = 1 }, "raft: invariant log terms <= current term violated: last term 2, node 0 leader t1 vote=0 lead=0 log=[4..6] commit=5 applied=5"},
		{func(r *Raft) { r.vote = 1 }, "raft: invariant leader voted for itself violated: node 0 leader t2 vote=1 lead=0 log=[4..6] commit=5 applied=5"},
		{func(r *Raft) { r.lead = 1 }, "raft: invariant leader knows itself violated: node 0 leader t2 vote=0 lead=1 log=[4..6] commit=5 applied=5"},
	} {
		r := newNode(t, 0, 1, Persistent{Hard: HardState{Term: 2, Vote: 0}, Snapshot: SnapshotMeta{Index: 3, Term: 1},
			Entries: []Entry{{Term: 1, Index: 4}, {Term: 2, Index: 5}, {Term: 2, Index: 6}}})
		r.role, r.lead, r.commit, r.applied = leader, 0, 5, 5
		r.assertInvariants()
		c.breakIt(r)
		require.PanicsWithError(t, c.msg, r.assertInvariants)
	}
}

// TestReadyIntoWritesEveryField: ReadyInto writes the whole Ready, a field added later
// included, over one the host reuses: into a Ready whose every field holds a value of its own
// (reflection), it gives what Ready gives a node in the same state, for a Ready with
// nothing in it and one with entries, messages and applied commands.
func TestReadyIntoWritesEveryField(t *testing.T) {
	stale := func() *Ready {
		var rd Ready
		setEveryField(t, reflect.ValueOf(&rd).Elem(), 100)
		return &rd
	}
	a, b := newNode(t, 0, 1, Persistent{}), newNode(t, 0, 1, Persistent{})
	for _, r := range []*Raft{a, b} {
		r.Tick(r.Deadline()) // a single node elects itself
		drain(r)
		r.Propose(r.now, []byte("x"))
	}
	for range 2 { // with entries to persist and apply, then with nothing
		want := a.Ready()
		got := stale()
		b.ReadyInto(got)
		require.Equal(t, want, *got)
		a.Advance(&want)
		b.Advance(got)
	}
}

// setEveryField sets every field of the struct v, unexported ones too, to a value of its
// own, for the tests that a function writes every field of a struct it fills in place
// (send, ReadyInto): true, base plus the field's number for an integer, a slice of one
// element of a new array, a new zero value for a pointer, and a nested struct's fields
// likewise from ten times that number. A kind it does not cover fails the test, so that a
// field of a new kind is not left at its zero value unnoticed.
func setEveryField(t *testing.T, v reflect.Value, base int) {
	for i := range v.NumField() {
		f := v.Field(i)
		f = reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem() // unexported too
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int:
			f.SetInt(int64(base + i))
		case reflect.Uint8, reflect.Uint64:
			f.SetUint(uint64(base + i))
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Struct:
			setEveryField(t, f, 10*(base+i))
		default:
			t.Fatalf("%s.%s: kind %v not covered by this test", v.Type().Name(), v.Type().Field(i).Name, f.Kind())
		}
	}
}
