package shardsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

var wantScenarios = []string{
	"shardkv/CtrlerBasic4A", "shardkv/CtrlerMulti4A",
	"shardkv/StaticShards4B", "shardkv/JoinLeave4B", "shardkv/Snapshot4B", "shardkv/MissChange4B",
	"shardkv/Concurrent14B", "shardkv/Concurrent24B", "shardkv/Unreliable14B", "shardkv/Unreliable24B",
	"shardkv/Unreliable34B", "shardkv/Challenge1Delete4B", "shardkv/Challenge1Concurrent4B",
	"shardkv/Challenge2Unaffected4B", "shardkv/Challenge2Partial4B", "shardkv/Swarm",
}

func TestScenariosAreRegistered(t *testing.T) {
	scs, err := sim.Match("shardkv/*")
	require.NoError(t, err)
	var names []string
	for _, sc := range scs {
		names = append(names, sc.Name)
		require.NotEmpty(t, sc.Description, sc.Name)
	}
	require.ElementsMatch(t, wantScenarios, names)
}

// TestScenarios runs every shardkv scenario on a few seeds; each must pass.
func TestScenarios(t *testing.T) {
	seeds := []uint64{1, 2}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, name := range wantScenarios {
		sc, ok := sim.Lookup(name)
		require.True(t, ok, name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, seed := range seeds {
				res := sim.RunScenario(sc, sim.Options{Seed: seed})
				require.True(t, res.Passed(), "%s seed %d: %s: %v\nreplay: go run ./cmd/simrun replay -scenario %s -seed %d",
					name, seed, res.Outcome, res.Failure, name, seed)
			}
		})
	}
}

// TestDeterminism runs every shardkv scenario twice on one seed; the runs must be
// identical event by event.
func TestDeterminism(t *testing.T) {
	for _, name := range wantScenarios {
		sc, _ := sim.Lookup(name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, div := sim.CheckDeterminism(sc, sim.Options{Seed: 7})
			require.Nil(t, div, "%s: %v", name, div)
			require.True(t, res.Passed(), "%s seed 7: %s: %v", name, res.Outcome, res.Failure)
		})
	}
}

// run runs main as an unregistered scenario on seed.
func run(name string, seed uint64, main func(p *sim.Proc) error) sim.Result {
	return sim.RunScenario(&sim.Scenario{Name: name, MaxTime: scenarioMaxTime, Main: main}, sim.Options{Seed: seed})
}

// TestScenariosDoWork guards against a scenario that passes because nothing happened:
// every clerk operation goes through the controller's Raft log, where the Raft checkers
// see it, and the historical queries crash each server once.
func TestScenariosDoWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		body func(*sim.Proc, Setup) error
		ops  int // the clerk operations the script makes, counted by hand from the original
	}{{"basic", CtrlerBasic, 101}, {"multi", CtrlerMulti, 40}} {
		name, body := tc.name, tc.body
		var c *Ctrlers
		res := run(name, 1, func(p *sim.Proc) error { return body(p, Setup{Ctrlers: func(cl *Ctrlers) { c = cl }}) })
		require.True(t, res.Passed(), "%s: %v", name, res.Failure)
		require.NotNil(t, c)
		require.Equal(t, tc.ops, c.Ops(), "%s: operations", name)
		// Every operation is one command (retries may add more); the leaders add no-ops.
		require.GreaterOrEqual(t, c.Checker.MaxCommitted(), c.Ops(), "%s: the Raft checkers saw %d commands", name, c.Checker.MaxCommitted())
		t.Logf("%s: %d operations, %d commands, %d events, %v virtual", name, c.Ops(), c.Checker.MaxCommitted(), res.Events, res.Virtual)
	}
}

// TestScenariosWithSnapshots runs both 4A scenarios with controller servers that snapshot
// past 500 bytes of Raft state (the original's shardmaster never does): the servers must
// install and restore snapshots, the historical queries included, and pass.
func TestScenariosWithSnapshots(t *testing.T) {
	for name, body := range map[string]func(*sim.Proc, Setup) error{"basic": CtrlerBasic, "multi": CtrlerMulti} {
		for seed := uint64(1); seed <= 5; seed++ {
			var c *Ctrlers
			setup := Setup{CtrlerMaxRaftState: 500, Ctrlers: func(cl *Ctrlers) { c = cl }}
			res := run(name, seed, func(p *sim.Proc) error { return body(p, setup) })
			require.True(t, res.Passed(), "%s seed %d: %s: %v", name, seed, res.Outcome, res.Failure)
			snapshots := 0
			for i := 0; i < c.N; i++ {
				s := c.Server(i)
				require.NotNil(t, s)
				require.LessOrEqual(t, s.Peer().StateSize(), 8*500, "%s seed %d: server %d's log was not trimmed", name, seed, i)
				if s.Peer().SnapshotSize() > 0 {
					snapshots++
				}
			}
			require.Equal(t, c.N, snapshots, "%s seed %d: every server snapshots", name, seed)
		}
	}
}

// TestShardsMove guards the 4B scenarios against passing without migrating: after
// JoinLeave, group 100 (which left) holds no keys and serves no shard, groups 101 and 102
// hold all ten keys between them, and every group's Raft checkers saw commands.
func TestShardsMove(t *testing.T) {
	var sys *System
	res := run("joinleave", 1, func(p *sim.Proc) error {
		return JoinLeave(p, Setup{System: func(s *System) { sys = s }})
	})
	require.True(t, res.Passed(), "%v", res.Failure)
	keys := map[int]int{}
	for gi, g := range sys.Groups {
		require.Greater(t, g.Checker.MaxCommitted(), 0, "group %d committed nothing", g.GID)
		// Group 0 is down at the end; read its last instance's state.
		st := g.servers[0].State()
		if gi != 0 {
			st = g.Server(0).State()
		}
		for sh := 0; sh < 10; sh++ {
			keys[g.GID] += st.Keys(sh)
		}
	}
	require.Equal(t, 0, keys[100], "group 100 left and deleted what it gave up")
	require.Equal(t, 10, keys[101]+keys[102])
	require.NotZero(t, keys[101])
}

// TestSwarmDoesWork guards shardkv/Swarm against passing idle: on seed 2 the faults run (crashes among them),
// the administrator makes a dozen configurations and the clerks complete hundreds of
// operations across them.
func TestSwarmDoesWork(t *testing.T) {
	sc, _ := sim.Lookup("shardkv/Swarm")
	var sys *System
	res := sim.RunScenario(&sim.Scenario{Name: sc.Name, Faults: sc.Faults, MaxTime: sc.MaxTime,
		Main: func(p *sim.Proc) error { return Swarm(p, Setup{System: func(s *System) { sys = s }}) }}, sim.Options{Seed: 2})
	require.True(t, res.Passed(), "%v", res.Failure)
	ops := 0
	for _, ck := range sys.Clerks() {
		ops += ck.Ops()
	}
	require.Greater(t, ops, 300)
	configs := 0
	for i := 0; i < sys.Ctrlers.N; i++ {
		if srv := sys.Ctrlers.Server(i); srv != nil {
			configs = max(configs, srv.State().Len()-1)
		}
	}
	require.GreaterOrEqual(t, configs, 8)
	require.Greater(t, res.Storage.Crashes, 0, "the swarm plan of seed 2 crashes servers")
	t.Logf("seed 2: %d operations, %d configurations, %d crashes, %d events", ops, configs, res.Storage.Crashes, res.Events)
}
