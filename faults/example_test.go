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
