package ctrler_test

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
)

// Rebalance keeps every shard it can where it is: a group joining takes shards only from
// groups above their new share (their highest-numbered ones), and the shards of a group
// that leaves go to the groups below their share, in ascending order.
func ExampleRebalance() {
	two := ctrler.Rebalance([ctrler.NShards]int{}, []int{1, 2})
	fmt.Println(two)
	three := ctrler.Rebalance(two, []int{3, 1, 2}) // the order of the GIDs does not matter
	fmt.Println(three)
	fmt.Println(ctrler.Rebalance(three, []int{1, 3})) // group 2 leaves
	// Output:
	// [1 1 1 1 1 2 2 2 2 2]
	// [1 1 1 1 3 2 2 2 3 3]
	// [1 1 1 1 3 1 3 3 3 3]
}
