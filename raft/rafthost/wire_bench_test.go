package rafthost

import (
	"fmt"
	"testing"

	"github.com/lockstep-dst/lockstep/raft"
)

// BenchmarkAppendMsgEntries decodes the entries of an AppendEntries of 10 kv-sized commands,
// as a follower does for every one it receives (Peer.receive).
func BenchmarkAppendMsgEntries(b *testing.B) {
	var ents []raft.Entry
	for i := range 10 {
		ents = append(ents, raft.Entry{Term: 3, Index: 101 + i, Command: []byte(fmt.Sprintf("append key %d value %d", i, i*7))})
	}
	m := raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 3, PrevIndex: 100, PrevTerm: 3, Entries: ents, Commit: 99}
	a := wireForm(&m, nil).(appendForm)
	dst := make([]raft.Entry, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		dst = a.head().entries(a.packed(), dst[:0])
	}
}

// BenchmarkPackAppend packs and digests an AppendEntries of 10 kv-sized commands, as a
// leader does for every one it sends (wireForm).
func BenchmarkPackAppend(b *testing.B) {
	var ents []raft.Entry
	for i := range 10 {
		ents = append(ents, raft.Entry{Term: 3, Index: 101 + i, Command: []byte(fmt.Sprintf("append key %d value %d", i, i*7))})
	}
	m := raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 3, PrevIndex: 100, PrevTerm: 3, Entries: ents, Commit: 99}
	b.ReportAllocs()
	for b.Loop() {
		if packAppend(&m, nil) == nil {
			b.Fatal("not packed")
		}
	}
}
