package raftcheck

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
)

// The checks are tested on hand-built histories: each step hands the Checker what a host
// would (a boot, a Ready being written, a persisted Ready with the peer's state), and a
// case says which check must reject the history at its last step ("" = accepted).

// view is a hand-built peer state: a log of terms after a snapshot point, a role, and a
// leader's match indexes.
type view struct {
	term   int
	leader bool
	snap   raft.SnapshotMeta
	terms  []int // terms[i] is the term at index snap.Index+1+i
	match  map[int]int
}

func (v view) State() (int, bool)              { return v.term, v.leader }
func (v view) SnapshotMeta() raft.SnapshotMeta { return v.snap }
func (v view) LastIndex() int                  { return v.snap.Index + len(v.terms) }
func (v view) Term(i int) (int, bool) {
	switch {
	case i == v.snap.Index:
		return v.snap.Term, true
	case i < v.snap.Index || i > v.LastIndex():
		return 0, false
	}
	return v.terms[i-v.snap.Index-1], true
}
func (v view) Match(p int) (int, bool) {
	m, ok := v.match[p]
	return m, ok && v.leader
}

// follower and leader are views of a peer in term with log terms (no snapshot).
func follower(term int, terms ...int) view { return view{term: term, terms: terms} }
func leader(term int, terms ...int) view   { return view{term: term, leader: true, terms: terms} }

type step struct {
	kind string // "boot", "writing", "persisted", "halted"
	id   int
	rec  raft.Persistent
	view View
	rd   raft.Ready
}

func boot(id int, rec raft.Persistent) step { return step{kind: "boot", id: id, rec: rec} }
func writing(id int, rd raft.Ready) step    { return step{kind: "writing", id: id, rd: rd} }
func halted(id int) step                    { return step{kind: "halted", id: id} }
func persisted(id int, v View, rd raft.Ready) step {
	return step{kind: "persisted", id: id, view: v, rd: rd}
}

func hard(term, vote int) *raft.HardState { return &raft.HardState{Term: term, Vote: vote} }

// ents returns entries from index first with the given terms; the command names the
// index and term, so that equal (index, term) means equal command unless cmd overrides.
func ents(first int, terms ...int) []raft.Entry {
	var es []raft.Entry
	for i, t := range terms {
		es = append(es, raft.Entry{Index: first + i, Term: t, Command: []byte(fmt.Sprintf("c%d.%d", first+i, t))})
	}
	return es
}

func entry(index, term int, cmd string) raft.Entry {
	return raft.Entry{Index: index, Term: term, Command: []byte(cmd)}
}

func applies(first int, es ...raft.Entry) []raft.ApplyMsg {
	var as []raft.ApplyMsg
	for _, e := range es {
		as = append(as, raft.ApplyMsg{CommandValid: true, Command: e.Command, CommandIndex: e.Index, CommandTerm: e.Term})
	}
	return as
}

func installed(index, term int) raft.ApplyMsg {
	return raft.ApplyMsg{SnapshotValid: true, SnapshotIndex: index, SnapshotTerm: term}
}

func snapshot(index, term int) *raft.SnapshotState {
	return &raft.SnapshotState{Meta: raft.SnapshotMeta{Index: index, Term: term}}
}

func voteReq(from, to, term int) raft.Message {
	return raft.Message{Type: raft.MsgVote, From: from, To: to, Term: term}
}

func grant(from, to, term int) raft.Message {
	return raft.Message{Type: raft.MsgVoteResp, From: from, To: to, Term: term, Granted: true}
}

func appAck(from, to, term, match int) raft.Message {
	return raft.Message{Type: raft.MsgAppResp, From: from, To: to, Term: term, Success: true, MatchIndex: match}
}

type history struct {
	name  string
	steps []step
	want  string // the check that must reject the last step; "" = every step accepted
}

