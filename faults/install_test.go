package faults_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// target builds a world with a client node (world ID 0, not a plan target)
// and n target nodes (world IDs 1..n), all started, on one network.
func target(seed uint64, n int, leader func() int) (faults.Target, *sim.Node) {
	w := sim.NewWorld(sim.Options{Seed: seed, MaxTime: 2 * time.Hour})
	net := netsim.New(w)
	client := w.AddNode("client", func(*sim.Node) {})
	net.Attach(client)
	w.Start(client)
	t := faults.Target{World: w, Net: net, Leader: leader}
	for i := 0; i < n; i++ {
		node := w.AddNode(fmt.Sprint("s", i), func(*sim.Node) {})
		net.Attach(node)
		w.Start(node)
		t.Nodes = append(t.Nodes, node)
	}
	return t, client
}

// links reports which directed links among the target nodes are up, as
// "from>to" for every link that is down.
func downLinks(t faults.Target, client *sim.Node) []string {
	var down []string
	ids := []int{client.ID}
	for _, n := range t.Nodes {
		ids = append(ids, n.ID)
	}
	for _, from := range ids {
		for _, to := range ids {
			if !t.Net.LinkUp(from, to) {
				down = append(down, fmt.Sprintf("%d>%d", from, to))
			}
		}
	}
	return down
}

func TestInstallAppliesActionsAtTheirTimes(t *testing.T) {
	ms := time.Millisecond
	unreliable := netsim.Unreliable()
	disk := sim.DiskFaults{KeepSomeUnsynced: true}
	plan := faults.Plan{Profile: "hand", Nodes: 3, Until: 2 * time.Second, Actions: []faults.Action{
		{At: 100 * ms, Kind: faults.Crash, Nodes: []int{1}},
		{At: 200 * ms, Kind: faults.Restart, Nodes: []int{1}},
		{At: 300 * ms, Kind: faults.Partition, Groups: [][]int{{0, 1}, {2}}},
		{At: 400 * ms, Kind: faults.Heal},
		{At: 500 * ms, Kind: faults.OneWay, From: 0, To: 2},
		{At: 600 * ms, Kind: faults.Isolate, Nodes: []int{2}},
		{At: 700 * ms, Kind: faults.Heal},
		{At: 800 * ms, Kind: faults.Pause, Nodes: []int{0}},
		{At: 900 * ms, Kind: faults.Resume, Nodes: []int{0}},
		{At: 1000 * ms, Kind: faults.Network, Net: &unreliable},
		{At: 1100 * ms, Kind: faults.Clock, Nodes: []int{1}, Offset: 5 * time.Second, Drift: 0.01},
		{At: 1200 * ms, Kind: faults.Disk, Nodes: []int{2}, Disk: &disk},
		{At: 1300 * ms, Kind: faults.IsolateLdr},
		{At: 1400 * ms, Kind: faults.Heal},
	}}
	require.NoError(t, plan.Validate())
	tg, client := target(1, 3, func() int { return 1 })
	type state struct {
		up, paused []bool
		down       []string
	}
	var got []state
	var observed []time.Duration
	for at := time.Duration(50 * ms); at < 1500*ms; at += 100 * ms {
		tg.World.Schedule(at, "observe", func() {
			s := state{down: downLinks(tg, client)}
			for _, n := range tg.Nodes {
				s.up = append(s.up, n.Up())
				s.paused = append(s.paused, n.Paused())
			}
			got = append(got, s)
			observed = append(observed, tg.World.Now())
		})
	}
	var cond netsim.Conditions
	var offset time.Duration
	var drift float64
	var diskFaults sim.DiskFaults
	tg.World.Schedule(1250*ms, "observe skew", func() {
		cond = tg.Net.Conditions()
		offset, drift = tg.Nodes[1].ClockSkew()
		diskFaults = tg.Nodes[2].Disk.Faults()
	})
	require.NoError(t, faults.Install(tg, plan))
	require.Nil(t, tg.World.Run())
	require.Len(t, got, 15)

	up3 := []bool{true, true, true}
	none := []bool{false, false, false}
	// World IDs: client 0, targets 1, 2, 3.
	want := []state{
		{up3, none, nil}, // 50 ms
		{[]bool{true, false, true}, none, nil},
		{up3, none, nil},
		{up3, none, []string{"1>3", "2>3", "3>1", "3>2"}}, // partition {0,1} | {2}; the client keeps its links
		{up3, none, nil},
		{up3, none, []string{"1>3"}},                      // one-way 0 -> 2
		{up3, none, []string{"1>3", "2>3", "3>1", "3>2"}}, // isolate 2 from the targets (the one-way cut stays; the client keeps its links)
		{up3, none, nil},
		{up3, []bool{true, false, false}, nil}, // pause 0
		{up3, none, nil},
		{up3, none, nil},
		{up3, none, nil},
		{up3, none, nil},
		{up3, none, []string{"1>2", "2>1", "2>3", "3>2"}}, // isolate the leader, target 1, from the other targets
		{up3, none, nil},
	}
	for i := range want {
		require.Equal(t, want[i], got[i], "at %v", observed[i])
	}
	require.Equal(t, unreliable, cond)
	require.Equal(t, 5*time.Second, offset)
	require.Equal(t, 0.01, drift)
	require.Equal(t, disk, diskFaults)
}

func TestInstallRejectsAPlanForAnotherSize(t *testing.T) {
	tg, _ := target(1, 3, nil)
	err := faults.Install(tg, faults.Plan{Nodes: 5})
	require.ErrorContains(t, err, "nodes is 5, the target has 3")
	require.ErrorIs(t, err, sim.ErrBadInput)
	require.NoError(t, faults.Install(tg, faults.Plan{}), "a plan for no particular size fits")
}

