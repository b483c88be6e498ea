package raftcheck

import (
	"strconv"
	"testing"

	"github.com/lockstep-dst/lockstep/raft"
)

// benchView is a peer's state as a checker sees it in BenchmarkCheckerReplicate: one
// term, a log of that term after a snapshot point, and a leader's match indexes.
type benchView struct {
	term   int
	leader bool
	snap   raft.SnapshotMeta
	last   int
	match  []int
}

func (v *benchView) State() (int, bool)              { return v.term, v.leader }
func (v *benchView) SnapshotMeta() raft.SnapshotMeta { return v.snap }
func (v *benchView) LastIndex() int                  { return v.last }
func (v *benchView) Term(i int) (int, bool) {
	switch {
	case i == v.snap.Index:
		return v.snap.Term, true
	case i < v.snap.Index || i > v.last:
		return 0, false
	}
	return v.term, true
}
func (v *benchView) Match(p int) (int, bool) {
	if !v.leader || p >= len(v.match) {
		return 0, false
	}
	return v.match[p], true
}

// BenchmarkCheckerReplicate is the checkers' cost per command replicated through a group
// of five peers in steady state, as the hosts report it: the leader persists the entry
// and sends it, each follower persists it and acknowledges, and every peer then applies
// it; each peer snapshots every 50 entries. A group's run is 2,000 commands (then a new
// Checker starts), about what a raft/* or kv/* scenario commits. It reports allocations
// per command: the checkers run on every persisted Ready of every raft/* and kv/* scenario.
//
//	go test ./raft/raftcheck -run '^$' -bench CheckerReplicate -benchmem -test.cpu 1
func BenchmarkCheckerReplicate(b *testing.B) {
	const n, term, snapEvery, run = 5, 3, 50, 2000
	var c *Checker
	views := make([]*benchView, n)
	cmds := make([][]byte, 256)
	for k := range cmds {
		cmds[k] = []byte("put key" + strconv.Itoa(k) + " value " + strconv.Itoa(k*7919))
	}
	var sends [n - 1]raft.Message
	var ack [1]raft.Message
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		index := k%run + 1
		if index == 1 {
			c = New(n)
			for i := range views {
				if err := c.Booted(i, raft.Persistent{Hard: raft.HardState{Term: term, Vote: 0}}); err != nil {
					b.Fatal(err)
				}
				views[i] = &benchView{term: term, leader: i == 0, match: make([]int, n)}
			}
		}
		e := []raft.Entry{{Index: index, Term: term, Command: cmds[k%len(cmds)]}}
		lead := views[0]
		lead.last = index
		for p := 1; p < n; p++ {
			sends[p-1] = raft.Message{Type: raft.MsgApp, From: 0, To: p, Term: term, Entries: e}
		}
		if err := c.Persisted(0, lead, &raft.Ready{Entries: e, Messages: sends[:]}); err != nil {
			b.Fatal(err)
		}
		for p := 1; p < n; p++ {
			views[p].last = index
			ack[0] = raft.Message{Type: raft.MsgAppResp, From: p, To: 0, Term: term, Success: true, MatchIndex: index}
			if err := c.Persisted(p, views[p], &raft.Ready{Entries: e, Messages: ack[:]}); err != nil {
				b.Fatal(err)
			}
			lead.match[p] = index
		}
		apply := []raft.ApplyMsg{{CommandValid: true, Command: e[0].Command, CommandIndex: index, CommandTerm: term}}
		for p := 0; p < n; p++ {
			rd := raft.Ready{Apply: apply}
			if index%snapEvery == 0 {
				rd.Snapshot = &raft.SnapshotState{Meta: raft.SnapshotMeta{Index: index, Term: term}}
				views[p].snap = rd.Snapshot.Meta
			}
			if err := c.Persisted(p, views[p], &rd); err != nil {
				b.Fatal(err)
			}
		}
	}
}
