package shrink_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/faults/shrink"
	"github.com/lockstep-dst/lockstep/sim"
)

// A run that fails whenever node 2 crashes (a stand-in for a scenario run
// under the plan) shrinks from a plan of six faults to the one crash.
func ExampleShrink() {
	at := func(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }
	plan := faults.Plan{Profile: "hand", Nodes: 3, Until: at(5000), Actions: []faults.Action{
		{At: at(100), Kind: faults.Pause, Nodes: []int{0}},
		{At: at(300), Kind: faults.Resume, Nodes: []int{0}},
		{At: at(1000), Kind: faults.Crash, Nodes: []int{1, 2}},
		{At: at(1500), Kind: faults.Isolate, Nodes: []int{0}},
		{At: at(2000), Kind: faults.Heal},
		{At: at(2500), Kind: faults.Restart, Nodes: []int{1, 2}},
		{At: at(5000), Kind: faults.Heal},
		{At: at(5000), Kind: faults.Restart, Nodes: []int{0, 1, 2}},
	}}
	run := func(p faults.Plan, _ map[string]int) sim.Result {
		for _, a := range p.Actions {
			if a.Kind == faults.Crash && slices.Contains(a.Nodes, 2) {
				return sim.Result{Outcome: sim.Fail, Failure: &sim.Failure{Check: "demo/lost-write", At: at(4000), Err: errors.New("lost")}}
			}
		}
		return sim.Result{Outcome: sim.Pass}
	}
	res := shrink.Shrink(context.Background(), plan, run(plan, nil), run, shrink.Options{})
	fmt.Printf("%d -> %d fault actions in %d runs, still failing %s\n", res.Before, res.After, res.Runs, res.Target)
	fmt.Print(res.Plan)
	// Output:
	// 6 -> 1 fault actions in 7 runs, still failing fail on demo/lost-write
	// fault plan "hand" for 3 nodes, faults until 5s:
	//          1s crash [2]
	//          5s heal
	//          5s restart [0 1 2]
}