// run plays h on a Checker of n peers and checks the verdict: every step before the last
// passes, and the last fails with exactly h.want (or passes too if h.want is "").
func run(t *testing.T, n int, h history) {
	t.Helper()
	c := New(n)
	for i, s := range h.steps {
		var err error
		switch s.kind {
		case "boot":
			err = c.Booted(s.id, s.rec)
		case "writing":
			c.Writing(s.id, &s.rd)
		case "halted":
			c.Halted(s.id)
		case "persisted":
			err = c.Persisted(s.id, s.view, &s.rd)
		default:
			t.Fatalf("step %d: kind %q", i, s.kind)
		}
		if i < len(h.steps)-1 || h.want == "" {
			require.NoError(t, err, "step %d (%s of peer %d) must pass", i, s.kind, s.id)
			continue
		}
		var v *Violation
		require.True(t, errors.As(err, &v), "the last step must fail %s, got %v", h.want, err)
		require.Equal(t, h.want, v.Check, "%v", err)
		require.Error(t, v.Err)
		t.Logf("%s: %v", h.name, err)
	}
}

func runAll(t *testing.T, n int, hs []history) {
	for _, h := range hs {
		t.Run(h.name, func(t *testing.T) { run(t, n, h) })
	}
}

// freshBoots boots peers 0..n-1 from empty storage, as a host does at the start.
func freshBoots(n int) []step {
	var ss []step
	for i := range n {
		ss = append(ss, boot(i, raft.Persistent{}))
	}
	return ss
}

func with(prefix []step, rest ...step) []step {
	return append(append([]step(nil), prefix...), rest...)
}

func TestElectionSafety(t *testing.T) {
	b := freshBoots(3)
	runAll(t, 3, []history{
		{name: "two leaders in one term", want: ElectionSafety, steps: with(b,
			persisted(0, leader(2), raft.Ready{Hard: hard(2, 0)}),
			persisted(1, leader(2), raft.Ready{Hard: hard(2, 1)}),
		)},
		{name: "second leader seen later in the term", want: ElectionSafety, steps: with(b,
			persisted(0, leader(2), raft.Ready{Hard: hard(2, 0)}),
			persisted(0, leader(2), raft.Ready{}),
			persisted(2, follower(3), raft.Ready{Hard: hard(3, -1)}),
			persisted(1, leader(2), raft.Ready{Hard: hard(2, 1)}),
		)},
		{name: "one leader seen many times", steps: with(b,
			persisted(0, leader(2), raft.Ready{Hard: hard(2, 0)}),
			persisted(0, leader(2), raft.Ready{}),
			persisted(1, follower(2), raft.Ready{Hard: hard(2, 0)}),
		)},
		{name: "a leader per term", steps: with(b,
			persisted(0, leader(2), raft.Ready{Hard: hard(2, 0)}),
			persisted(1, leader(3), raft.Ready{Hard: hard(3, 1)}),
			persisted(0, leader(4), raft.Ready{Hard: hard(4, 0)}),
		)},
		{name: "a leader's stale view of an older term is not a claim", steps: with(b,
			persisted(0, leader(2), raft.Ready{Hard: hard(2, 0)}),
			// peer 1's view leads term 2, but its Ready is of term 3: not a leader of 3
			persisted(1, leader(2), raft.Ready{Hard: hard(3, -1)}),
		)},
	})
}

