package faults_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestPlanWithNamesAndStringDurations: the form a person writes. Durations
// are strings, nodes are named, and the parsed plan is the one written with
// indices and time.Durations.
func TestPlanWithNamesAndStringDurations(t *testing.T) {
	p, err := faults.ParsePlan([]byte(`{
	  "profile": "hand",
	  "nodes": ["raft0", "raft1", "raft2"],
	  "until": "4s",
	  "actions": [
	    {"at": "0s", "kind": "network", "net": {"DelayMin": "1ms", "DelayMax": "26ms", "DropRequest": 0.1}},
	    {"at": "500ms", "kind": "crash", "nodes": ["raft1"]},
	    {"at": "1.5s", "kind": "partition", "groups": [["raft0"], ["raft1", "raft2"]]},
	    {"at": "2s", "kind": "one-way", "from": "raft2", "to": "raft0"},
	    {"at": "2s", "kind": "clock", "nodes": ["raft0"], "offset": "-30s", "drift": 0.001},
	    {"at": "4s", "kind": "heal"}
	  ]}`))
	require.NoError(t, err)
	c := netsim.Conditions{DelayMin: time.Millisecond, DelayMax: 26 * time.Millisecond, DropRequest: 0.1}
	want := faults.Plan{Profile: "hand", Nodes: 3, Names: []string{"raft0", "raft1", "raft2"}, Until: 4 * time.Second,
		Actions: []faults.Action{
			{At: 0, Kind: faults.Network, Net: &c},
			{At: 500 * time.Millisecond, Kind: faults.Crash, Nodes: []int{1}},
			{At: 1500 * time.Millisecond, Kind: faults.Partition, Groups: [][]int{{0}, {1, 2}}},
			{At: 2 * time.Second, Kind: faults.OneWay, From: 2, To: 0},
			{At: 2 * time.Second, Kind: faults.Clock, Nodes: []int{0}, Offset: -30 * time.Second, Drift: 0.001},
			{At: 4 * time.Second, Kind: faults.Heal},
		}}
	require.Equal(t, want, p)
	roundTrip(t, p)

	// Printed, it names the nodes and spells the durations.
	out := string(p.JSON())
	for _, s := range []string{`"nodes": [`, `"raft1"`, `"at": "1.5s"`, `"from": "raft2"`, `"offset": "-30s"`, `"DelayMax": "26ms"`} {
		require.Contains(t, out, s)
	}
	require.Contains(t, p.String(), "one-way raft2->raft0")
	require.Contains(t, p.String(), "partition [[raft0] [raft1 raft2]]")
}

// TestPlanAcceptsNanosecondIntegers: plans written before durations were
// strings (integers of nanoseconds, nodes by index) still load, as the same
// plan.
func TestPlanAcceptsNanosecondIntegers(t *testing.T) {
	old, err := faults.ParsePlan([]byte(`{"profile": "hand", "nodes": 3, "until": 2000000000, "actions": [
		{"at": 0, "kind": "network", "net": {"DelayMax": 26000000, "DropReply": 0.1}},
		{"at": 1500000000, "kind": "crash", "nodes": [2]},
		{"at": 1500000000, "kind": "clock", "nodes": [1], "offset": -1000}]}`))
	require.NoError(t, err)
	readable, err := faults.ParsePlan([]byte(`{"profile": "hand", "nodes": 3, "until": "2s", "actions": [
		{"at": "0s", "kind": "network", "net": {"DelayMax": "26ms", "DropReply": 0.1}},
		{"at": "1.5s", "kind": "crash", "nodes": [2]},
		{"at": "1.5s", "kind": "clock", "nodes": [1], "offset": "-1µs"}]}`))
	require.NoError(t, err)
	require.Equal(t, old, readable)
}

