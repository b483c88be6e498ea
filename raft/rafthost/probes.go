package rafthost

import (
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// Coverage probes: the situations the literature's Raft bugs need, counted per run (simrun
// prints how often each was reached). The core reports them in Ready.Reached at the line
// where they happen; the peer counts each Ready that reached one when it takes the Ready.
var (
	ProbeCommitAfterDivergentTail = sim.NewProbe("raft/follower-commit-advanced-after-divergent-tail",
		"a follower that replaced a tail conflicting with its leader's log learned a commit index covering it")
	ProbeSnapshotOverLongerLog = sim.NewProbe("raft/snapshot-install-over-longer-log",
		"an InstallSnapshot reached a follower whose log matches it at its index and goes on past it")
	ProbeStaleSnapshot = sim.NewProbe("raft/stale-snapshot-install",
		"a delayed or duplicated InstallSnapshot covering no more than the follower had already applied")
	ProbeVoteAfterStepDown = sim.NewProbe("raft/vote-request-after-step-down",
		"a vote request from a third candidate reached a peer that had stepped down in that term")
	ProbeHalted = sim.NewProbe("raft/peer-halted-on-corrupt-storage",
		"a peer found a corrupted record in its synced storage at boot and halted")
)

// countProbes counts what rd reached.
func countProbes(w *sim.World, rd *raft.Ready) {
	if rd.Reached == 0 {
		return
	}
	w.Sometimes(ProbeCommitAfterDivergentTail, rd.Reached&raft.ReachedCommitAfterDivergentTail != 0)
	w.Sometimes(ProbeSnapshotOverLongerLog, rd.Reached&raft.ReachedSnapshotOverLongerLog != 0)
	w.Sometimes(ProbeStaleSnapshot, rd.Reached&raft.ReachedStaleSnapshot != 0)
	w.Sometimes(ProbeVoteAfterStepDown, rd.Reached&raft.ReachedVoteAfterStepDown != 0)
}