func TestVotes(t *testing.T) {
	b := freshBoots(3)
	runAll(t, 3, []history{
		{name: "two grants in one term", want: Votes, steps: with(b,
			persisted(0, follower(2), raft.Ready{Hard: hard(2, 1), Messages: []raft.Message{grant(0, 1, 2)}}),
			persisted(0, follower(2), raft.Ready{Messages: []raft.Message{grant(0, 2, 2)}}),
		)},
		// Issue 8 item 17: the ledger used to record granted replies only, so a candidate
		// that forgot its vote for itself (the hard state it wrote has none) and then
		// granted another candidate's request in the same term went unseen.
		{name: "a candidate's vote for itself, then a grant", want: Votes, steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1), Messages: []raft.Message{voteReq(0, 1, 3), voteReq(0, 2, 3)}}),
			persisted(0, follower(3), raft.Ready{Messages: []raft.Message{grant(0, 1, 3)}}),
		)},
		{name: "a persisted vote, then a grant to another", want: Votes, steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 2)}),
			persisted(0, follower(3), raft.Ready{Messages: []raft.Message{grant(0, 1, 3)}}),
		)},
		{name: "a grant, then campaigning in the same term", want: Votes, steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1), Messages: []raft.Message{grant(0, 1, 3)}}),
			persisted(0, follower(3), raft.Ready{Messages: []raft.Message{voteReq(0, 2, 3)}}),
		)},
		{name: "one vote per term", steps: with(b,
			persisted(0, follower(2), raft.Ready{Hard: hard(2, 0), Messages: []raft.Message{voteReq(0, 1, 2), voteReq(0, 2, 2)}}),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 1), Messages: []raft.Message{grant(0, 1, 3)}}),
			persisted(0, follower(3), raft.Ready{Messages: []raft.Message{grant(0, 1, 3)}}), // a duplicate request
			persisted(1, follower(3), raft.Ready{Hard: hard(3, 1), Messages: []raft.Message{voteReq(1, 0, 3)}}),
		)},
		{name: "refusals are not votes", steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 1), Messages: []raft.Message{grant(0, 1, 3)}}),
			persisted(0, follower(3), raft.Ready{Messages: []raft.Message{{Type: raft.MsgVoteResp, From: 0, To: 2, Term: 3}}}),
		)},
	})
}

func TestVoteStable(t *testing.T) {
	b := freshBoots(3)
	runAll(t, 3, []history{
		{name: "vote changed", want: VoteStable, steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 1)}),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 2)}),
		)},
		{name: "vote erased", want: VoteStable, steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 1)}),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1)}),
		)},
		{name: "term went back", want: VoteStable, steps: with(b,
			persisted(0, follower(4), raft.Ready{Hard: hard(4, -1)}),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1)}),
		)},
		{name: "vote changed after a restart", want: VoteStable, steps: []step{
			boot(0, raft.Persistent{Hard: raft.HardState{Term: 3, Vote: 1}}),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 2)}),
		}},
		{name: "a vote once per term", steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1)}),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, 1)}),
			persisted(0, follower(4), raft.Ready{Hard: hard(4, -1)}),
			persisted(0, follower(4), raft.Ready{Hard: hard(4, 2)}),
			persisted(0, follower(6), raft.Ready{Hard: hard(6, 0)}),
		)},
	})
}

func TestLogMatching(t *testing.T) {
	b := freshBoots(3)
	runAll(t, 3, []history{
		{name: "same index and term, different command", want: LogMatching, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: []raft.Entry{entry(1, 1, "a")}}),
			persisted(1, follower(1), raft.Ready{Hard: hard(1, -1), Entries: []raft.Entry{entry(1, 1, "b")}}),
		)},
		{name: "same index and term, long commands that differ in one byte", want: LogMatching, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: []raft.Entry{entry(1, 1, longCommand(5000, 4097, 0))}}),
			persisted(1, follower(1), raft.Ready{Hard: hard(1, -1), Entries: []raft.Entry{entry(1, 1, longCommand(5000, 4097, 1))}}),
		)},
		{name: "same index and term, different predecessor", want: LogMatching, steps: with(b,
			persisted(0, follower(2), raft.Ready{Hard: hard(2, -1), Entries: ents(1, 1, 2)}),
			persisted(1, follower(2), raft.Ready{Hard: hard(2, -1), Entries: []raft.Entry{entry(1, 2, "x"), ents(2, 2)[0]}}),
		)},
		{name: "different predecessor right after a snapshot", want: LogMatching, steps: with(b,
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1), Entries: ents(1, 1, 1, 3)}),
			// peer 1 installed a snapshot ending at 2 in term 2: 3/t3 cannot follow it
			persisted(1, follower(3), raft.Ready{Hard: hard(3, -1), Snapshot: snapshot(2, 2), Entries: ents(3, 3)}),
		)},
		{name: "an append that leaves a gap", want: LogMatching, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: ents(1, 1)}),
			persisted(0, follower(1), raft.Ready{Entries: ents(3, 1)}),
		)},
		{name: "an append over a stored entry without a truncate", want: LogMatching, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: ents(1, 1, 1)}),
			persisted(0, follower(2), raft.Ready{Hard: hard(2, -1), Entries: ents(2, 2)}),
		)},
		{name: "matching logs, a conflict overwritten, a snapshot", steps: with(b,
			persisted(0, follower(2), raft.Ready{Hard: hard(2, -1), Entries: ents(1, 1, 2, 2)}),
			persisted(1, follower(1), raft.Ready{Hard: hard(1, -1), Entries: ents(1, 1, 1)}),
			persisted(1, follower(2), raft.Ready{Hard: hard(2, -1), Truncate: 2, Entries: ents(2, 2, 2)}),
			persisted(2, follower(2), raft.Ready{Hard: hard(2, -1), Snapshot: snapshot(2, 2), Entries: ents(3, 2)}),
		)},
	})
}

