package faults_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

func TestPlanJSONRoundTripByHand(t *testing.T) {
	net := netsim.Conditions{DelayMin: time.Millisecond, DelayMax: 7 * time.Millisecond, DropRequest: 0.123456789,
		DropReply: 0.2, Duplicate: 0.05, LongReordering: true, FailDelay: netsim.LongFailDelay}
	plan := faults.Plan{Profile: "hand", Nodes: 3, Until: 5 * time.Second, Actions: []faults.Action{
		{At: 0, Kind: faults.Network, Net: &net},
		{At: 0, Kind: faults.Disk, Nodes: []int{0, 2}, Disk: &sim.DiskFaults{KeepSomeUnsynced: true, TearLast: true}},
		{At: time.Second, Kind: faults.Partition, Groups: [][]int{{0}, {1, 2}}},
		{At: time.Second, Kind: faults.Partition, Groups: [][]int{nil, {0, 1, 2}}},
		{At: 2 * time.Second, Kind: faults.OneWay, From: 2, To: 0},
		{At: 2 * time.Second, Kind: faults.Clock, Nodes: []int{1}, Offset: -time.Minute, Drift: -0.0071},
		{At: 3 * time.Second, Kind: faults.IsolateLdr},
		{At: 4 * time.Second, Kind: faults.Crash, Nodes: []int{1}},
		{At: 5 * time.Second, Kind: faults.Heal},
	}}
	roundTrip(t, plan)

	empty := faults.Plan{Profile: "none", Nodes: 3}
	roundTrip(t, empty)
}

func TestParsePlanRejects(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"malformed", `{"profile": "x", "nodes": 3, "actions": [`, "fault plan"},
		{"unknown top-level field", `{"profile": "x", "nodes": 3, "actions": [], "extra": 1}`, `unknown field "extra"`},
		{"unknown action field", `{"nodes": 3, "actions": [{"at": 0, "kind": "heal", "node": 1}]}`, `unknown field "node"`},
		{"unknown kind", `{"nodes": 3, "actions": [{"at": 0, "kind": "meteor"}]}`, `unknown kind "meteor"`},
		{"node out of range", `{"nodes": 3, "actions": [{"at": 0, "kind": "crash", "nodes": [3]}]}`, "node 3"},
		{"negative node", `{"nodes": 3, "actions": [{"at": 0, "kind": "crash", "nodes": [-1]}]}`, "node -1"},
		{"group node out of range", `{"nodes": 3, "actions": [{"at": 0, "kind": "partition", "groups": [[0], [1, 5]]}]}`, "node 5"},
		{"one-way from out of range", `{"nodes": 3, "actions": [{"at": 0, "kind": "one-way", "from": 4, "to": 0}]}`, "node 4"},
		{"one-way to out of range", `{"nodes": 3, "actions": [{"at": 0, "kind": "one-way", "from": 0, "to": 9}]}`, "node 9"},
		{"unsorted times", `{"nodes": 3, "until": 5000, "actions": [{"at": 2000, "kind": "heal"}, {"at": 1000, "kind": "heal"}]}`, "before the previous"},
		{"network without conditions", `{"nodes": 3, "actions": [{"at": 0, "kind": "network"}]}`, "net is missing"},
		{"disk without faults", `{"nodes": 3, "actions": [{"at": 0, "kind": "disk", "nodes": [0]}]}`, "disk is missing"},
		{"crash of nobody", `{"nodes": 3, "actions": [{"at": 0, "kind": "crash"}]}`, "names no nodes"},
		{"wrong type", `{"nodes": "three", "actions": []}`, "fault plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := faults.ParsePlan([]byte(tt.json))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.Contains(t, err.Error(), "fault plan")
			require.Error(t, faults.CheckSpec(tt.json), "CheckSpec accepts what ParsePlan rejects")
		})
	}
}

