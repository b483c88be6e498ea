package rafthost

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// staleLogStorage reads the log file as it was at an earlier moment (stale, if set): a
// disk that silently lost the synced appends since, at a record boundary, where no
// checksum can see it.
type staleLogStorage struct {
	sim.Storage
	stale []byte
}

func (s *staleLogStorage) ReadFile(name string) ([]byte, bool) {
	if name == fileLog && s.stale != nil {
		return append([]byte(nil), s.stale...), true
	}
	return s.Storage.ReadFile(name)
}

// flippedLogStorage reads the log file with one bit flipped: corruption the peer's record
// checksums detect, so it halts.
type flippedLogStorage struct{ sim.Storage }

func (s flippedLogStorage) ReadFile(name string) ([]byte, bool) {
	b, ok := s.Storage.ReadFile(name)
	if name == fileLog && len(b) > 0 {
		b[len(b)/2] ^= 1
	}
	return b, ok
}

// durabilityRun hosts peer 0 of a two-peer group on node a (peer 1 is the test, on node
// b), with the Raft checker watching; it makes peer 0 sync entries 1, then 2 and 3, then
// restarts a on storage made by restarted from what a's disk holds after entry 1 and
// now, and returns the run's result and peer 0 after the restart.
func durabilityRun(t *testing.T, restarted func(disk sim.Storage, afterFirst []byte) sim.Storage) (sim.Result, *Peer) {
	var peer *Peer
	s := &sim.Scenario{Name: "raft/CheckerTest", Main: func(p *sim.Proc) error {
		w := p.World()
		net := netsim.New(w)
		check := NewChecker(w, 2)
		var afterFirst []byte
		storage := func(d sim.Storage) sim.Storage { return d }
		a := w.AddNode("a", func(node *sim.Node) {
			peer = StartPeer(node, net.Endpoint(node.ID), PeerConfig{
				Raft:     raft.Config{ID: 0, ElectionTimeout: time.Minute, HeartbeatInterval: time.Second},
				Peers:    []int{node.ID, node.ID + 1},
				Observer: check,
				Storage:  storage(node.Disk),
			})
		})
		b := w.AddNode("b", func(*sim.Node) {})
		net.Attach(a)
		ep := net.Attach(b)
		w.Restart(a)
		w.Restart(b)
		appendEntries := func(prev int, ents ...raft.Entry) {
			acked := false
			m := &raft.Message{Type: raft.MsgApp, From: 1, To: 0, Term: 1, PrevIndex: prev, PrevTerm: min(prev, 1), Entries: ents}
			ep.Call(a.ID, methodOf(raft.MsgApp), m, func(reply any, ok bool) {
				acked = ok && received(reply).Success
			})
			p.Sleep(time.Second)
			if !acked {
				p.Fatalf("test", "append after %d not acknowledged", prev)
			}
		}
		appendEntries(0, raft.Entry{Term: 1, Index: 1, Command: []byte("x")})
		afterFirst, _ = a.Disk.ReadFile(fileLog)
		appendEntries(1, raft.Entry{Term: 1, Index: 2, Command: []byte("y")}, raft.Entry{Term: 1, Index: 3, Command: []byte("z")})
		w.Crash(a)
		storage = func(d sim.Storage) sim.Storage { return restarted(d, afterFirst) }
		w.Restart(a)
		p.Sleep(time.Second)
		return nil
	}}
	return sim.RunScenario(s, sim.Options{Seed: 1}), peer
}

// TestDurabilityCatchesSilentLoss: a peer whose disk silently lost synced, acknowledged
// entries (a lost write at a record boundary, which no checksum sees) restarts with less
// than it synced, and the checker fails the run as raft/durability at the restart. The
// old checker compared a restart only with the last index and term, and took the synced
// state from the core rather than from the Readies.
func TestDurabilityCatchesSilentLoss(t *testing.T) {
	res, _ := durabilityRun(t, func(d sim.Storage, afterFirst []byte) sim.Storage {
		return &staleLogStorage{Storage: d, stale: afterFirst}
	})
	require.Equal(t, sim.Fail, res.Outcome, "%v", res.Failure)
	require.Equal(t, "raft/durability", res.Failure.Check, "%v", res.Failure)
	require.Equal(t, "a", res.Failure.Node)
	require.Contains(t, res.Failure.Err.Error(), "restarted with its log ending at index 1, but had synced through 3")

	// The control: the same run restarting on the disk as it is passes.
	res, _ = durabilityRun(t, func(d sim.Storage, _ []byte) sim.Storage { return d })
	require.True(t, res.Passed(), "%v", res.Failure)
}

// TestDurabilitySparesAHaltedPeer: a peer that detects the corruption of its storage and
// halts is not checked as if it had recovered: the run goes on.
func TestDurabilitySparesAHaltedPeer(t *testing.T) {
	res, peer := durabilityRun(t, func(d sim.Storage, _ []byte) sim.Storage { return flippedLogStorage{d} })
	require.True(t, res.Passed(), "%v", res.Failure)
	require.Error(t, peer.Halted(), "the peer saw the corruption")
}