func TestLeaderCompleteness(t *testing.T) {
	b := freshBoots(3)
	// Peer 0 applies 1/t1 and 2/t2 while in term 2: both committed by term 2.
	committed := with(b,
		persisted(0, leader(2, 1, 2), raft.Ready{Hard: hard(2, 0), Entries: ents(1, 1, 2),
			Apply: applies(1, ents(1, 1, 2)...)}),
	)
	runAll(t, 3, []history{
		{name: "a later leader lacks a committed entry", want: LeaderCompleteness, steps: with(committed,
			persisted(1, leader(3, 1), raft.Ready{Hard: hard(3, 1)}),
		)},
		{name: "a later leader has another term at a committed index", want: LeaderCompleteness, steps: with(committed,
			persisted(1, leader(3, 1, 1), raft.Ready{Hard: hard(3, 1)}),
		)},
		// A peer whose storage was lost leads the term it led before, granted the votes it
		// had (a voter may grant the same candidate again), with the entries gone: only a
		// check per instance, not per term, sees it.
		{name: "a leader back from lost storage leads its term again without them", want: LeaderCompleteness, steps: with(committed,
			halted(0),
			boot(0, raft.Persistent{Hard: raft.HardState{Vote: -1}}),
			persisted(0, leader(2), raft.Ready{Hard: hard(2, 0)}),
		)},
		{name: "a later leader holds every committed entry", steps: with(committed,
			persisted(1, leader(3, 1, 2, 3), raft.Ready{Hard: hard(3, 1)}),
		)},
		{name: "a later leader's snapshot covers them", steps: with(committed,
			persisted(1, view{term: 3, leader: true, snap: raft.SnapshotMeta{Index: 2, Term: 2}}, raft.Ready{Hard: hard(3, 1)}),
		)},
		// raft/Swarm seed 32: a leader of an older term, elected late, lacks what a
		// newer term committed.
		{name: "a leader of an older term lacks a newer commit", steps: with(b,
			persisted(0, leader(5, 5), raft.Ready{Hard: hard(5, 0), Entries: ents(1, 5), Apply: applies(1, ents(1, 5)...)}),
			persisted(1, leader(4), raft.Ready{Hard: hard(4, 1)}),
		)},
	})
}

