package rafthost

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestSnapshotBufferOnlyOnceReplacedDurably: a buffer handed over with Snapshot comes back
// only when a Ready carrying a later snapshot, taken after it was handed over, is persisted;
// one handed over while that Ready is in flight stays lent.
func TestSnapshotBufferOnlyOnceReplacedDurably(t *testing.T) {
	var s snapshotBuffers
	b1, b2, b3 := make([]byte, 4, 8), make([]byte, 4, 8), make([]byte, 4, 8)
	require.Nil(t, s.get())
	s.lend(b1)
	s.taken(&raft.Ready{Snapshot: &raft.SnapshotState{Data: b1}})
	s.persisted()
	require.Nil(t, s.get(), "b1 is the snapshot the core and the storage hold")

	s.lend(b2)
	s.taken(&raft.Ready{Snapshot: &raft.SnapshotState{Data: b2}})
	s.lend(b3) // while the Ready carrying b2 is in flight
	require.Nil(t, s.get(), "b1 is free only once b2 is durable")
	s.persisted()
	got := s.get()
	require.True(t, sameArray(b1, got) && len(got) == 0, "b1 comes back, empty")
	require.Nil(t, s.get(), "b2 is held, b3 was lent after the Ready was taken")

	s.taken(&raft.Ready{Snapshot: &raft.SnapshotState{Data: []byte("installed")}})
	s.persisted()
	a, b := s.get(), s.get()
	require.True(t, sameArray(b2, a) || sameArray(b2, b), "b2 replaced by an installed snapshot")
	require.True(t, sameArray(b3, a) || sameArray(b3, b), "b3 superseded before any Ready carried it")
}

// TestRecycledSnapshotBuffersAreNotRead runs three peers whose service encodes every
// snapshot into a buffer SnapshotBuffer gave back, after filling all of it with garbage
// (half of them from Apply, half as events of their own, which may land while a Ready is
// being written),
// with crashes around snapshot Readies on disks that keep any subset of unsynced
// operations, under the safety checkers: if anything still read a buffer given back (the
// storage, a message, the core), a stored or installed snapshot would not be the state it
// names, or its file would fail its CRC.
func TestRecycledSnapshotBuffersAreNotRead(t *testing.T) {
	want := func(index int) string { return fmt.Sprintf("state through %d", index) }
	for seed := uint64(1); seed <= 3; seed++ {
		var reused, installed, stored int
		s := &sim.Scenario{Name: "raft/PeerTest", Main: func(p *sim.Proc) error {
			w := p.World()
			net := netsim.New(w)
			obs := &crashAroundSnapshots{Checker: NewChecker(w, 3), w: w, want: 30}
			peers := startFaultyDiskPeers(w, net, obs, false, func(peers []*Peer, i int) func(*raft.ApplyMsg) {
				return func(a *raft.ApplyMsg) {
					if a.SnapshotValid {
						installed++
						if string(a.Snapshot) != want(a.SnapshotIndex) {
							w.Fail("test/installed-snapshot", peers[i].Node(), fmt.Errorf("at %d: %q", a.SnapshotIndex, a.Snapshot))
						}
					}
					if !a.CommandValid || a.CommandIndex%4 != 0 {
						return
					}
					peer, index := peers[i], a.CommandIndex
					snapshot := func() {
						buf := peer.SnapshotBuffer()
						if buf != nil {
							reused++
							full := buf[:cap(buf)]
							for k := range full {
								full[k] = 0xee
							}
						}
						peer.Snapshot(index, append(buf, want(index)...))
					}
					if index%8 == 0 {
						snapshot()
						return
					}
					// Later, as an event of its own: while a Ready may be in flight.
					peer.Node().After(200*time.Microsecond, "test/snapshot", snapshot)
				}
			})
			for n := 0; p.Now() < 20*time.Second; n++ {
				for _, peer := range peers {
					if peer != nil && peer.Node().Up() && peer.Halted() == nil {
						if _, _, ok := peer.Start([]byte(fmt.Sprintf("cmd %d", n))); ok {
							break
						}
					}
				}
				for _, peer := range peers {
					if peer != nil && peer.Node().Up() && peer.Halted() != nil {
						p.Fatalf("test", "%s halted: %v", peer.Node().Name, peer.Halted())
					}
				}
				for _, node := range w.Nodes()[:3] {
					snap, err := StoredSnapshot(node.Disk)
					if err != nil || (snap.Meta.Index > 0 && string(snap.Data) != want(snap.Meta.Index)) {
						p.Fatalf("test", "%s: stored snapshot at %d: %q, %v", node.Name, snap.Meta.Index, snap.Data, err)
					}
					if snap.Meta.Index > 0 {
						stored++
					}
				}
				p.Sleep(5 * time.Millisecond)
			}
			return nil
		}}
		res := sim.RunScenario(s, sim.Options{Seed: seed})
		require.True(t, res.Passed(), "seed %d: %v", seed, res.Failure)
		require.Greater(t, reused, 100, "seed %d: snapshots into a buffer given back", seed)
		require.Greater(t, installed, 0, "seed %d: installed snapshots", seed)
		require.Greater(t, stored, 1000, "seed %d: stored snapshots checked", seed)
		t.Logf("seed %d: %d snapshots into a buffer given back, %d installed", seed, reused, installed)
	}
}
