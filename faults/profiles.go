package faults

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Shape is what a profile needs to know of a run to plan its faults.
type Shape struct {
	Nodes    int           // target nodes, numbered 0..Nodes-1
	Duration time.Duration // faults happen in [0, Duration); at Duration all is healed
	// Base is the network the scenario runs on when nothing is wrong; plans
	// restore it at the end.
	Base netsim.Conditions
}

// Profile turns a seed into a plan.
type Profile struct {
	Name        string
	Description string
	Generate    func(r *sim.Rand, s Shape) Plan
}

var profiles = map[string]*Profile{}

func register(p *Profile) { profiles[p.Name] = p }

// Lookup returns the profile named name.
func Lookup(name string) (*Profile, bool) {
	p, ok := profiles[name]
	return p, ok
}

// Profiles returns every profile, sorted by name.
func Profiles() []*Profile {
	out := make([]*Profile, 0, len(profiles))
	for _, p := range profiles {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the profile names, for error messages.
func Names() string {
	var names []string
	for _, p := range Profiles() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// Generate makes the plan of the named profile for seed stream r.
func Generate(name string, r *sim.Rand, s Shape) (Plan, error) {
	p, ok := Lookup(name)
	if !ok {
		return Plan{}, unknownProfile(name)
	}
	plan := p.Generate(r, s)
	plan.Profile, plan.Nodes, plan.Until = name, s.Nodes, s.Duration
	if err := plan.Validate(); err != nil {
		// The profile's fault, not the user's: not sim.ErrBadInput.
		return Plan{}, fmt.Errorf("profile %s made an invalid plan: %s", name, err.Error())
	}
	return plan, nil
}

func init() {
	register(&Profile{Name: "none", Description: "no faults beyond the scenario's own",
		Generate: func(*sim.Rand, Shape) Plan { return Plan{} }})
	register(&Profile{Name: "unreliable",
		Description: "labrpc's unreliable network: 0-26 ms delay, 10% of requests and replies lost",
		Generate:    genUnreliable})
	register(&Profile{Name: "unreliable-plus",
		Description: "unreliable, plus long reordering of replies and 5% of requests held 200-2199 ms or delivered again 200-2199 ms later",
		Generate:    genUnreliablePlus})
	register(&Profile{Name: "partitions",
		Description: "6.824's partitioner: every 1 s + 0-199 ms, random halves",
		Generate:    genPartitions})
	register(&Profile{Name: "crashes",
		Description: "crash a random node every 0.5-2 s (a majority stays up), restart it 0.2-2 s later",
		Generate:    genCrashes})
	register(&Profile{Name: "swarm",
		Description: "the seed picks which fault kinds are on and their rates (network, partitions, crashes, pauses, clocks, storage)",
		Generate:    genSwarm})
}

// healAll returns the actions that end every fault at time at.
func healAll(at time.Duration, s Shape) []Action {
	all := make([]int, s.Nodes)
	for i := range all {
		all[i] = i
	}
	base := s.Base
	return []Action{
		{At: at, Kind: Heal},
		{At: at, Kind: Network, Net: &base},
		{At: at, Kind: Resume, Nodes: all},
		{At: at, Kind: Restart, Nodes: all},
	}
}

func genUnreliable(_ *sim.Rand, s Shape) Plan {
	c := netsim.Unreliable()
	c.FailDelay = s.Base.FailDelay
	return Plan{Actions: append([]Action{{At: 0, Kind: Network, Net: &c}}, healAll(s.Duration, s)...)}
}

// genUnreliablePlus is labrpc's unreliable network with the faults labrpc
// lacks on requests: a request held long (a stale AppendEntries or
// InstallSnapshot arriving after newer ones) and a request delivered again
// long after its first copy (the handler runs twice).
func genUnreliablePlus(_ *sim.Rand, s Shape) Plan {
	c := netsim.Unreliable()
	c.FailDelay = s.Base.FailDelay
	c.LongReordering = true
	c.LongDelayRequest = 0.05
	c.LateDuplicate = 0.05
	return Plan{Actions: append([]Action{{At: 0, Kind: Network, Net: &c}}, healAll(s.Duration, s)...)}
}

// randomHalves is 6.824's partitioner: each node flips a coin for its side.
func randomHalves(r *sim.Rand, n int) [][]int {
	var a, b []int
	for i := 0; i < n; i++ {
		if r.Chance(0.5) {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	return [][]int{a, b}
}

func genPartitions(r *sim.Rand, s Shape) Plan {
	var acts []Action
	for at := time.Duration(0); at < s.Duration; at += time.Second + r.Duration(0, 199*time.Millisecond) {
		acts = append(acts, Action{At: at, Kind: Partition, Groups: randomHalves(r, s.Nodes)})
	}
	return Plan{Actions: append(acts, healAll(s.Duration, s)...)}
}

// crashSchedule crashes one node at a time while keeping a majority up.
func crashSchedule(r *sim.Rand, s Shape, every func() time.Duration, downFor func() time.Duration) []Action {
	var acts []Action
	upAgain := make([]time.Duration, s.Nodes) // when each node is back
	maxDown := (s.Nodes - 1) / 2
	for at := every(); at < s.Duration; at += every() {
		down := 0
		var candidates []int
		for i, t := range upAgain {
			if t > at {
				down++
			} else {
				candidates = append(candidates, i)
			}
		}
		if down >= maxDown || len(candidates) == 0 {
			continue
		}
		victim := candidates[r.IntN(len(candidates))]
		back := at + downFor()
		upAgain[victim] = back
		acts = append(acts, Action{At: at, Kind: Crash, Nodes: []int{victim}})
		if back < s.Duration {
			acts = append(acts, Action{At: back, Kind: Restart, Nodes: []int{victim}})
		}
	}
	sortActions(acts)
	return acts
}

func sortActions(acts []Action) {
	sort.SliceStable(acts, func(i, j int) bool { return acts[i].At < acts[j].At })
}

func genCrashes(r *sim.Rand, s Shape) Plan {
	acts := crashSchedule(r, s,
		func() time.Duration { return r.Duration(500*time.Millisecond, 2*time.Second) },
		func() time.Duration { return r.Duration(200*time.Millisecond, 2*time.Second) })
	return Plan{Actions: append(acts, healAll(s.Duration, s)...)}
}