func TestStateMachineSafety(t *testing.T) {
	b := freshBoots(3)
	runAll(t, 3, []history{
		{name: "two commands applied at one index", want: StateMachineSafety, steps: with(b,
			persisted(0, follower(1), raft.Ready{Apply: applies(1, entry(1, 1, "a"))}),
			persisted(1, follower(1), raft.Ready{Apply: applies(1, entry(1, 1, "b"))}),
		)},
		{name: "two long commands that differ in one byte applied at one index", want: StateMachineSafety, steps: with(b,
			persisted(0, follower(1), raft.Ready{Apply: applies(1, entry(1, 1, longCommand(5000, 33, 0)))}),
			persisted(1, follower(1), raft.Ready{Apply: applies(1, entry(1, 1, longCommand(5000, 33, 0x40)))}),
		)},
		{name: "one command applied at one index in two terms", want: StateMachineSafety, steps: with(b,
			persisted(0, follower(2), raft.Ready{Apply: applies(1, entry(1, 1, "a"))}),
			persisted(1, follower(2), raft.Ready{Apply: applies(1, entry(1, 2, "a"))}),
		)},
		{name: "an index skipped", want: StateMachineSafety, steps: with(b,
			persisted(0, follower(1), raft.Ready{Apply: applies(1, ents(1, 1)...)}),
			persisted(0, follower(1), raft.Ready{Apply: applies(3, ents(3, 1)...)}),
		)},
		{name: "an index applied twice", want: StateMachineSafety, steps: with(b,
			persisted(0, follower(1), raft.Ready{Apply: applies(1, ents(1, 1, 1)...)}),
			persisted(0, follower(1), raft.Ready{Apply: applies(2, ents(2, 1)...)}),
		)},
		{name: "not after the recovered snapshot", want: StateMachineSafety, steps: []step{
			boot(0, raft.Persistent{Hard: raft.HardState{Term: 1, Vote: -1}, Snapshot: raft.SnapshotMeta{Index: 5, Term: 1}}),
			persisted(0, follower(1), raft.Ready{Apply: applies(1, ents(1, 1)...)}),
		}},
		{name: "the same commands in order, through snapshots and restarts", steps: with(b,
			persisted(0, follower(1), raft.Ready{Apply: applies(1, ents(1, 1, 1)...)}),
			persisted(1, follower(1), raft.Ready{Apply: applies(1, ents(1, 1)...)}),
			persisted(1, follower(1), raft.Ready{Apply: []raft.ApplyMsg{installed(4, 1)}}),
			persisted(1, follower(1), raft.Ready{Apply: applies(5, ents(5, 1)...)}),
			boot(0, raft.Persistent{Hard: raft.HardState{Term: 0}}),
			persisted(0, follower(1), raft.Ready{Apply: applies(1, ents(1, 1)...)}),
		)},
	})
}

