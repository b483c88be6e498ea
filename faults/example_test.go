package faults_test

import (
	"errors"
	"fmt"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

// A plan is user input: ParsePlan checks it whole, and a bad one is a
// one-line error naming the field, which runners report as a usage error.
func ExampleParsePlan() {
	plan, err := faults.ParsePlan([]byte(`{"profile": "hand", "nodes": 3, "until": 2000000000, "actions": [
		{"at": 0, "kind": "crash", "nodes": [2]},
		{"at": 1000000000, "kind": "restart", "nodes": [2]}]}`))
	fmt.Println(len(plan.Actions), err)

	_, err = faults.ParsePlan([]byte(`{"nodes": 3, "until": 1000, "actions": [
		{"at": 0, "kind": "network", "net": {"DropRequest": 7}}]}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, sim.ErrBadInput))
	// Output:
	// 2 <nil>
	// fault plan: actions[0] (network): net.DropRequest 7 is not a probability in [0, 1]
	// true
}

// Plans name their nodes and spell their durations; JSON prints one action
// per line, ready to edit.
func ExamplePlan_JSON() {
	plan, err := faults.ParsePlan([]byte(`{"profile": "hand", "nodes": ["raft0", "raft1", "raft2"], "until": "2s",
		"actions": [{"at": "500ms", "kind": "crash", "nodes": ["raft1"]},
		            {"at": "1.5s", "kind": "partition", "groups": [["raft0"], ["raft1", "raft2"]]},
		            {"at": "2s", "kind": "heal"}]}`))
	fmt.Println(err)
	fmt.Println(string(plan.JSON()))
	fmt.Print(plan)
	// Output:
	// <nil>
	// {
	//   "profile": "hand",
	//   "nodes": ["raft0", "raft1", "raft2"],
	//   "until": "2s",
	//   "actions": [
	//     {"at": "500ms", "kind": "crash", "nodes": ["raft1"]},
	//     {"at": "1.5s", "kind": "partition", "groups": [["raft0"], ["raft1", "raft2"]]},
	//     {"at": "2s", "kind": "heal"}
	//   ]
	// }
	// fault plan "hand" for 3 nodes, faults until 2s:
	//       500ms crash [raft1]
	//        1.5s partition [[raft0] [raft1 raft2]]
	//          2s heal
}

// A profile's parameters follow its name: PROFILE:NAME=VALUE,...
func ExampleParseSpec() {
	spec, err := faults.ParseSpec("crashes:maxdown=1")
	fmt.Println(spec, err)
	fmt.Println(spec.Args.MaxDown("maxdown").Of(4), spec.Args.Range("every"))
	_, err = faults.ParseSpec("crashes:maxdown=most")
	fmt.Println(err)
	// Output:
	// crashes:maxdown=1 <nil>
	// 1 500ms..2s
	// fault profile crashes: maxdown=most: want majority (keep a majority up), all, or a number of nodes
}
