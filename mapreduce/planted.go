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
//
// NoReissue runs without the Swarm job's own scripted faults (a worker crashed at its n-th
// write, one paused past the task timeout), which alone catch it on every seed: there
// every fault is in the fault plan, so a failure names, in the plan, the faults that
// found it, and simrun shrink reduces the plan to them. InPlace keeps them: a crash
// mid-write is what finds it, and only the script lands one at a chosen write (a plan's
// crash at a time of its own found it on none of 30 seeds), so its plan shrinks to nothing
// and the script's crash remains.

// plantedBugs are the broken configurations, each with what is broken.
var plantedBugs = []struct {
	name, bug string
	bugs      bugs
	scripted  bool // with the Swarm job's scripted faults
}{
	{"InPlace", "workers write output files in place under their final name instead of writing a temporary " +
		"file and renaming it, so a file is read half-written, or left so by a worker that dies mid-write",
		bugs{inPlace: true}, true},
	{"NoReissue", "the coordinator never hands a timed-out task out again, so a task held by a dead or " +
		"partitioned worker is never done",
		bugs{noReissue: true}, false},
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
		j, how := swarm, "mapreduce/Swarm"
		if !b.scripted {
			j.script, how = nil, "mapreduce/Swarm without its scripted faults (the plan's only)"
		}
		s := j.scenario(Config{bugs: b.bugs})
		s.Name = "mapreduce/planted/" + b.name
		s.Description = fmt.Sprintf("%s with a planted bug (expected to fail): %s", how, b.bug)
		s.Planted = b.bug
		sim.Register(s)
	}
}