func TestDurability(t *testing.T) {
	b := freshBoots(3)
	// Peer 0 synced term 2 with a vote for 1, and entries 1/t1 2/t1 3/t2.
	synced := with(b,
		persisted(0, follower(2), raft.Ready{Hard: hard(2, 1), Entries: ents(1, 1, 1, 2)}),
	)
	rec := func(term, vote int, es []raft.Entry) raft.Persistent {
		return raft.Persistent{Hard: raft.HardState{Term: term, Vote: vote}, Entries: es}
	}
	runAll(t, 3, []history{
		{name: "term lost", want: Durability, steps: with(synced, boot(0, rec(1, 1, ents(1, 1, 1, 2))))},
		{name: "vote forgotten", want: Durability, steps: with(synced, boot(0, rec(2, -1, ents(1, 1, 1, 2))))},
		{name: "another vote", want: Durability, steps: with(synced, boot(0, rec(2, 2, ents(1, 1, 1, 2))))},
		// UnsafeForgetVote: the vote never reached the hard state, but the vote request
		// went out; the peer comes back free to vote again.
		{name: "a vote sent but never made durable", want: Durability, steps: with(b,
			persisted(0, follower(2), raft.Ready{Hard: hard(2, -1), Messages: []raft.Message{voteReq(0, 1, 2), voteReq(0, 2, 2)}}),
			boot(0, rec(2, -1, nil)),
		)},
		{name: "a term it never wrote", want: Durability, steps: with(synced, boot(0, rec(5, -1, ents(1, 1, 1, 2))))},
		{name: "log truncated", want: Durability, steps: with(synced, boot(0, rec(2, 1, ents(1, 1, 1))))},
		{name: "log emptied", want: Durability, steps: with(synced, boot(0, rec(2, 1, nil)))},
		{name: "an entry of another term", want: Durability, steps: with(synced, boot(0, rec(2, 1, ents(1, 1, 2, 2))))},
		{name: "a command changed", want: Durability, steps: with(synced,
			boot(0, rec(2, 1, []raft.Entry{ents(1, 1)[0], entry(2, 1, "flipped"), ents(3, 2)[0]})))},
		{name: "a long command changed in one byte", want: Durability, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: []raft.Entry{entry(1, 1, longCommand(5000, 4999, 0))}}),
			boot(0, rec(1, -1, []raft.Entry{entry(1, 1, longCommand(5000, 4999, 2))})))},
		{name: "entries it never wrote", want: Durability, steps: with(synced, boot(0, rec(2, 1, ents(1, 1, 1, 2, 2))))},
		{name: "snapshot lost", want: Durability, steps: with(synced,
			persisted(0, follower(2), raft.Ready{Snapshot: snapshot(2, 1)}),
			boot(0, rec(2, 1, ents(1, 1, 1, 2))),
		)},
		// Each boot mirrors what it recovered into the array of the mirror before the one it
		// replaces: the third boot's mirror must not be written over the second's, which it
		// is compared with.
		{name: "a command changed at the third restart", want: Durability, steps: with(synced,
			boot(0, rec(2, 1, ents(1, 1, 1, 2))),
			boot(0, rec(2, 1, ents(1, 1, 1, 2))),
			boot(0, rec(2, 1, []raft.Entry{ents(1, 1)[0], entry(2, 1, "flipped"), ents(3, 2)[0]})))},
		{name: "a crash while writing a truncate loses more than it cut", want: Durability, steps: with(synced,
			writing(0, raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3)}),
			boot(0, rec(3, -1, ents(1, 1))),
		)},
		{name: "a crash while writing leaves an entry it never wrote", want: Durability, steps: with(synced,
			writing(0, raft.Ready{Entries: ents(4, 2)}),
			boot(0, rec(2, 1, append(ents(1, 1, 1, 2), entry(4, 2, "c4")))),
		)},
		{name: "a Ready written and then persisted is no longer in flight", want: Durability, steps: with(synced,
			writing(0, raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3)}),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3)}),
			boot(0, rec(3, -1, ents(1, 1, 1))),
		)},
		{name: "exactly what it synced", steps: with(synced, boot(0, rec(2, 1, ents(1, 1, 1, 2))))},
		{name: "what it synced, with a snapshot", steps: with(synced,
			persisted(0, follower(2), raft.Ready{Snapshot: snapshot(2, 1)}),
			boot(0, raft.Persistent{Hard: raft.HardState{Term: 2, Vote: 1}, Snapshot: raft.SnapshotMeta{Index: 2, Term: 1}, Entries: ents(3, 2)}),
		)},
		{name: "a crash while writing: none of it", steps: with(synced,
			writing(0, raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3)}),
			boot(0, rec(2, 1, ents(1, 1, 1, 2))),
		)},
		{name: "a crash while writing: the truncate, not the hard state", steps: with(synced,
			writing(0, raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3, 3)}),
			boot(0, rec(2, 1, ents(1, 1, 1))),
		)},
		{name: "a crash while writing: the hard state and part of the entries", steps: with(synced,
			writing(0, raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3, 3)}),
			boot(0, rec(3, -1, ents(1, 1, 1, 3))),
		)},
		{name: "a crash while writing: the new snapshot", steps: with(synced,
			writing(0, raft.Ready{Snapshot: snapshot(3, 2), Entries: ents(4, 2)}),
			boot(0, raft.Persistent{Hard: raft.HardState{Term: 2, Vote: 1}, Snapshot: raft.SnapshotMeta{Index: 3, Term: 2}}),
		)},
		{name: "a peer halted on corrupt storage is not held to it", steps: with(synced,
			halted(0),
			boot(0, rec(0, -1, nil)),
		)},
		// An entry a crash left written but never reported persisted is part of the log
		// the peer restarts with, and of what the next restart is held to.
		{name: "restarted twice after a crash while writing", steps: with(synced,
			writing(0, raft.Ready{Entries: ents(4, 2)}),
			boot(0, rec(2, 1, ents(1, 1, 1, 2, 2))),
			boot(0, rec(2, 1, ents(1, 1, 1, 2, 2))),
		)},
		{name: "a command changed at the restart after a crash while writing", want: Durability, steps: with(synced,
			writing(0, raft.Ready{Entries: ents(4, 2)}),
			boot(0, rec(2, 1, ents(1, 1, 1, 2, 2))),
			boot(0, rec(2, 1, append(ents(1, 1, 1, 2), entry(4, 2, "flipped")))),
		)},
		{name: "restarted again after a persisted Ready", steps: with(synced,
			boot(0, rec(2, 1, ents(1, 1, 1, 2))),
			persisted(0, follower(3), raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3)}),
			boot(0, rec(3, -1, ents(1, 1, 1, 3))),
		)},
	})
}

