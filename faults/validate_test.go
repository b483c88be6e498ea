package faults_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestParsePlanRejectsBadInput: every malformed or out-of-bounds plan is a
// one-line error naming the field, matching sim.ErrBadInput so that a runner
// reports a usage error (exit 2) rather than a failing seed.
func TestParsePlanRejectsBadInput(t *testing.T) {
	net := func(field string) string {
		return `{"nodes": 3, "until": 1000, "actions": [{"at": 0, "kind": "network", "net": {` + field + `}}]}`
	}
	act := func(action string) string {
		return `{"nodes": 3, "until": 1000, "actions": [` + action + `]}`
	}
	tests := []struct{ name, json, want string }{
		{"empty", ``, "empty"},
		{"blank", " \n\t ", "empty"},
		{"null", "null", "not a JSON object"},
		{"array", "[]", "not a JSON object"},
		{"data after the plan", `{"nodes": 3} {"nodes": 4}`, "data after the plan object at byte 13"},
		{"garbage after the plan", `{"nodes": 3} x`, "after the plan"},
		{"duplicate top-level key", `{"nodes": 3, "nodes": 4}`, `duplicate key "nodes"`},
		{"duplicate key in another case", `{"nodes": 3, "Nodes": 4}`, `duplicate key "Nodes"`},
		{"duplicate action key", act(`{"at": 0, "kind": "crash", "nodes": [0], "nodes": [1]}`), `duplicate key "nodes" in the plan.actions[0]`},
		{"duplicate net key", net(`"DropRequest": 0.1, "DropRequest": 0.2`), `duplicate key "DropRequest"`},
		{"drop probability 7", net(`"DropRequest": 7`), "DropRequest 7 is not a probability"},
		{"drop probability -3", net(`"DropReply": -3`), "DropReply -3 is not a probability"},
		{"duplicate probability", net(`"Duplicate": 1.01`), "Duplicate"},
		{"late duplicate probability", net(`"LateDuplicate": 2`), "LateDuplicate"},
		{"long delay probability", net(`"LongDelayRequest": -1`), "LongDelayRequest"},
		{"negative delay", net(`"DelayMin": -5`), "DelayMin"},
		{"absurd delay", net(`"DelayMax": 360000000000000`), "DelayMax"},
		{"negative fail delay", net(`"FailDelay": -1`), "FailDelay"},
		{"negative until", `{"nodes": 3, "until": -1}`, "until -1ns"},
		{"absurd until", `{"nodes": 3, "until": 9000000000000000000}`, "until"},
		{"negative nodes", `{"nodes": -3}`, "nodes -3"},
		{"absurd nodes", `{"nodes": 100000000}`, "nodes 100000000"},
		{"negative at", act(`{"at": -1, "kind": "heal"}`), "at -1ns"},
		{"at after until", act(`{"at": 1001, "kind": "heal"}`), "until"},
		{"drift -1", act(`{"at": 0, "kind": "clock", "nodes": [0], "drift": -1}`), "drift -1"},
		{"drift below -1", act(`{"at": 0, "kind": "clock", "nodes": [0], "drift": -7}`), "drift -7"},
		{"absurd drift", act(`{"at": 0, "kind": "clock", "nodes": [0], "drift": 1e300}`), "drift 1e+300"},
		{"absurd offset", act(`{"at": 0, "kind": "clock", "nodes": [0], "offset": 9000000000000000000}`), "offset"},
		{"absurd negative offset", act(`{"at": 0, "kind": "clock", "nodes": [0], "offset": -9000000000000000000}`), "offset"},
		{"negative from", act(`{"at": 0, "kind": "one-way", "from": -1, "to": 0}`), "from names node -1"},
		{"negative to", act(`{"at": 0, "kind": "one-way", "from": 1, "to": -2}`), "to names node -2"},
		{"negative group node", act(`{"at": 0, "kind": "partition", "groups": [[0], [-1]]}`), "groups[1][0] names node -1"},
		{"node in two groups", act(`{"at": 0, "kind": "partition", "groups": [[0, 1], [1, 2]]}`), "node 1 is already in groups[0]"},
		{"isolate two", act(`{"at": 0, "kind": "isolate", "nodes": [0, 1]}`), "isolate takes one"},
		{"field of another kind", act(`{"at": 0, "kind": "crash", "nodes": [0], "drift": 0.5}`), "field drift does not apply to crash"},
		{"net on a heal", act(`{"at": 0, "kind": "heal", "net": {}}`), "field net does not apply to heal"},
		{"unknown net field", net(`"Loss": 0.5`), `unknown field "Loss"`},
		{"reorder without keep", act(`{"at": 0, "kind": "disk", "nodes": [0], "disk": {"Reorder": true}}`), "reorder needs keep-some-unsynced"},
		{"unknown disk field", act(`{"at": 0, "kind": "disk", "nodes": [0], "disk": {"Shred": true}}`), `unknown field "Shred"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := faults.ParsePlan([]byte(tt.json))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.True(t, strings.HasPrefix(err.Error(), "fault plan: "), err.Error())
			require.NotContains(t, err.Error(), "\n", "not one line")
			require.ErrorIs(t, err, sim.ErrBadInput)
			if strings.TrimSpace(tt.json) != "" { // CheckSpec("") is "no faults" on a command line
				require.ErrorIs(t, faults.CheckSpec(tt.json), sim.ErrBadInput, "CheckSpec accepts what ParsePlan rejects")
			}
		})
	}
}

// TestValidateRejectsNonFinite: values JSON cannot carry but a plan built in
// code can.
func TestValidateRejectsNonFinite(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		p := faults.Plan{Nodes: 2, Until: time.Second, Actions: []faults.Action{{Kind: faults.Clock, Nodes: []int{0}, Drift: v}}}
		require.ErrorIs(t, p.Validate(), sim.ErrBadInput, "drift %v", v)
		c := netsim.Reliable()
		c.Duplicate = v
		p = faults.Plan{Nodes: 2, Until: time.Second, Actions: []faults.Action{{Kind: faults.Network, Net: &c}}}
		require.ErrorContains(t, p.Validate(), "net.Duplicate", "duplicate %v", v)
	}
	ok := faults.Plan{Nodes: 2, Until: time.Second, Actions: []faults.Action{
		{Kind: faults.Clock, Nodes: []int{0}, Drift: sim.MaxClockDrift, Offset: -sim.MaxClockOffset},
		{Kind: faults.Clock, Nodes: []int{1}, Drift: -sim.MaxClockDrift, Offset: sim.MaxClockOffset}}}
	require.NoError(t, ok.Validate(), "the bounds themselves are valid")
	for _, d := range []float64{sim.MaxClockDrift + 0.001, -sim.MaxClockDrift - 0.001} {
		bad := faults.Plan{Nodes: 2, Until: time.Second, Actions: []faults.Action{{Kind: faults.Clock, Nodes: []int{0}, Drift: d}}}
		require.ErrorIs(t, bad.Validate(), sim.ErrBadInput, "drift %v: the kernel would refuse it", d)
	}
}

// TestInstallRejectsNodesTheTargetLacks: a plan for no particular size
// (nodes 0) naming a node the cluster does not have is the user's error,
// named by action and field, and installs nothing.
func TestInstallRejectsNodesTheTargetLacks(t *testing.T) {
	for _, a := range []faults.Action{
		{At: time.Second, Kind: faults.Crash, Nodes: []int{0, 3}},
		{At: time.Second, Kind: faults.Partition, Groups: [][]int{{0, 1}, {5}}},
		{At: time.Second, Kind: faults.OneWay, From: 1, To: 3},
	} {
		tg, _ := target(1, 3, nil)
		plan := faults.Plan{Until: 2 * time.Second, Actions: []faults.Action{{At: 0, Kind: faults.Heal}, a}}
		err := faults.Install(tg, plan)
		require.Error(t, err, "%v", a)
		require.ErrorIs(t, err, sim.ErrBadInput)
		require.Contains(t, err.Error(), "actions[1] ("+string(a.Kind)+")")
		require.Contains(t, err.Error(), "the plan has 3 nodes")
		require.Nil(t, tg.World.Run())
		for _, n := range tg.Nodes {
			require.True(t, n.Up(), "an action of a rejected plan ran")
		}
	}
}

// TestFromOptionsErrorsAreBadInput: whatever the user put in -faults that
// does not fit is a usage error.
func TestFromOptionsErrorsAreBadInput(t *testing.T) {
	shape := faults.Shape{Nodes: 3, Duration: 10 * time.Second, Base: netsim.Reliable()}
	for _, spec := range []string{"chaos", `{"nodes": 5}`, `{"nodes": 3, "until": -1}`, `{"nodes": 3} {}`} {
		_, err := faults.FromOptions(sim.NewWorld(sim.Options{Seed: 1, Faults: spec}), shape)
		require.ErrorIs(t, err, sim.ErrBadInput, "%q", spec)
	}
	var pe *faults.PlanError
	_, err := faults.ParsePlan([]byte(`{"nodes": -1}`))
	require.True(t, errors.As(err, &pe))
}

// TestParsePlanEndsOnBadTokens: malformed JSON inside an array or object is
// an error, not a hang (the duplicate-key walk once looped on it; found by
// FuzzParsePlan).
func TestParsePlanEndsOnBadTokens(t *testing.T) {
	for _, text := range []string{
		`{"nodes": ["x", "y"], "until": "1m", "actions": [{"at": "1s", "kind": "one-way", "from": "x t"o,"": 1}]}`,
		`{"actions": [1, x]}`,
		`{"actions": [{"a": 1} {"b": 2}]}`,
		`{"nodes": [1 2]}`,
	} {
		_, err := faults.ParsePlan([]byte(text))
		require.ErrorIs(t, err, sim.ErrBadInput, text)
	}
}
