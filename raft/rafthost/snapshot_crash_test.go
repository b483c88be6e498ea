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

// crashAroundSnapshots crashes a peer's node at a moment spread over the next 2.4 ms after
// the peer hands a snapshot-only Ready to its storage (see persist): between its syncs,
// right after it completed without a sync of its rename of the log, or while the next Ready
// appends to the renamed log. It restarts the node a little later, and passes every call
// on to the checkers.
type crashAroundSnapshots struct {
	*Checker
	w       *sim.World
	crashes int
	want    int
}

func (o *crashAroundSnapshots) Writing(p *Peer, rd *raft.Ready) {
	o.Checker.Writing(p, rd)
	if !snapshotOnly(rd) || o.crashes >= o.want {
		return
	}
	o.crashes++
	node := p.Node()
	o.w.Schedule(time.Duration(o.crashes%9)*300*time.Microsecond, "test/crash", func() {
		if !node.Up() {
			return
		}
		o.w.Crash(node)
		o.w.Schedule(30*time.Millisecond, "test/restart", func() { o.w.Restart(node) })
	})
}

// runCrashAroundSnapshots runs three peers whose service snapshots every fourth command,
// with a client proposing every 5 ms, crashes landing around snapshot-only Readies, and
// disks that keep an arbitrary subset of unsynced operations in any order, under the
// safety checkers.
func runCrashAroundSnapshots(seed uint64, unsafe bool) (res sim.Result, crashes int) {
	s := &sim.Scenario{Name: "raft/PeerTest", Main: func(p *sim.Proc) error {
		w := p.World()
		net := netsim.New(w)
		obs := &crashAroundSnapshots{Checker: NewChecker(w, 3), w: w, want: 30}
		defer func() { crashes = obs.crashes }()
		peers := startFaultyDiskPeers(w, net, obs, unsafe, func(peers []*Peer, i int) func(*raft.ApplyMsg) {
			return func(a *raft.ApplyMsg) {
				if a.CommandValid && a.CommandIndex%4 == 0 {
					peers[i].Snapshot(a.CommandIndex, []byte(fmt.Sprintf("state through %d", a.CommandIndex)))
				}
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
			p.Sleep(5 * time.Millisecond)
		}
		return nil
	}}
	return sim.RunScenario(s, sim.Options{Seed: seed}), crashes
}

// TestCrashesAroundSnapshotsFindNoLoss: a snapshot-only Ready leaves out its last sync (the
// one after the rename of the rewritten log); crashes landing anywhere around such Readies,
// on disks that may keep any subset of unsynced operations, lose nothing the checkers know
// was persisted or acknowledged. The unsafe protocol (every rename before one sync, so the
// log compacted by a snapshot can replace the old log without the snapshot) is caught.
func TestCrashesAroundSnapshotsFindNoLoss(t *testing.T) {
	requireSafeAndUnsafeCaught(t, runCrashAroundSnapshots, 30)
}

// TestReadSnapshotIsTheStoredOne: what ReadSnapshot returns, before and after a restart, is
// the snapshot the peer's storage holds.
func TestReadSnapshotIsTheStoredOne(t *testing.T) {
	runTest(t, func(p *sim.Proc) {
		w := p.World()
		net := netsim.New(w)
		var peer *Peer
		a := w.AddNode("a", func(node *sim.Node) {
			peer = StartPeer(node, net.Endpoint(node.ID), PeerConfig{
				Raft:  raft.Config{ID: 0, ElectionTimeout: 50 * time.Millisecond, HeartbeatInterval: 20 * time.Millisecond},
				Peers: []int{node.ID},
				Apply: func(m *raft.ApplyMsg) {
					if m.CommandValid && m.CommandIndex%3 == 0 {
						peer.Snapshot(m.CommandIndex, []byte(fmt.Sprintf("through %d", m.CommandIndex)))
					}
				},
			})
		})
		net.Attach(a)
		w.Restart(a)
		stored := func() []byte {
			snap, err := StoredSnapshot(a.Disk)
			require.NoError(t, err)
			return snap.Data
		}
		require.Empty(t, peer.ReadSnapshot())
		p.Sleep(time.Second)
		for i := 0; i < 7; i++ {
			_, _, ok := peer.Start([]byte{byte(i)})
			require.True(t, ok)
			p.Sleep(10 * time.Millisecond)
		}
		require.Equal(t, "through 6", string(peer.ReadSnapshot()))
		require.Equal(t, stored(), peer.ReadSnapshot())
		w.Crash(a)
		w.Restart(a)
		require.Equal(t, "through 6", string(peer.ReadSnapshot()))
		require.Equal(t, stored(), peer.ReadSnapshot())
	})
}