func TestAckRetained(t *testing.T) {
	b := freshBoots(3)
	// Follower 1 stores 1/t1 2/t1 3/t1 and acknowledges through 3 in term 2.
	acked := with(b,
		persisted(1, follower(2), raft.Ready{Hard: hard(2, -1), Entries: ents(1, 1, 1, 1), Messages: []raft.Message{appAck(1, 0, 2, 3)}}),
	)
	runAll(t, 3, []history{
		{name: "acknowledged entries truncated in the same term", want: AckRetained, steps: with(acked,
			persisted(1, follower(2), raft.Ready{Truncate: 3}),
		)},
		{name: "an acknowledged entry replaced in the same term", want: AckRetained, steps: with(acked,
			persisted(1, follower(2), raft.Ready{Truncate: 3, Entries: ents(3, 2)}),
		)},
		{name: "acknowledged entries discarded for an older snapshot", want: AckRetained, steps: with(acked,
			persisted(1, follower(2), raft.Ready{Snapshot: snapshot(2, 1), Truncate: 1}),
		)},
		{name: "a restart that lost them, then the same term", want: AckRetained, steps: with(acked,
			halted(1), // the host knows the disk lost them; acknowledgements are void...
			boot(1, raft.Persistent{Hard: raft.HardState{Term: 2, Vote: -1}, Entries: ents(1, 1, 1, 1)}),
			persisted(1, follower(2), raft.Ready{Messages: []raft.Message{appAck(1, 0, 2, 3)}}),
			persisted(1, follower(2), raft.Ready{Truncate: 2}), // ...but new ones count
		)},
		{name: "acknowledging what it has not stored", want: AckRetained, steps: with(b,
			persisted(1, follower(2), raft.Ready{Hard: hard(2, -1), Entries: ents(1, 1), Messages: []raft.Message{appAck(1, 0, 2, 3)}}),
		)},
		{name: "a leader drops its own entries in its term", want: AckRetained, steps: with(b,
			persisted(0, leader(2, 1, 2), raft.Ready{Hard: hard(2, 0), Entries: ents(1, 1, 2)}),
			persisted(0, leader(2, 1), raft.Ready{Truncate: 2}),
		)},
		{name: "a leader of a higher term overwrites them", steps: with(acked,
			persisted(1, follower(3), raft.Ready{Hard: hard(3, -1), Truncate: 3, Entries: ents(3, 3)}),
		)},
		{name: "entries past the acknowledgement truncated", steps: with(b,
			persisted(1, follower(2), raft.Ready{Hard: hard(2, -1), Entries: ents(1, 1, 1, 1), Messages: []raft.Message{appAck(1, 0, 2, 2)}}),
			persisted(1, follower(2), raft.Ready{Truncate: 3, Entries: ents(3, 2)}),
		)},
		{name: "a snapshot covers them", steps: with(acked,
			persisted(1, follower(2), raft.Ready{Snapshot: snapshot(3, 1)}),
			persisted(1, follower(2), raft.Ready{Snapshot: snapshot(5, 2), Truncate: 4}),
		)},
		{name: "kept across a restart", steps: with(acked,
			boot(1, raft.Persistent{Hard: raft.HardState{Term: 2, Vote: -1}, Entries: ents(1, 1, 1, 1)}),
			persisted(1, follower(2), raft.Ready{Entries: ents(4, 2), Messages: []raft.Message{appAck(1, 0, 2, 4)}}),
		)},
	})
}

