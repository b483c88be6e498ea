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

// Profile turns a seed into a plan. Register adds one of your own; the
// built-in ones are registered by this package (docs/profiles.md).
type Profile struct {
	// Name is what -faults names it by: letters, digits, '-', '_' and '.'.
	Name        string
	Description string // one line
	// Params are the parameters it takes (see ParseSpec), each with a
	// default; nil if none.
	Params []Param
	// Generate makes the plan for a run of shape s from the run's seeded
	// stream r and the parameter values args. It sets Actions only: the
	// plan's Profile, Nodes and Until are filled in from the spec and s.
	// Every plan should end by healing all it did at s.Duration (HealAll),
	// so that a scenario's liveness phase starts from a healthy cluster.
	// It must draw only from r, so that a seed makes one plan everywhere.
	Generate func(r *sim.Rand, s Shape, args Args) Plan
}

var profiles = map[string]*Profile{}

// Register adds a profile, which -faults then names like the built-in ones
// (with parameters, if it declares any). Call it from an init function: it
// panics on a malformed or duplicate name, a parameter declared twice, or a
// default its parameter does not accept, mistakes every test run finds.
func Register(p Profile) {
	if !validName(p.Name) || p.Generate == nil {
		panic(fmt.Sprintf("faults: profile %q needs a name of letters, digits, '-', '_' and '.', and a Generate", p.Name))
	}
	if _, dup := profiles[p.Name]; dup {
		panic(fmt.Sprintf("faults: profile %q registered twice", p.Name))
	}
	seen := map[string]bool{}
	for _, prm := range p.Params {
		if !validName(prm.Name) || prm.Parse == nil {
			panic(fmt.Sprintf("faults: profile %s: parameter %q needs a name of letters, digits, '-', '_' and '.', and a Parse", p.Name, prm.Name))
		}
		if seen[prm.Name] {
			panic(fmt.Sprintf("faults: profile %s: parameter %s declared twice", p.Name, prm.Name))
		}
		seen[prm.Name] = true
		if _, err := prm.Parse(prm.Default); err != nil {
			panic(fmt.Sprintf("faults: profile %s: parameter %s: default %q: %v", p.Name, prm.Name, prm.Default, err))
		}
	}
	profiles[p.Name] = &p
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

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

// Generate makes the plan of spec (a profile name, with parameters if any:
// "crashes:maxdown=1") for seed stream r. The plan's Profile is the spec in
// its canonical form (Spec.String). A bad spec is an error matching
// sim.ErrBadInput.
func Generate(spec string, r *sim.Rand, s Shape) (Plan, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return Plan{}, err
	}
	return sp.Generate(r, s)
}

// Generate makes the spec's plan for seed stream r.
func (sp Spec) Generate(r *sim.Rand, s Shape) (Plan, error) {
	plan := sp.Profile.Generate(r, s, sp.Args)
	plan.Profile, plan.Nodes, plan.Until = sp.String(), s.Nodes, s.Duration
	if err := plan.Validate(); err != nil {
		// The profile's fault, not the user's: not sim.ErrBadInput.
		return Plan{}, fmt.Errorf("profile %s made an invalid plan: %s", sp, err.Error())
	}
	return plan, nil
}

// The built-in profiles' parameters.
var (
	maxDownParam = MaxDownParam("maxdown", "how many nodes may be down at once", MaxDown{Majority: true})
	crashParams  = []Param{
		maxDownParam,
		RangeParam("every", "time from one crash to the next, drawn uniformly", Range{500 * time.Millisecond, 2 * time.Second}, time.Millisecond),
		RangeParam("down", "how long a crashed node stays down, drawn uniformly", Range{200 * time.Millisecond, 2 * time.Second}, 0),
	}
)

func init() {
	Register(Profile{Name: "none", Description: "no faults beyond the scenario's own",
		Generate: func(*sim.Rand, Shape, Args) Plan { return Plan{} }})
	Register(Profile{Name: "unreliable",
		Description: "labrpc's unreliable network: 0-26 ms delay, 10% of requests and replies lost",
		Generate:    genUnreliable})
	Register(Profile{Name: "unreliable-plus",
		Description: "unreliable, plus long reordering of replies and 5% of requests held 200-2199 ms or delivered again 200-2199 ms later",
		Generate:    genUnreliablePlus})
	Register(Profile{Name: "partitions",
		Description: "6.824's partitioner: every 1 s + 0-199 ms, random halves",
		Params: []Param{RangeParam("every", "time from one partition to the next, drawn uniformly",
			Range{time.Second, time.Second + 199*time.Millisecond}, time.Millisecond)},
		Generate: genPartitions})
	Register(Profile{Name: "crashes",
		Description: "crash a random node every 0.5-2 s (by default a majority stays up), restart it 0.2-2 s later",
		Params:      crashParams,
		Generate:    genCrashes})
	Register(Profile{Name: "swarm",
		Description: "the seed picks which fault kinds are on and their rates (network, partitions, crashes, pauses, clocks, storage)",
		Params: []Param{
			maxDownParam,
			SetParam("only", "the fault kinds the seed may turn on", "all", swarmSectionNames()),
			SetParam("always", "the fault kinds always on (the others of only: on or off by the seed)", "none", swarmSectionNames()),
		},
		Generate: genSwarm})
}

// HealAll returns the actions that end every fault at time at: heal every
// link, restore the base network, resume and restart every node (a restart
// acts only on nodes the plan crashed). Every built-in profile ends with it;
// a profile of your own should too.
func HealAll(at time.Duration, s Shape) []Action { return healAll(at, s) }

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

func genUnreliable(_ *sim.Rand, s Shape, _ Args) Plan {
	c := netsim.Unreliable()
	c.FailDelay = s.Base.FailDelay
	return Plan{Actions: append([]Action{{At: 0, Kind: Network, Net: &c}}, healAll(s.Duration, s)...)}
}

// genUnreliablePlus is labrpc's unreliable network with the faults labrpc
// lacks on requests: a request held long (a stale AppendEntries or
// InstallSnapshot arriving after newer ones) and a request delivered again
// long after its first copy (the handler runs twice).
func genUnreliablePlus(_ *sim.Rand, s Shape, _ Args) Plan {
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

func genPartitions(r *sim.Rand, s Shape, args Args) Plan {
	every := args.Range("every")
	var acts []Action
	for at := time.Duration(0); at < s.Duration; at += every.Lo + r.Duration(0, every.Hi-every.Lo) {
		acts = append(acts, Action{At: at, Kind: Partition, Groups: randomHalves(r, s.Nodes)})
	}
	return Plan{Actions: append(acts, healAll(s.Duration, s)...)}
}

// crashSchedule crashes one node at a time, with at most maxDown down at
// once.
func crashSchedule(r *sim.Rand, s Shape, maxDown int, every func() time.Duration, downFor func() time.Duration) []Action {
	var acts []Action
	upAgain := make([]time.Duration, s.Nodes) // when each node is back
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

func genCrashes(r *sim.Rand, s Shape, args Args) Plan {
	every, down := args.Range("every"), args.Range("down")
	acts := crashSchedule(r, s, args.MaxDown("maxdown").Of(s.Nodes),
		func() time.Duration { return r.Duration(every.Lo, every.Hi) },
		func() time.Duration { return r.Duration(down.Lo, down.Hi) })
	return Plan{Actions: append(acts, healAll(s.Duration, s)...)}
}
