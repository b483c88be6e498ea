package faults

import (
	"slices"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// genSwarm is swarm testing (Groce et al.): rather than every fault at a low
// rate, each seed turns a random subset of fault kinds on, at random rates,
// so a seed range covers many different fault mixes, including the
// lopsided ones that find bugs uniform mixes dilute.
//
// Its parameters narrow the mix without changing the draws of what stays:
// only= leaves the other sections off, always= skips their on/off draw, and
// maxdown= bounds the crashes section. Each section draws from its own
// stream, so the plan of swarm:only=crashes is the crashes of the plan of
// swarm, when the seed turned crashes on.
func genSwarm(r *sim.Rand, s Shape, args Args) Plan {
	return swarmPlan(r, s, swarmConfig{
		only:    args.Set("only"),
		always:  args.Set("always"),
		maxDown: args.MaxDown("maxdown").Of(s.Nodes),
	})
}

// swarmConfig narrows the swarm profile.
type swarmConfig struct {
	only, always []string // section names
	maxDown      int      // nodes down at once
}

// swarmSection is one fault kind of the swarm profile. Whether it is on is
// drawn from the stream "swarm/on/<name>" and its actions from
// "swarm/<name>", so that no section's draws depend on another's: dropping
// one section (as a shrinker would) leaves the others' actions exactly as
// they were.
type swarmSection struct {
	name string
	gen  func(r *sim.Rand, s Shape, c swarmConfig) []Action
}

func swarmSectionNames() []string {
	names := make([]string, len(swarmSections))
	for i, sec := range swarmSections {
		names[i] = sec.name
	}
	return names
}

var swarmSections = []swarmSection{
	{"network", swarmNetwork},
	{"disk", swarmDisk},
	{"clock", swarmClock},
	{"partitions", swarmPartitions},
	{"crashes", swarmCrashes},
	{"pauses", swarmPauses},
}

// swarmPlan draws the swarm plan of the sections c allows.
func swarmPlan(r *sim.Rand, s Shape, c swarmConfig) Plan {
	var acts []Action
	for _, sec := range swarmSections {
		if !slices.Contains(c.only, sec.name) {
			continue
		}
		if !slices.Contains(c.always, sec.name) && !r.Fork("swarm/on/"+sec.name).Chance(0.5) {
			continue
		}
		acts = append(acts, sec.gen(r.Fork("swarm/"+sec.name), s, c)...)
	}
	var kept []Action
	for _, a := range acts {
		if a.At < s.Duration {
			kept = append(kept, a)
		}
	}
	sortActions(kept)
	return Plan{Actions: append(kept, healAll(s.Duration, s)...)}
}

// swarmNetwork sets loss, delay and duplication rates, long reordering of
// replies, and (each with probability 1/2) long-delayed requests and late
// duplicates of requests: the stale AppendEntries or InstallSnapshot that
// reaches a follower after newer ones.
func swarmNetwork(r *sim.Rand, s Shape, _ swarmConfig) []Action {
	c := s.Base
	c.DelayMax = c.DelayMin + r.Duration(time.Millisecond, 50*time.Millisecond)
	c.DropRequest = r.Float64() * 0.2
	c.DropReply = r.Float64() * 0.2
	c.Duplicate = r.Float64() * 0.1
	c.LongReordering = r.Chance(0.3)
	if r.Chance(0.5) {
		c.LongDelayRequest = r.Float64() * 0.1
	}
	if r.Chance(0.5) {
		c.LateDuplicate = r.Float64() * 0.1
	}
	return []Action{{At: 0, Kind: Network, Net: &c}}
}

// swarmDisk makes every node's crashes keep a seeded subset of its unsynced
// operations (in any order across files: Reorder), maybe tearing a write,
// and one node's crashes also corrupt synced data. Only one: the systems
// halt a peer whose synced data is corrupt, so corrupting a majority would
// make liveness impossible; with fewer than three nodes one is not a
// minority, and none is corrupted.
func swarmDisk(r *sim.Rand, s Shape, _ swarmConfig) []Action {
	d := sim.DiskFaults{KeepSomeUnsynced: true, TearLast: r.Chance(0.5), Reorder: true}
	victim := -1
	if s.Nodes >= 3 {
		victim = r.IntN(s.Nodes)
	}
	var rest []int
	for i := 0; i < s.Nodes; i++ {
		if i != victim {
			rest = append(rest, i)
		}
	}
	acts := []Action{{At: 0, Kind: Disk, Nodes: rest, Disk: &d}}
	if victim >= 0 {
		c := d
		c.Corrupt = true
		acts = append(acts, Action{At: 0, Kind: Disk, Nodes: []int{victim}, Disk: &c})
	}
	return acts
}

func swarmClock(r *sim.Rand, s Shape, _ swarmConfig) []Action {
	var acts []Action
	for i := 0; i < s.Nodes; i++ {
		if r.Chance(0.5) {
			acts = append(acts, Action{At: r.Duration(0, s.Duration), Kind: Clock, Nodes: []int{i},
				Offset: r.Duration(-time.Minute, time.Minute), Drift: (r.Float64() - 0.5) * 0.02})
		}
	}
	return acts
}

func swarmPartitions(r *sim.Rand, s Shape, _ swarmConfig) []Action {
	var acts []Action
	mean := r.Duration(300*time.Millisecond, 3*time.Second)
	for at := r.Exp(mean); at < s.Duration; at += r.Exp(mean) {
		switch r.IntN(4) {
		case 0:
			acts = append(acts, Action{At: at, Kind: Partition, Groups: randomHalves(r, s.Nodes)})
		case 1:
			acts = append(acts, Action{At: at, Kind: Isolate, Nodes: []int{r.IntN(s.Nodes)}})
		case 2:
			from, to := r.IntN(s.Nodes), r.IntN(s.Nodes)
			if from != to {
				acts = append(acts, Action{At: at, Kind: OneWay, From: from, To: to})
			}
		default:
			acts = append(acts, Action{At: at, Kind: IsolateLdr})
		}
		if r.Chance(0.5) {
			acts = append(acts, Action{At: at + r.Exp(mean), Kind: Heal})
		}
	}
	return acts
}

func swarmCrashes(r *sim.Rand, s Shape, c swarmConfig) []Action {
	mean := r.Duration(500*time.Millisecond, 4*time.Second)
	return crashSchedule(r, s, c.maxDown,
		func() time.Duration { return r.Exp(mean) + time.Millisecond },
		func() time.Duration { return r.Duration(10*time.Millisecond, 3*time.Second) })
}

func swarmPauses(r *sim.Rand, s Shape, _ swarmConfig) []Action {
	var acts []Action
	mean := r.Duration(time.Second, 5*time.Second)
	for at := r.Exp(mean); at < s.Duration; at += r.Exp(mean) {
		n := r.IntN(s.Nodes)
		back := at + r.Duration(50*time.Millisecond, 2*time.Second)
		acts = append(acts, Action{At: at, Kind: Pause, Nodes: []int{n}})
		if back < s.Duration {
			acts = append(acts, Action{At: back, Kind: Resume, Nodes: []int{n}})
		}
	}
	return acts
}