func TestSnapshotAdvances(t *testing.T) {
	b := freshBoots(3)
	runAll(t, 3, []history{
		{name: "a snapshot behind the last one", want: SnapshotAdvances, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: ents(1, 1, 1, 1, 1, 1), Apply: applies(1, ents(1, 1, 1, 1, 1, 1)...)}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(5, 1)}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(3, 1)}),
		)},
		{name: "the same snapshot again", want: SnapshotAdvances, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: ents(1, 1, 1), Apply: applies(1, ents(1, 1, 1)...)}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(2, 1)}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(2, 1)}),
		)},
		{name: "behind the recovered snapshot", want: SnapshotAdvances, steps: []step{
			boot(0, raft.Persistent{Hard: raft.HardState{Term: 1, Vote: -1}, Snapshot: raft.SnapshotMeta{Index: 5, Term: 1}}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(4, 1)}),
		}},
		{name: "an installed snapshot rolls the state machine back", want: SnapshotAdvances, steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: ents(1, 1, 1, 1, 1, 1, 1), Apply: applies(1, ents(1, 1, 1, 1, 1, 1, 1)...)}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(4, 1), Apply: []raft.ApplyMsg{installed(4, 1)}}),
		)},
		{name: "snapshots taken and installed move forward", steps: with(b,
			persisted(0, follower(1), raft.Ready{Hard: hard(1, -1), Entries: ents(1, 1, 1, 1, 1, 1), Apply: applies(1, ents(1, 1, 1, 1, 1, 1)...)}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(5, 1)}),
			persisted(0, follower(1), raft.Ready{Snapshot: snapshot(9, 1), Truncate: 6, Apply: []raft.ApplyMsg{installed(9, 1)}}),
			persisted(0, follower(1), raft.Ready{Entries: ents(10, 1), Apply: applies(10, ents(10, 1)...)}),
		)},
	})
}

func TestMatchBound(t *testing.T) {
	b := freshBoots(3)
	lead := func(match map[int]int, terms ...int) view {
		return view{term: 2, leader: true, terms: terms, match: match}
	}
	runAll(t, 3, []history{
		{name: "match beyond the leader's log", want: MatchBound, steps: with(b,
			persisted(0, lead(map[int]int{1: 2, 2: 4}, 1, 2, 2), raft.Ready{Hard: hard(2, 0), Entries: ents(1, 1, 2, 2)}),
		)},
		{name: "match beyond the leader's log after its snapshot", want: MatchBound, steps: with(b,
			persisted(0, view{term: 2, leader: true, snap: raft.SnapshotMeta{Index: 5, Term: 1}, match: map[int]int{1: 6}},
				raft.Ready{Hard: hard(2, 0), Snapshot: snapshot(5, 1), Apply: []raft.ApplyMsg{installed(5, 1)}}),
		)},
		{name: "match within the log", steps: with(b,
			persisted(0, lead(map[int]int{1: 3, 2: 0}, 1, 2, 2), raft.Ready{Hard: hard(2, 0), Entries: ents(1, 1, 2, 2)}),
		)},
		{name: "a follower has no match indexes", steps: with(b,
			persisted(0, view{term: 2, terms: []int{1}, match: map[int]int{1: 9}}, raft.Ready{Hard: hard(2, -1), Entries: ents(1, 1)}),
		)},
	})
}

// TestCoreSatisfiesView: the real core answers the View methods the checks use, including
// the leader's match indexes.
func TestCoreSatisfiesView(t *testing.T) {
	r := raft.New(raft.Config{ID: 0, Peers: 1, ElectionTimeout: 1, HeartbeatInterval: 1, Rand: zeroRand{}}, raft.Persistent{}, 0)
	r.Tick(10)
	var v View = r
	term, isLeader := v.State()
	require.True(t, isLeader)
	require.Equal(t, 1, term)
	_, ok := v.Match(0)
	require.False(t, ok, "a leader has no match index for itself")
	c := New(1)
	require.NoError(t, c.Booted(0, raft.Persistent{}))
	rd := r.Ready()
	require.NoError(t, c.Persisted(0, r, &rd))
	r.Advance(&rd)
}

type zeroRand struct{}

func (zeroRand) Int64N(int64) int64 { return 0 }
