package raftsim

import (
	"math"

	"github.com/lockstep-dst/lockstep/sim"
)

// The 2D snapshot tests of the 2023 6.824 harness (reference/6824-2d-snapshots.md): all seven,
// with the 2023 rules. Every peer runs the snapshot applier (snapshot at indices 9, 19, 29,
// ...; exact apply order; snapshots ingested before restart), the batch is 5 + rand(0..9)
// Starts, and Basic's catch-up agreement waits for all three peers.

func init() {
	register2D()
}

// MaxLogSize is snapcommon's MAXLOGSIZE: the largest persisted Raft state (hard state and
// log, not the snapshot) any peer may hold at the per-iteration check.
const MaxLogSize = 2000

func register2D() {
	for _, s := range []struct {
		name, desc                  string
		disconnect, reliable, crash bool
	}{
		{"raft/SnapshotBasic2D", "6.824 TestSnapshotBasic2D: 30 batches with snapshots every 10 entries, no faults; log stays under 2000 bytes",
			false, true, false},
		{"raft/SnapshotInstall2D", "6.824 TestSnapshotInstall2D: a disconnected peer falls behind the snapshot and catches up by InstallSnapshot",
			true, true, false},
		{"raft/SnapshotInstallUnreliable2D", "6.824 TestSnapshotInstallUnreliable2D: as SnapshotInstall2D, with 10% loss and 0-26 ms delays",
			true, false, false},
		{"raft/SnapshotInstallCrash2D", "6.824 TestSnapshotInstallCrash2D: a crashed peer restarts from its snapshot and catches up",
			false, true, true},
		{"raft/SnapshotInstallUnCrash2D", "6.824 TestSnapshotInstallUnCrash2D: as SnapshotInstallCrash2D, with 10% loss and 0-26 ms delays",
			false, false, true},
	} {
		register(def{
			Name:        s.name,
			Description: s.desc,
			Run: func(p *sim.Proc, setup Setup) error {
				snapcommon(p, setup, s.disconnect, s.reliable, s.crash)
				return nil
			},
		})
	}
	register(def{
		Name:        "raft/SnapshotAllCrash2D",
		Description: "6.824 TestSnapshotAllCrash2D: crash and restart all peers after each batch; indexes never go back",
		Run:         snapshotAllCrash2D,
	})
	register(def{
		Name:        "raft/SnapshotInit2D",
		Description: "6.824 TestSnapshotInit2D: a snapshot survives two full restarts (Raft reloads it at boot)",
		Run:         snapshotInit2D,
	})
}

// randCmd draws a command as the tests' Int() of math/rand does.
func randCmd(r *sim.Rand) []byte { return Cmd(r.IntN(math.MaxInt)) }

// snapcommon is the 2023 harness's shared body of the five snapshot tests.
func snapcommon(p *sim.Proc, setup Setup, disconnect, reliable, crash bool) {
	const iters = 30
	const servers = 3
	c := NewCluster(p, setup, servers, !reliable, true)
	r := p.World().Rand("raft/2D")

	c.One(randCmd(r), servers, true)
	leader1 := c.CheckOneLeader()

	for i := 0; i < iters; i++ {
		victim := (leader1 + 1) % servers
		sender := leader1
		if i%3 == 1 {
			sender = (leader1 + 1) % servers
			victim = leader1
		}

		if disconnect {
			c.Disconnect(victim)
			c.One(randCmd(r), servers-1, true)
		}
		if crash {
			c.Crash1(victim)
			c.One(randCmd(r), servers-1, true)
		}

		// Perhaps send enough to get a snapshot. The results are ignored, as in the
		// original: in Basic the sender of every third batch is a follower, which
		// rejects them; otherwise the sender may or may not still lead.
		nn := SnapShotInterval/2 + r.IntN(SnapShotInterval)
		for j := 0; j < nn; j++ {
			c.peers[sender].Start(randCmd(r))
		}

		// Let the appliers catch up with the Starts. Without faults every peer must
		// catch up, so that Basic never needs InstallSnapshot.
		if !disconnect && !crash {
			c.One(randCmd(r), servers, true)
		} else {
			c.One(randCmd(r), servers-1, true)
		}

		if size := c.LogSize(); size >= MaxLogSize {
			c.Fatalf("Log size too large: %d bytes (limit %d)", size, MaxLogSize)
		}
		if disconnect {
			// Reconnect a follower, which may be behind and need a snapshot to catch up.
			c.Connect(victim)
			c.One(randCmd(r), servers, true)
			leader1 = c.CheckOneLeader()
		}
		if crash {
			c.Start1(victim)
			c.Connect(victim)
			c.One(randCmd(r), servers, true)
			leader1 = c.CheckOneLeader()
		}
	}
}

// snapshotAllCrash2D is TestSnapshotAllCrash2D: after each batch every peer crashes and
// restarts from its snapshot and log, and the next agreement must come after the last one.
func snapshotAllCrash2D(p *sim.Proc, setup Setup) error {
	const servers = 3
	const iters = 5
	c := NewCluster(p, setup, servers, false, true)
	r := p.World().Rand("raft/2D")

	c.One(randCmd(r), servers, true)
	for i := 0; i < iters; i++ {
		// Perhaps enough to get a snapshot.
		nn := SnapShotInterval/2 + r.IntN(SnapShotInterval)
		for j := 0; j < nn; j++ {
			c.One(randCmd(r), servers, true)
		}
		index1 := c.One(randCmd(r), servers, true)

		for k := 0; k < servers; k++ {
			c.Crash1(k)
		}
		for k := 0; k < servers; k++ {
			c.Start1(k)
			c.Connect(k)
		}

		index2 := c.One(randCmd(r), servers, true)
		if index2 < index1+1 {
			c.Fatalf("index decreased from %d to %d", index1, index2)
		}
	}
	return nil
}

// snapshotInit2D is TestSnapshotInit2D: it catches a Raft that does not load its snapshot
// at boot, then persists an empty one over it at the first write and loses it at the
// second restart.
func snapshotInit2D(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, true)
	r := p.World().Rand("raft/2D")

	c.One(randCmd(r), servers, true)
	// Enough ops to make a snapshot (index 9).
	for j := 0; j < SnapShotInterval+1; j++ {
		c.One(randCmd(r), servers, true)
	}
	restartAll := func() {
		for k := 0; k < servers; k++ {
			c.Crash1(k)
		}
		for k := 0; k < servers; k++ {
			c.Start1(k)
			c.Connect(k)
		}
	}
	restartAll()
	// A single op, to get something written back to persistent storage.
	c.One(randCmd(r), servers, true)
	restartAll()
	// Another op, to trigger the potential bug.
	c.One(randCmd(r), servers, true)
	return nil
}
