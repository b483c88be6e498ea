package rafthost

import (
	"fmt"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// filesDecode checks that the peer's three files, as reads see them now, decode whole, and
// returns the log's entries after the stored snapshot.
func filesDecode(s sim.Storage) ([]raft.Entry, raft.SnapshotMeta, error) {
	hard, _ := s.ReadFile(fileHard)
	if _, err := raft.DecodeHardState(hard); err != nil {
		return nil, raft.SnapshotMeta{}, err
	}
	snap, err := StoredSnapshot(s)
	if err != nil {
		return nil, raft.SnapshotMeta{}, err
	}
	log, _ := s.ReadFile(fileLog)
	recs, valid, err := raft.DecodeLogRecords(log)
	if err != nil {
		return nil, snap.Meta, err
	}
	if valid != len(log) {
		return nil, snap.Meta, fmt.Errorf("log: torn tail at %d of %d bytes", valid, len(log))
	}
	ents, err := raft.ReplayLog(recs, snap.Meta)
	return ents, snap.Meta, err
}

// TestFilesStayWholeAcrossRewrites: the peer hands the files it replaces whole to the
// storage (WriteFileOwned) and appends to a rewritten log in the room its buffer left,
// so a buffer the peer wrote into after handing it over, or two files sharing one array,
// would show as a file that no longer decodes. Between every two storage operations of
// two snapshots, each followed by appends, every file must decode whole, and once all is
// synced the log must hold exactly the core's entries after its snapshot. The peer's
// StateSize, which it keeps from the operations it issues, must be the files' sizes
// throughout.
func TestFilesStayWholeAcrossRewrites(t *testing.T) {
	runTest(t, func(p *sim.Proc) {
		w := p.World()
		net := netsim.New(w)
		g := startGatedPeer(p, net)
		gate, peer, a, ep := g.gate, g.peer, g.a, g.ep
		check := func(when string) {
			if _, _, err := filesDecode(gate); err != nil {
				p.Fatalf("test", "%s: %v (operations %v)", when, err, gate.ops)
			}
			if got, want := peer.StateSize(), StoredStateSize(gate); got != want {
				p.Fatalf("test", "%s: StateSize %d, but the files hold %d bytes (operations %v)", when, got, want, gate.ops)
			}
		}
		settle := func(when string) {
			p.Sleep(time.Millisecond)
			for i := 0; len(gate.held) > 0; i++ {
				check(fmt.Sprintf("%s, before sync %d", when, i))
				gate.release()
				p.Sleep(time.Millisecond)
			}
			check(when + ", all synced")
			ents, snap, _ := filesDecode(gate)
			core := peer.Core()
			if snap != core.SnapshotMeta() || len(ents) != core.LastIndex()-snap.Index {
				p.Fatalf("test", "%s: files hold snapshot %v and %d entries; the core %v and last index %d",
					when, snap, len(ents), core.SnapshotMeta(), core.LastIndex())
			}
			for _, e := range ents {
				if ce, _ := core.Entry(e.Index); ce.Term != e.Term || string(ce.Command) != string(e.Command) {
					p.Fatalf("test", "%s: log file entry %d is %d/%q, the core's %d/%q", when, e.Index, e.Term, e.Command, ce.Term, ce.Command)
				}
			}
		}
		next := 1
		appendEntries := func(n int) {
			var ents []raft.Entry
			for i := 0; i < n; i++ {
				ents = append(ents, raft.Entry{Term: 1, Index: next, Command: []byte(fmt.Sprintf("command %d", next))})
				next++
			}
			ep.Call(a.ID, methodOf(raft.MsgApp), &raft.Message{Type: raft.MsgApp, From: 1, To: 0, Term: 1,
				PrevIndex: ents[0].Index - 1, PrevTerm: min(1, ents[0].Index-1), Entries: ents, Commit: next - 1},
				func(any, bool) {})
			settle(fmt.Sprintf("entries through %d", next-1))
		}
		appendEntries(4)
		appendEntries(3)
		for round, at := range []int{5, 9} {
			peer.Snapshot(at, []byte(fmt.Sprintf("snapshot through %d", at)))
			settle(fmt.Sprintf("snapshot %d", round))
			if got := peer.Core().SnapshotMeta().Index; got != at {
				p.Fatalf("test", "snapshot %d: the core's snapshot is at %d, want %d", round, got, at)
			}
			for i := 0; i < 3; i++ {
				appendEntries(1 + i)
			}
		}
	})
}
