package raft

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestReached is issue 8 item 10 (core side): Ready.Reached reports each rare situation at
// the step where the node goes through it, and not in the look-alike that misses one of
// its conditions. The host turns the flags into coverage probes.
func TestReached(t *testing.T) {
	app := func(from, term, prev, prevTerm, commit int, ents ...Entry) Message {
		return Message{Type: MsgApp, From: from, To: 0, Term: term, PrevIndex: prev, PrevTerm: prevTerm, Commit: commit, Entries: ents}
	}
	snap := func(from, term, index, snapTerm int) Message {
		return Message{Type: MsgSnap, From: from, To: 0, Term: term, Snapshot: SnapshotMeta{Index: index, Term: snapTerm}, Data: []byte("s")}
	}
	tests := []struct {
		name  string
		state Persistent
		steps []Message
		want  Reached // in the Ready after the last step
	}{
		{"commit covers a replaced divergent tail",
			Persistent{Hard: HardState{Term: 2, Vote: -1}, Entries: logOf(1, 1, 2)},
			[]Message{app(1, 3, 2, 1, 0, entry(3, 3, "x")), app(1, 3, 3, 3, 3)},
			ReachedCommitAfterDivergentTail},
		{"commit short of the replaced tail",
			Persistent{Hard: HardState{Term: 2, Vote: -1}, Entries: logOf(1, 1, 2)},
			[]Message{app(1, 3, 2, 1, 0, entry(3, 3, "x")), app(1, 3, 3, 3, 2)},
			0},
		{"commit with no tail replaced",
			Persistent{Hard: HardState{Term: 1, Vote: -1}, Entries: logOf(1, 1)},
			[]Message{app(1, 1, 2, 1, 2, entry(1, 3, "x"))},
			0},
		{"snapshot over a longer matching log",
			Persistent{Hard: HardState{Term: 1, Vote: -1}, Entries: logOf(1, 1, 1, 1, 1)},
			[]Message{snap(1, 1, 3, 1)},
			ReachedSnapshotOverLongerLog},
		{"snapshot over a log that ends at it",
			Persistent{Hard: HardState{Term: 1, Vote: -1}, Entries: logOf(1, 1, 1)},
			[]Message{snap(1, 1, 3, 1)},
			0},
		{"snapshot older than what was applied",
			Persistent{Hard: HardState{Term: 1, Vote: -1}, Entries: logOf(1, 1, 1, 1, 1)},
			[]Message{app(1, 1, 5, 1, 5), snap(1, 1, 3, 1)},
			ReachedStaleSnapshot},
		{"snapshot of an old term older than what was applied",
			Persistent{Hard: HardState{Term: 2, Vote: -1}, Entries: logOf(1, 1, 1, 1, 1)},
			[]Message{app(1, 2, 5, 1, 5), snap(1, 1, 3, 1)},
			ReachedStaleSnapshot},
		{"snapshot beyond what was applied, at the end of the log",
			Persistent{Hard: HardState{Term: 1, Vote: -1}, Entries: logOf(1, 1, 1)},
			[]Message{app(1, 1, 3, 1, 2), snap(1, 1, 3, 1)},
			0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newNode(t, 0, 3, tt.state)
			var rd Ready
			for _, m := range tt.steps {
				require.Equal(t, Reached(0), rd.Reached&^tt.want, "an earlier step reached %b", rd.Reached)
				r.Step(0, m)
				rd = drain(r)
			}
			require.Equal(t, tt.want, rd.Reached)
		})
	}
}

// TestReachedVoteAfterStepDown: a candidate of term 2 that steps down for the leader of
// term 2 (node 1) and then hears a vote request of term 2 from node 2 reports it; the same
// request from node 1, or from node 2 at a node that was a follower all along, does not.
func TestReachedVoteAfterStepDown(t *testing.T) {
	for _, tt := range []struct {
		name      string
		candidate bool
		from      int
		want      Reached
	}{
		{"third candidate after step-down", true, 2, ReachedVoteAfterStepDown},
		{"the node it stepped down for", true, 1, 0},
		{"never stepped down", false, 2, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newNode(t, 0, 3, Persistent{Hard: HardState{Term: 1, Vote: -1}})
			if tt.candidate {
				r.Tick(r.Deadline())
				drain(r)
				require.Equal(t, "candidate", r.Role())
			} else {
				r.Step(0, Message{Type: MsgApp, From: 1, To: 0, Term: 2})
				drain(r)
			}
			r.Step(r.now, Message{Type: MsgApp, From: 1, To: 0, Term: 2})
			require.Equal(t, Reached(0), drain(r).Reached)
			require.Equal(t, "follower", r.Role())
			r.Step(r.now, Message{Type: MsgVote, From: tt.from, To: 0, Term: 2})
			require.Equal(t, tt.want, drain(r).Reached)
		})
	}
}

// TestMaxEntriesPerAppend: a leader never puts more than Config.MaxEntriesPerAppend entries
// in one AppendEntries, and a follower far behind catches up over several capped appends,
// each sent on the success of the one before (issue 8 item 18 runs this path in raft/Swarm).
func TestMaxEntriesPerAppend(t *testing.T) {
	cfg := testConfig(0, 2)
	cfg.MaxEntriesPerAppend = 3
	r := New(cfg, Persistent{Hard: HardState{Term: 1, Vote: -1}, Entries: logOf(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)}, 0)
	makeLeader(t, r)
	// The follower matches through 0 only: back the leader up to the start.
	r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: r.term, PrevIndex: 10, ConflictIndex: 1, ConflictTerm: -1})
	next := 1
	for rounds := 0; next <= 10; rounds++ {
		require.Less(t, rounds, 10, "no progress")
		m, _ := oneMsg(t, r, MsgApp)
		require.Equal(t, next-1, m.PrevIndex)
		require.LessOrEqual(t, len(m.Entries), 3, "append of %d entries", len(m.Entries))
		require.NotEmpty(t, m.Entries)
		next = m.PrevIndex + len(m.Entries) + 1
		r.Step(r.now, Message{Type: MsgAppResp, From: 1, To: 0, Term: r.term, Success: true, MatchIndex: next - 1, PrevIndex: m.PrevIndex})
	}
	require.Equal(t, 11, next)
}
