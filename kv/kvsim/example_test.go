package kvsim_test

import (
	"fmt"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/kv/kvsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// A cluster in a world of its own: three servers, one clerk, a Put and a Get, each going
// through the Raft log, in virtual time.
func ExampleCluster() {
	w := sim.NewWorld(sim.Options{Seed: 1})
	w.Spawn(nil, "main", func(p *sim.Proc) {
		c := kvsim.NewCluster(p, kvsim.Config{}, "example", 3, false, -1)
		ck := c.MakeClient(c.All())
		c.Put(ck, "k", "v")
		fmt.Printf("get(k) = %q after %v of virtual time\n", c.Get(ck, "k"), p.Now().Round(1e8))
		w.Stop()
	})
	if f := w.Run(); f != nil {
		fmt.Println(f)
	}
	// Output: get(k) = "v" after 500ms of virtual time
}

// Every 6.824 Lab 3 test is a scenario; a run is a function of its seed.
func Example() {
	sc, _ := sim.Lookup("kv/OnePartition3A")
	res := sim.RunScenario(sc, sim.Options{Seed: 1})
	fmt.Println(res.Scenario, res.Outcome)
	// Output: kv/OnePartition3A pass
}

// A history where a Get misses a Put that completed before it started. (CheckLinearizable
// would also write porcupine's visualization of it to a file and name it in its error.)
func ExampleModel() {
	h := []porcupine.Operation{
		{ClientId: 0, Input: kvsim.KVInput{Op: kv.OpPut, Key: "k", Value: "a"}, Call: 0, Output: kvsim.KVOutput{}, Return: 10},
		{ClientId: 1, Input: kvsim.KVInput{Op: kv.OpPut, Key: "k", Value: "b"}, Call: 20, Output: kvsim.KVOutput{}, Return: 30},
		{ClientId: 0, Input: kvsim.KVInput{Op: kv.OpGet, Key: "k"}, Call: 40, Output: kvsim.KVOutput{Value: "a"}, Return: 50},
	}
	fmt.Println(kvsim.CheckLinearizable(h[:2], "example", 1, kvsim.Bounds{}))
	fmt.Println(porcupine.CheckOperations(kvsim.Model(), h))
	// Output:
	// <nil>
	// false
}