// TestPlanNameErrors: a name the plan does not list is an error naming it
// and listing the plan's nodes; names without a list of nodes, a list with a
// duplicate or an empty name, and a malformed duration are errors too, all
// matching sim.ErrBadInput.
func TestPlanNameErrors(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"unknown name", `{"nodes": ["a", "b"], "until": "1s", "actions": [{"at": "0s", "kind": "crash", "nodes": ["c"]}]}`,
			`actions[0] (crash): nodes[0]: unknown node "c" (the plan's nodes: a, b)`},
		{"unknown name in a group", `{"nodes": ["a", "b"], "until": "1s", "actions": [{"at": "0s", "kind": "partition", "groups": [["a"], ["bb"]]}]}`,
			`groups[1][0]: unknown node "bb"`},
		{"unknown one-way end", `{"nodes": ["a", "b"], "until": "1s", "actions": [{"at": "0s", "kind": "one-way", "from": "a", "to": "z"}]}`,
			`to: unknown node "z"`},
		{"names without a list", `{"nodes": 2, "until": "1s", "actions": [{"at": "0s", "kind": "crash", "nodes": ["a"]}]}`,
			`names node "a", but the plan lists no node names`},
		{"duplicate name", `{"nodes": ["a", "a"], "actions": []}`, `nodes[1] "a" is nodes[0] again`},
		{"empty name", `{"nodes": ["a", ""], "actions": []}`, `nodes[1] is an empty name`},
		{"bad duration", `{"nodes": 2, "until": "1 second", "actions": []}`, `duration "1 second": want a number with a unit`},
		{"duration without unit", `{"nodes": 2, "until": "1000", "actions": []}`, `duration "1000"`},
		{"fractional nanoseconds", `{"nodes": 2, "until": 1.5, "actions": []}`, `duration 1.5`},
		{"node as a float", `{"nodes": 2, "actions": [{"at": 0, "kind": "crash", "nodes": [1.0]}]}`, `node 1.0`},
		{"nodes as an object", `{"nodes": {"a": 1}, "actions": []}`, `nodes {"a": 1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := faults.ParsePlan([]byte(tt.json))
			require.ErrorContains(t, err, tt.want)
			require.ErrorIs(t, err, sim.ErrBadInput)
			require.True(t, strings.HasPrefix(err.Error(), "fault plan: "), err.Error())
		})
	}
}

// TestDurationsRoundTripExactly: every duration a plan can hold prints as a
// string that parses back to the same nanosecond.
func TestDurationsRoundTripExactly(t *testing.T) {
	r := sim.NewRand(5)
	for i := 0; i < 2000; i++ {
		d := r.Duration(-faults.MaxTime, faults.MaxTime)
		if i%3 == 0 {
			d = time.Duration(r.IntN(1_000_000)) // short ones with odd digits
		}
		p := faults.Plan{Nodes: 1, Until: faults.MaxTime, Actions: []faults.Action{
			{At: max(d, -d), Kind: faults.Clock, Nodes: []int{0}, Offset: d / 10_000}}}
		var back faults.Plan
		require.NoError(t, json.Unmarshal(p.JSON(), &back))
		require.Equal(t, p.Actions, back.Actions, "%s", p.JSON())
	}
}

// TestConditionsJSONMirrorsNetsim: the readable form of a network action has
// one field per field of netsim.Conditions, so a field netsim adds cannot be
// silently dropped from plans: this test fails until the mirror has it.
func TestConditionsJSONMirrorsNetsim(t *testing.T) {
	var c netsim.Conditions
	v := reflect.ValueOf(&c).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Float64:
			f.SetFloat(0.25 + float64(i)/100)
		case reflect.Int64:
			f.SetInt(int64(i+1) * int64(time.Millisecond))
		default:
			t.Fatalf("netsim.Conditions.%s has kind %v, unknown to this test and to faults' JSON form", v.Type().Field(i).Name, f.Kind())
		}
	}
	p := faults.Plan{Nodes: 1, Until: time.Second, Actions: []faults.Action{{Kind: faults.Network, Net: &c}}}
	var generic map[string]any
	require.NoError(t, json.Unmarshal(p.JSON(), &generic))
	net := generic["actions"].([]any)[0].(map[string]any)["net"].(map[string]any)
	require.Len(t, net, v.NumField(), "one JSON field per netsim.Conditions field: %v", net)
	var back faults.Plan
	require.NoError(t, json.Unmarshal(p.JSON(), &back))
	require.Equal(t, c, *back.Actions[0].Net)
}