// TestParsePlanErrorNamesTheAction: an error in a hand-edited plan must say
// which action is wrong, so the user can find it.
func TestParsePlanErrorNamesTheAction(t *testing.T) {
	_, err := faults.ParsePlan([]byte(`{"nodes": 3, "until": 1, "actions": [
		{"at": 0, "kind": "heal"},
		{"at": 0, "kind": "heal"},
		{"at": 1, "kind": "crash", "nodes": [7]}]}`))
	require.Error(t, err)
	require.Contains(t, err.Error(), "actions[2] (crash)")
	require.Contains(t, err.Error(), "node 7")
}

func TestParsePlanAcceptsEqualTimes(t *testing.T) {
	p, err := faults.ParsePlan([]byte(`{"profile": "hand", "nodes": 2, "until": 1000,
		"actions": [{"at": 5, "kind": "crash", "nodes": [0]}, {"at": 5, "kind": "restart", "nodes": [0]}]}`))
	require.NoError(t, err)
	require.Len(t, p.Actions, 2)
	require.Equal(t, time.Duration(1000), p.Until)
}

func TestCheckSpec(t *testing.T) {
	plan, err := faults.Generate("crashes", sim.NewRand(1), faults.Shape{Nodes: 3, Duration: 10 * time.Second})
	require.NoError(t, err)
	for _, ok := range []string{"", "  ", "none", "unreliable", "partitions", "crashes", "swarm", " swarm ", string(plan.JSON())} {
		require.NoError(t, faults.CheckSpec(ok), "%q", ok)
	}
	for _, bad := range []string{"chaos", "Swarm", "{", `{"nodes": 1, "actions": [{"at": 0, "kind": "crash", "nodes": [1]}]}`} {
		require.Error(t, faults.CheckSpec(bad), "%q", bad)
	}
	require.ErrorContains(t, faults.CheckSpec("chaos"), "known: crashes, none")
}

func TestFromOptions(t *testing.T) {
	shape := faults.Shape{Nodes: 3, Duration: 10 * time.Second, Base: netsim.Reliable()}
	world := func(spec string) *sim.World { return sim.NewWorld(sim.Options{Seed: 99, Faults: spec}) }

	p, err := faults.FromOptions(world(""), shape)
	require.NoError(t, err)
	require.Equal(t, faults.Plan{Profile: "none", Nodes: 3}, p)

	p, err = faults.FromOptions(world("swarm"), shape)
	require.NoError(t, err)
	want, err := faults.Generate("swarm", sim.NewRand(99).Fork("faults/swarm"), shape)
	require.NoError(t, err)
	require.Equal(t, want, p, "a profile draws from the run's stream faults/<profile>")
	p2, _ := faults.FromOptions(world("swarm"), shape)
	require.Equal(t, p, p2)

	p, err = faults.FromOptions(world(string(want.JSON())), shape)
	require.NoError(t, err)
	require.Equal(t, want, p, "a JSON plan is replayed as is")

	_, err = faults.FromOptions(world(string(want.JSON())), faults.Shape{Nodes: 5})
	require.ErrorContains(t, err, "nodes is 3, the scenario has 5")
	require.ErrorIs(t, err, sim.ErrBadInput)
	_, err = faults.FromOptions(world("chaos"), shape)
	require.Error(t, err)
	_, err = faults.FromOptions(world(`{"nodes": 3, "bogus": 1}`), shape)
	require.Error(t, err)
}

func TestPlanJSONIsReadable(t *testing.T) {
	plan := faults.Plan{Profile: "p", Nodes: 2, Actions: []faults.Action{{At: time.Second, Kind: faults.Crash, Nodes: []int{1}}}}
	var generic map[string]any
	require.NoError(t, json.Unmarshal(plan.JSON(), &generic))
	require.Equal(t, "p", generic["profile"])
	action := generic["actions"].([]any)[0].(map[string]any)
	require.Equal(t, "crash", action["kind"])
	require.Equal(t, "1s", action["at"], "durations are strings")
	require.NotContains(t, action, "groups", "empty fields are omitted")
}
