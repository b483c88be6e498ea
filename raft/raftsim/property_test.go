package raftsim

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

// Property tests: rapid generates fault plans as data (faults.Plan: crashes, restarts,
// partitions, isolations, one-way cuts, heals and network changes over a 5-node cluster,
// always ending with everything healed and restarted), and each plan runs the raft/Swarm
// body through sim.Options.Faults, as `simrun -faults @plan.json` would. Because a plan is
// data and the simulator keys its random choices by what they decide, rapid can shrink a
// failing plan action by action and value by value, and every candidate is a
// deterministic run.

const (
	propPeers    = 5
	propDuration = 4 * time.Second // faults and clients; then the liveness phase
)

// propKinds are the actions the generator draws, the most benign first: rapid shrinks a
// choice towards index 0, so a shrunk plan keeps only the faults the failure needs.
var propKinds = []faults.Kind{faults.Heal, faults.Restart, faults.Crash, faults.Isolate, faults.Partition, faults.OneWay, faults.Network}

func nodeGen() *rapid.Generator[int] { return rapid.IntRange(0, propPeers-1) }

// actionGen draws one fault action at a millisecond in [0, propDuration).
func actionGen() *rapid.Generator[faults.Action] {
	return rapid.Custom(func(t *rapid.T) faults.Action {
		at := time.Duration(rapid.IntRange(0, int(propDuration/time.Millisecond)-1).Draw(t, "at_ms")) * time.Millisecond
		a := faults.Action{At: at, Kind: rapid.SampledFrom(propKinds).Draw(t, "kind")}
		switch a.Kind {
		case faults.Crash, faults.Restart, faults.Isolate:
			a.Nodes = []int{nodeGen().Draw(t, "node")}
		case faults.Partition:
			var sides [2][]int
			for i := 0; i < propPeers; i++ {
				side := rapid.IntRange(0, 1).Draw(t, "side")
				sides[side] = append(sides[side], i)
			}
			a.Groups = [][]int{sides[0], sides[1]}
		case faults.OneWay:
			a.From, a.To = nodeGen().Draw(t, "from"), nodeGen().Draw(t, "to")
		case faults.Network:
			c := netsim.Reliable().WithLongDelays()
			c.DelayMax = time.Duration(rapid.IntRange(0, 30).Draw(t, "delay_ms")) * time.Millisecond
			c.DropRequest = float64(rapid.IntRange(0, 30).Draw(t, "drop_req_pct")) / 100
			c.DropReply = float64(rapid.IntRange(0, 30).Draw(t, "drop_rep_pct")) / 100
			c.Duplicate = float64(rapid.IntRange(0, 10).Draw(t, "dup_pct")) / 100
			a.Net = &c
		}
		return a
	})
}

// planGen draws a plan of up to 24 actions, sorted by time, followed by what every plan
// ends with at propDuration: heal, the base network, resume and restart all.
func planGen() *rapid.Generator[faults.Plan] {
	return rapid.Custom(func(t *rapid.T) faults.Plan {
		acts := rapid.SliceOfN(actionGen(), 0, 24).Draw(t, "actions")
		slices.SortStableFunc(acts, func(a, b faults.Action) int { return int(a.At - b.At) })
		all := []int{0, 1, 2, 3, 4}
		base := netsim.Reliable().WithLongDelays()
		acts = append(acts,
			faults.Action{At: propDuration, Kind: faults.Heal},
			faults.Action{At: propDuration, Kind: faults.Network, Net: &base},
			faults.Action{At: propDuration, Kind: faults.Resume, Nodes: all},
			faults.Action{At: propDuration, Kind: faults.Restart, Nodes: all})
		return faults.Plan{Profile: "rapid", Nodes: propPeers, Actions: acts, Until: propDuration}
	})
}

// runPlan runs the swarm body (with clients clients, then the liveness phase if liveness)
// under plan.
func runPlan(plan faults.Plan, seed uint64, clients int, liveness bool, setup Setup) sim.Result {
	o := swarmOptions{peers: propPeers, clients: clients, duration: propDuration, setup: setup}
	if liveness {
		o.liveness = LivenessBudget
	}
	sc := &sim.Scenario{Name: "raft/SwarmPlan", Faults: "none", Main: func(p *sim.Proc) error {
		runSwarm(p, o)
		return nil
	}}
	return sim.RunScenario(sc, sim.Options{Seed: seed, Faults: string(plan.JSON())})
}

