package mapreduce

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/sim"
)

// Planted bugs: the Swarm job with a deliberately broken coordinator or worker (the bugs
// of Config), registered as mapreduce/planted/<Bug> so that users can grade checkers and
// tools (simrun shrink) against a bug known to be there. They are expected to fail, and
// '*' does not match them (sim.Match): `simrun run -scenario 'mapreduce/planted/*'` runs
// them.

// plantedBugs are the broken configurations, each with what is broken.
var plantedBugs = []struct {
	name, bug string
	bugs      bugs
}{
	{"InPlace", "workers write output files in place under their final name instead of writing a temporary " +
		"file and renaming it, so a file is read half-written, or left so by a worker that dies mid-write",
		bugs{inPlace: true}},
	{"NoReissue", "the coordinator never hands a timed-out task out again, so a task held by a dead or " +
		"partitioned worker is never done",
		bugs{noReissue: true}},
}

func init() {
	var swarm job
	for _, j := range jobs {
		if j.name == "Swarm" {
			swarm = j
		}
	}
	if swarm.name == "" {
		panic("mapreduce: no Swarm job to plant a bug in")
	}
	for _, b := range plantedBugs {
		s := swarm.scenario(Config{bugs: b.bugs})
		s.Name = "mapreduce/planted/" + b.name
		s.Description = fmt.Sprintf("mapreduce/Swarm with a planted bug (expected to fail): %s", b.bug)
		s.Planted = b.bug
		sim.Register(s)
	}
}
