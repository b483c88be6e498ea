package raftsim

import (
	"fmt"
	"testing"
	"time"

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
		require.Equal(t, fmt.Sprintf("c%d-%d", c.me, c.v), string(appendClientCmd(nil, c.me, c.v)))
	}
}

// TestFigure8SectionReachesFigure8: raft/Swarm's Figure 8 section (figure8.go) leaves
// entries on minorities and brings their holders back to lead, so that the correct core
// reaches ProbeFigure8's state, and the core broken in §5.4.2 (raft/planted/CommitOldTerms)
// is caught committing an entry a later leader lacks. Before the section one seed of
// CommitOldTerms in 4,500 failed, and the state was never reached in raft/Swarm's seeds 1-100.
// The seeds run until both happened three times, up to 300: a rate of about 3%, which any
// change of schedule moves between seeds (seeds 1-100 held 5 catches, then 2, while seeds
// 101-600 held 16 both times), not a seed list.
func TestFigure8SectionReachesFigure8(t *testing.T) {
	swarm, ok := sim.Lookup("raft/Swarm")
	require.True(t, ok)
	planted, ok := sim.Lookup("raft/planted/CommitOldTerms")
	require.True(t, ok)
	reached, caught := 0, 0
	for seed := uint64(1); seed <= 300 && (reached < 3 || caught < 3); seed++ {
		res := sim.RunScenario(swarm, sim.Options{Seed: seed})
		require.True(t, res.Passed(), "raft/Swarm seed %d: %v", seed, res.Failure)
		if res.Probes[ProbeFigure8.Name] > 0 {
			reached++
		}
		res = sim.RunScenario(planted, sim.Options{Seed: seed})
		if !res.Passed() {
			require.Contains(t, []string{"raft/leader-completeness", "raft/state-machine-safety", "apply"},
				res.Failure.Check, "seed %d: %v", seed, res.Failure)
			caught++
		}
	}
	require.GreaterOrEqual(t, reached, 3, "raft/Swarm runs of seeds 1-300 in the Figure 8 state")
	require.GreaterOrEqual(t, caught, 3, "raft/planted/CommitOldTerms seeds of 1-300 caught")
}

// TestFigure8SettledLeadersStaySettled: afterPersisted stops evaluating ProbeFigure8 on a
// leader once the entry at its majority's match index is of its own term, for as long as
// the same core leads the same term (figure8State says why that cannot change). Here a
// process looks every millisecond of raft/Swarm's runs at each leader so noted: the entry
// there must still be of its term, the leader out of the probe's state.
func TestFigure8SettledLeadersStaySettled(t *testing.T) {
	looked := 0
	for seed := uint64(1); seed <= 12; seed++ {
		o := defaultSwarm()
		o.observe = func(c *Cluster) {
			c.W.Spawn(nil, "settled", func(p *sim.Proc) {
				for {
					p.Sleep(time.Millisecond)
					for i, peer := range c.peers {
						if peer == nil || !c.Nodes[i].Up() || peer.Core() == nil {
							continue
						}
						core := peer.Core()
						term, leader := core.State()
						if !leader || c.figure8Settled[i] != (settled{core, term}) {
							continue
						}
						looked++
						in, own := c.figure8State(i)
						if in || !own {
							p.Fatalf("figure8", "peer %d, settled in term %d, now has in=%v own=%v", i, term, in, own)
						}
					}
				}
			})
		}
		s := &sim.Scenario{Name: "raft/Swarm", Faults: "swarm", Main: func(p *sim.Proc) error { runSwarm(p, o); return nil }}
		res := sim.RunScenario(s, sim.Options{Seed: seed})
		require.True(t, res.Passed(), "seed %d: %v", seed, res.Failure)
	}
	require.Greater(t, looked, 1000, "settled leaders looked at")
}