// generatedActions is the part of a plan the generator drew (without the final healing).
func generatedActions(p faults.Plan) []faults.Action { return p.Actions[:len(p.Actions)-4] }

// TestPropertySafeUnderGeneratedPlans: under any generated plan every safety check holds,
// and once the plan has healed everything a command commits on all peers within
// LivenessBudget.
func TestPropertySafeUnderGeneratedPlans(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		plan := planGen().Draw(rt, "plan")
		require.NoError(rt, plan.Validate())
		seed := rapid.Uint64Range(1, 1000).Draw(rt, "seed")
		if res := runPlan(plan, seed, 3, true, Setup{}); !res.Passed() {
			rt.Fatalf("seed %d: %s: %v\n%s", seed, res.Outcome, res.Failure, plan)
		}
	})
}

var brokenChecks = flag.Int("broken-checks", 300, "rapid checks for TestPropertyShrinksBrokenConfig")

// failureTB is a rapid.TB that records the failure rapid reports instead of failing the
// test, so that a test can run a property it expects to fail and then look at what rapid
// found. rapid.Check reports through Errorf and ends with FailNow once it has failed.
type failureTB struct {
	name   string
	failed bool
	report strings.Builder
}

var _ rapid.TB = (*failureTB)(nil)

func (f *failureTB) Helper()                          {}
func (f *failureTB) Name() string                     { return f.name }
func (f *failureTB) Logf(format string, args ...any)  {}
func (f *failureTB) Log(args ...any)                  {}
func (f *failureTB) Skipf(format string, args ...any) { panic("failureTB: skip") }
func (f *failureTB) Skip(args ...any)                 { panic("failureTB: skip") }
func (f *failureTB) SkipNow()                         { panic("failureTB: skip") }
func (f *failureTB) Errorf(format string, args ...any) {
	f.Fail()
	fmt.Fprintf(&f.report, format+"\n", args...)
}
func (f *failureTB) Error(args ...any)                 { f.Fail(); fmt.Fprintln(&f.report, args...) }
func (f *failureTB) Fatalf(format string, args ...any) { f.Errorf(format, args...) }
func (f *failureTB) Fatal(args ...any)                 { f.Error(args...) }
func (f *failureTB) FailNow()                          { f.Fail() }
func (f *failureTB) Fail()                             { f.failed = true }
func (f *failureTB) Failed() bool                      { return f.failed }

// setFlag sets a flag for the rest of the test.
func setFlag(t *testing.T, name, value string) {
	old := flag.Lookup(name).Value.String()
	require.NoError(t, flag.Set(name, value))
	t.Cleanup(func() { _ = flag.Set(name, old) })
}

