package faults

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// genSwarm is swarm testing (Groce et al.): rather than every fault at a low
// rate, each seed turns a random subset of fault kinds on, at random rates,
// so a seed range covers many different fault mixes, including the
// lopsided ones that find bugs uniform mixes dilute.
func genSwarm(r *sim.Rand, s Shape) Plan {
	on := func(name string) bool { return r.Fork("swarm/on/" + name).Chance(0.5) }
	var acts []Action

	if on("network") {
		c := s.Base
		c.DelayMax = c.DelayMin + r.Duration(time.Millisecond, 50*time.Millisecond)
		c.DropRequest = r.Float64() * 0.2
		c.DropReply = r.Float64() * 0.2
		c.Duplicate = r.Float64() * 0.1
		c.LongReordering = r.Chance(0.3)
		acts = append(acts, Action{At: 0, Kind: Network, Net: &c})
	}
	if on("disk") {
		all := make([]int, s.Nodes)
		for i := range all {
			all[i] = i
		}
		d := sim.DiskFaults{KeepSomeUnsynced: true, TearLast: r.Chance(0.5)}
		acts = append(acts, Action{At: 0, Kind: Disk, Nodes: all, Disk: &d})
	}
	if on("clock") {
		for i := 0; i < s.Nodes; i++ {
			if r.Chance(0.5) {
				acts = append(acts, Action{At: r.Duration(0, s.Duration), Kind: Clock, Nodes: []int{i},
					Offset: r.Duration(-time.Minute, time.Minute), Drift: (r.Float64() - 0.5) * 0.02})
			}
		}
	}
	if on("partitions") {
		pr := r.Fork("swarm/partitions")
		mean := pr.Duration(300*time.Millisecond, 3*time.Second)
		for at := pr.Exp(mean); at < s.Duration; at += pr.Exp(mean) {
			switch pr.IntN(4) {
			case 0:
				acts = append(acts, Action{At: at, Kind: Partition, Groups: randomHalves(pr, s.Nodes)})
			case 1:
				acts = append(acts, Action{At: at, Kind: Isolate, Nodes: []int{pr.IntN(s.Nodes)}})
			case 2:
				from, to := pr.IntN(s.Nodes), pr.IntN(s.Nodes)
				if from != to {
					acts = append(acts, Action{At: at, Kind: OneWay, From: from, To: to})
				}
			default:
				acts = append(acts, Action{At: at, Kind: IsolateLdr})
			}
			if pr.Chance(0.5) {
				acts = append(acts, Action{At: at + pr.Exp(mean), Kind: Heal})
			}
		}
	}
	if on("crashes") {
		cr := r.Fork("swarm/crashes")
		mean := cr.Duration(500*time.Millisecond, 4*time.Second)
		acts = append(acts, crashSchedule(cr, s,
			func() time.Duration { return cr.Exp(mean) + time.Millisecond },
			func() time.Duration { return cr.Duration(10*time.Millisecond, 3*time.Second) })...)
	}
	if on("pauses") {
		pr := r.Fork("swarm/pauses")
		mean := pr.Duration(time.Second, 5*time.Second)
		for at := pr.Exp(mean); at < s.Duration; at += pr.Exp(mean) {
			n := pr.IntN(s.Nodes)
			back := at + pr.Duration(50*time.Millisecond, 2*time.Second)
			acts = append(acts, Action{At: at, Kind: Pause, Nodes: []int{n}})
			if back < s.Duration {
				acts = append(acts, Action{At: back, Kind: Resume, Nodes: []int{n}})
			}
		}
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
