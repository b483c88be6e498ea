package mapreduce_test

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/mapreduce"
	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/sim"
)

// The sequential reference computes what a distributed run must output.
func ExampleSequential() {
	wc, _ := apps.Lookup("wc")
	out := mapreduce.Sequential(wc, []mapreduce.InputFile{
		{Name: "a.txt", Data: []byte("the cat and the hat")},
		{Name: "b.txt", Data: []byte("The end.")},
	})
	fmt.Print(string(out))
	// Output:
	// The 1
	// and 1
	// cat 1
	// end 1
	// hat 1
	// the 2
}

// A scenario is one seeded run of a test-mr.sh check; the same seed always
// gives the same run.
func Example_scenario() {
	s, _ := sim.Lookup("mapreduce/wc")
	res := sim.RunScenario(s, sim.Options{Seed: 1})
	fmt.Println(res.Outcome, res.Virtual)
	// Output: pass 4s
}