func TestIsolateLeaderWithoutLeader(t *testing.T) {
	for _, leader := range []func() int{nil, func() int { return -1 }} {
		tg, client := target(1, 3, leader)
		plan := faults.Plan{Nodes: 3, Until: time.Second, Actions: []faults.Action{{At: time.Millisecond, Kind: faults.IsolateLdr}}}
		require.NoError(t, faults.Install(tg, plan))
		require.Nil(t, tg.World.Run())
		require.Empty(t, downLinks(tg, client))
	}
}

// TestInstallKeepsPlanOrderAtEqualTimes: a plan is a list; two actions at
// the same instant must apply in the order the list gives them, or a
// hand-edited plan "crash 0, restart 0 at 5 s" would leave node 0 down for
// some seeds and up for others.
func TestInstallKeepsPlanOrderAtEqualTimes(t *testing.T) {
	plan := faults.Plan{Profile: "hand", Nodes: 2, Until: 5 * time.Second, Actions: []faults.Action{
		{At: 5 * time.Second, Kind: faults.Partition, Groups: [][]int{{0}, {1}}},
		{At: 5 * time.Second, Kind: faults.Crash, Nodes: []int{0}},
		{At: 5 * time.Second, Kind: faults.Heal},
		{At: 5 * time.Second, Kind: faults.Restart, Nodes: []int{0}},
	}}
	for seed := uint64(1); seed <= 20; seed++ {
		tg, client := target(seed, 2, nil)
		require.NoError(t, faults.Install(tg, plan))
		require.Nil(t, tg.World.Run())
		require.True(t, tg.Nodes[0].Up(), "seed %d: plan order crash-then-restart was not kept", seed)
		require.Empty(t, downLinks(tg, client), "seed %d: plan order partition-then-heal was not kept", seed)
	}
}

// TestPlansEndHealed installs every profile's plan for several seeds and
// shapes on a live world and checks the state right after Until: every node
// up and running, every link up, the base conditions back.
func TestPlansEndHealed(t *testing.T) {
	for _, p := range faults.Profiles() {
		for _, shape := range shapes {
			for seed := uint64(1); seed <= 10; seed++ {
				name := fmt.Sprintf("%s/%dnodes/seed%d", p.Name, shape.Nodes, seed)
				leader := 0
				tg, client := target(seed, shape.Nodes, func() int { leader = (leader + 1) % shape.Nodes; return leader })
				tg.Net.SetConditions(shape.Base)
				plan, err := faults.Generate(p.Name, tg.World.Rand("faults/"+p.Name), shape)
				require.NoError(t, err, name)
				require.NoError(t, faults.Install(tg, plan), name)
				everDown := false
				for at := time.Duration(0); at < plan.Until; at += 50 * time.Millisecond {
					tg.World.Schedule(at+1, "observe", func() {
						for _, n := range tg.Nodes {
							everDown = everDown || !n.Up()
						}
					})
				}
				healed := false
				tg.World.Schedule(plan.Until+1, "check", func() {
					for _, n := range tg.Nodes {
						require.True(t, n.Up(), "%s: %s down after Until", name, n.Name)
						require.False(t, n.Paused(), "%s: %s paused after Until", name, n.Name)
					}
					require.Empty(t, downLinks(tg, client), "%s: links down after Until", name)
					require.Equal(t, shape.Base, tg.Net.Conditions(), "%s", name)
					healed = true
				})
				require.Nil(t, tg.World.Run(), name)
				require.True(t, healed)
				if p.Name == "crashes" && shape.Nodes >= 3 && shape.Duration >= 10*time.Second {
					require.True(t, everDown, "%s: the crashes profile never crashed a node", name)
				}
			}
		}
	}
}

func TestInstallIsDeterministic(t *testing.T) {
	shape := faults.Shape{Nodes: 5, Duration: 20 * time.Second, Base: netsim.Reliable()}
	run := func(seed uint64) uint64 {
		tg, _ := target(seed, shape.Nodes, func() int { return 0 })
		plan, err := faults.Generate("swarm", tg.World.Rand("faults/swarm"), shape)
		require.NoError(t, err)
		require.NoError(t, faults.Install(tg, plan))
		require.Nil(t, tg.World.Run())
		return tg.World.Hash()
	}
	for seed := uint64(1); seed <= 5; seed++ {
		require.Equal(t, run(seed), run(seed))
	}
	require.NotEqual(t, run(1), run(2))
}

// A restart action restarts only nodes the plan crashed, and spared nodes
// are left out of crash and restart actions (and of the applied plan).
func TestRestartOnlyWhatThePlanCrashedAndSpare(t *testing.T) {
	tg, _ := target(1, 3, nil)
	w := tg.World
	w.Crash(tg.Nodes[2]) // stopped by the scenario, on purpose
	tg.Spare = []int{1}
	plan := faults.Plan{Nodes: 3, Until: 2 * time.Second, Actions: []faults.Action{
		{At: time.Second, Kind: faults.Crash, Nodes: []int{0, 1}},
		{At: 2 * time.Second, Kind: faults.Restart, Nodes: []int{0, 1, 2}},
	}}
	applied, err := faults.InstallPlan(tg, plan)
	require.NoError(t, err)
	require.Equal(t, []int{0}, applied.Actions[0].Nodes)
	w.Schedule(1500*time.Millisecond, "probe", func() {
		require.False(t, tg.Nodes[0].Up())
		require.True(t, tg.Nodes[1].Up(), "spared node crashed")
	})
	require.Nil(t, w.Run())
	require.True(t, tg.Nodes[0].Up())
	require.True(t, tg.Nodes[1].Up())
	require.False(t, tg.Nodes[2].Up(), "a node the scenario stopped was restarted by the plan")
}
