package raftsim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestSwarmDrawsSnapshotsAndAppendCaps is issue 8 item 18 (raft side): raft/Swarm draws
// from the seed a snapshot interval per peer (some never snapshot by themselves) and a cap
// on entries per AppendEntries (sometimes none), and the run uses them: the peers take and
// install snapshots, and every core runs with the drawn cap. The old Swarm ran without
// snapshots and with uncapped appends on every seed.
func TestSwarmDrawsSnapshotsAndAppendCaps(t *testing.T) {
	var draws []clusterOptions
	for seed := uint64(1); seed <= 40; seed++ {
		s := &sim.Scenario{Name: "raft/SwarmDraw", Main: func(p *sim.Proc) error {
			draws = append(draws, drawClusterOptions(p.World(), 5))
			return nil
		}}
		require.True(t, sim.RunScenario(s, sim.Options{Seed: seed}).Passed())
	}
	capped, uncapped, never, varied := 0, 0, 0, 0
	for _, o := range draws {
		if o.maxEntriesPerAppend > 0 {
			capped++
		} else {
			uncapped++
		}
		distinct := map[int]bool{}
		for _, e := range o.snapEvery {
			distinct[e] = true
			if e == 0 {
				never++
			}
		}
		if len(distinct) > 1 {
			varied++
		}
	}
	require.Positive(t, capped)
	require.Positive(t, uncapped)
	require.Positive(t, never)
	require.Greater(t, varied, 30, "peers of one run snapshot at different intervals")

	// One run with a cap: the cores have it, and snapshots are taken and installed.
	seed := uint64(0)
	for i, o := range draws {
		if o.maxEntriesPerAppend > 0 && o.maxEntriesPerAppend < 5 {
			seed = uint64(i + 1)
			break
		}
	}
	require.NotZero(t, seed)
	var c *Cluster
	o := defaultSwarm()
	o.observe = func(cl *Cluster) { c = cl }
	s := &sim.Scenario{Name: "raft/Swarm", Faults: "swarm", Main: func(p *sim.Proc) error { runSwarm(p, o); return nil }}
	res := sim.RunScenario(s, sim.Options{Seed: seed})
	require.True(t, res.Passed(), "%v", res.Failure)
	want := draws[seed-1]
	snapshotted := 0
	for i := 0; i < c.N; i++ {
		p := c.peers[i]
		require.Equal(t, want.maxEntriesPerAppend, p.MaxEntriesPerAppend())
		if p.Halted() == nil && p.Core().SnapshotMeta().Index > 0 {
			snapshotted++
		}
	}
	require.GreaterOrEqual(t, snapshotted, 3, "peers with a snapshot at the end of seed %d", seed)
}

// TestProbesCounted is issue 8 item 10 (host side): the peer counts what the core reports
// in Ready.Reached as the run's probes. Backup2B heals followers with long divergent tails
// and then commits over them.
func TestProbesCounted(t *testing.T) {
	s, ok := sim.Lookup("raft/Backup2B")
	require.True(t, ok)
	res := sim.RunScenario(s, sim.Options{Seed: 1})
	require.True(t, res.Passed())
	require.Positive(t, res.Probes[rafthost.ProbeCommitAfterDivergentTail.Name])
}

// TestClientCmdIsTheFormattedCommand: the swarm clients' commands are "c<me>-<v>", as
// fmt.Sprintf made them before clientCmd (the same bytes, so the same runs).
func TestClientCmdIsTheFormattedCommand(t *testing.T) {
	for _, c := range []struct{ me, v int }{{0, 0}, {2, 7}, {1, 999_999_999}, {12, 123456}} {
		require.Equal(t, fmt.Sprintf("c%d-%d", c.me, c.v), string(clientCmd(c.me, c.v)))
	}
}