// TestPropertyShrinksBrokenConfig shows that the property test can fail, and that rapid
// shrinks what it finds: with votes not persisted (UnsafeForgetVote, through the
// Setup.Broken) rapid finds a plan under which a safety check fails, and
// minimizes it.
//
// How the minimal plan is captured: rapid.Check takes a rapid.TB, so the property runs
// under failureTB, which records rapid's report instead of failing this test. After a
// failure rapid shrinks, then replays the minimal case once more to print its output, so
// the last plan the property ran is the minimal one. The test asserts that rapid reported
// a failure, that the minimal plan fails a safety check (not liveness) when run again,
// deterministically, and that it is no larger than the first failing plan found.
// Fail files are off (they would land in testdata/rapid/) and shrinking is bounded.
func TestPropertyShrinksBrokenConfig(t *testing.T) {
	setFlag(t, "rapid.nofailfile", "true")
	setFlag(t, "rapid.checks", fmt.Sprint(*brokenChecks))
	setFlag(t, "rapid.shrinktime", "2s")
	broken := Setup{Broken: func(c *raft.Config) { c.UnsafeForgetVote = true }}

	type run struct {
		plan faults.Plan
		seed uint64
		res  sim.Result
	}
	var first, last *run
	tb := &failureTB{name: "TestPropertyShrinksBrokenConfig"}
	rapid.Check(tb, func(rt *rapid.T) {
		plan := planGen().Draw(rt, "plan")
		seed := rapid.Uint64Range(1, 1000).Draw(rt, "seed")
		res := runPlan(plan, seed, 1, false, broken)
		last = &run{plan, seed, res}
		if !res.Passed() {
			if first == nil {
				first = last
			}
			rt.Fatalf("seed %d: %v", seed, res.Failure)
		}
	})
	require.True(t, tb.Failed(), "rapid found no plan that breaks a Raft without durable votes in %d checks", *brokenChecks)
	require.NotNil(t, first)
	t.Logf("rapid's report:\n%s", tb.report.String())
	t.Logf("first failing plan (%d actions), seed %d: %v\n%s", len(generatedActions(first.plan)), first.seed, first.res.Failure, first.plan)
	t.Logf("minimal plan (%d actions), seed %d: %v\n%s", len(generatedActions(last.plan)), last.seed, last.res.Failure, last.plan)

	require.False(t, last.res.Passed(), "the last plan rapid ran is the minimal failing one")
	require.True(t, strings.HasPrefix(last.res.Failure.Check, "raft/") && last.res.Failure.Check != "raft/liveness",
		"the minimal plan fails a safety check, got %v", last.res.Failure)
	again := runPlan(last.plan, last.seed, 1, false, broken)
	require.Equal(t, last.res.Hash, again.Hash, "the minimal plan replays identically")
	require.Equal(t, last.res.Failure.Error(), again.Failure.Error())
	require.LessOrEqual(t, len(generatedActions(last.plan)), len(generatedActions(first.plan)))
}

// TestSamplePlanRunsThroughTheRunner: docs/sample-plan.json, the plan
// docs/plans.md walks through, uses every kind of action, and raft/Swarm
// passes under it when the runner replays it, as a user would:
// `simrun replay -scenario raft/Swarm -seed 1 -faults @docs/sample-plan.json`.
func TestSamplePlanRunsThroughTheRunner(t *testing.T) {
	const file = "../../docs/sample-plan.json"
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	plan, err := faults.ParsePlan(data)
	require.NoError(t, err)
	used := map[faults.Kind]bool{}
	for _, a := range plan.Actions {
		used[a.Kind] = true
	}
	for _, k := range faults.Kinds() {
		require.True(t, used[k], "the sample plan has no %s action", k)
	}
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"replay", "-scenario", "raft/Swarm", "-seed", "1", "-faults", "@" + file}, &out, &errOut, cli.Config{})
	require.Equal(t, 0, code, "%s%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "raft/Swarm seed 1: pass")
}

// TestPrintedPlanReplaysTheProfileRun: the plan `simrun plan` prints for a
// raft/Swarm seed, saved and replayed with -faults @file, is the run the
// profile made: the same trace hash.
func TestPrintedPlanReplaysTheProfileRun(t *testing.T) {
	run := func(args ...string) (string, string) {
		var out, errOut bytes.Buffer
		code := cli.Run(context.Background(), args, &out, &errOut, cli.Config{Command: "simrun"})
		require.Equal(t, 0, code, "%s%s", out.String(), errOut.String())
		return out.String(), errOut.String()
	}
	const seed = "4"
	plan, _ := run("plan", "-scenario", "raft/Swarm", "-seed", seed)
	require.Contains(t, plan, `"nodes": ["raft0", "raft1", "raft2", "raft3", "raft4"]`)
	file := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(file, []byte(plan), 0o644))
	hash := regexp.MustCompile(`hash [0-9a-f]{16}`)
	profile, _ := run("replay", "-scenario", "raft/Swarm", "-seed", seed)
	replayed, _ := run("replay", "-scenario", "raft/Swarm", "-seed", seed, "-faults", "@"+file)
	require.NotEmpty(t, hash.FindString(profile))
	require.Equal(t, hash.FindString(profile), hash.FindString(replayed))
}
