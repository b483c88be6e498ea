package raftsim

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/faults/faultgen"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

// Property tests: faultgen (rapid) generates fault plans as data (crashes, restarts,
// partitions, isolations, one-way cuts, heals and network changes over a 5-node cluster,
// always ending with everything healed and restarted), and each plan runs a small
// raft/Swarm body through sim.Options.Faults, as `simrun -faults @plan.json` would.
// Because a plan is data and the simulator keys its random choices by what they decide,
// rapid can shrink a failing plan action by action and value by value, and every
// candidate is a deterministic run. A failure is written as a corpus entry under
// testdata/faultgen; these scenarios are smaller than any registered one (4 s of faults,
// not raft/Swarm's 20 s), so it replays with faultgen.Replay rather than simrun.

const (
	propPeers    = 5
	propDuration = 4 * time.Second // faults and clients; then the liveness phase
)

// propPlans are the plans the properties run under: the kinds listed most benign first,
// as rapid shrinks a choice towards the first.
func propPlans() faultgen.Config {
	names := make([]string, propPeers)
	for i := range names {
		names[i] = fmt.Sprintf("raft%d", i)
	}
	return faultgen.Config{
		Names:    names,
		Kinds:    []faults.Kind{faults.Heal, faults.Restart, faults.Crash, faults.Isolate, faults.Partition, faults.OneWay, faults.Network},
		Duration: propDuration,
		Base:     netsim.Reliable().WithLongDelays(),
	}
}

// propScenario is the swarm body with clients clients under the run's fault plan, then
// the liveness phase if liveness.
func propScenario(clients int, liveness bool, setup Setup) *sim.Scenario {
	o := swarmOptions{peers: propPeers, clients: clients, duration: propDuration, setup: setup}
	if liveness {
		o.liveness = LivenessBudget
	}
	return &sim.Scenario{Name: "raft/SwarmPlan", Faults: "none", Main: func(p *sim.Proc) error {
		runSwarm(p, o)
		return nil
	}}
}

// TestPropertySafeUnderGeneratedPlans: under any generated plan every safety check holds,
// and once the plan has healed everything a command commits on all peers within
// LivenessBudget.
func TestPropertySafeUnderGeneratedPlans(t *testing.T) {
	faultgen.Check(t, faultgen.Property{Scenario: propScenario(3, true, Setup{}), Plans: propPlans()})
}

var brokenChecks = flag.Int("broken-checks", 300, "rapid checks for TestPropertyShrinksBrokenConfig")

// setFlag sets a flag for the rest of the test.
func setFlag(t *testing.T, name, value string) {
	old := flag.Lookup(name).Value.String()
	require.NoError(t, flag.Set(name, value))
	t.Cleanup(func() { _ = flag.Set(name, old) })
}

// TestPropertyShrinksBrokenConfig shows that the property test can fail, and that rapid
// shrinks what it finds: with votes not persisted (UnsafeForgetVote, through the
// Setup.Broken) faultgen finds a plan under which a safety check fails, minimizes it, and
// writes it as a corpus entry that replays to the same failure. Fail files are off (they
// would land in testdata/rapid/) and shrinking is bounded.
func TestPropertyShrinksBrokenConfig(t *testing.T) {
	setFlag(t, "rapid.nofailfile", "true")
	setFlag(t, "rapid.checks", fmt.Sprint(*brokenChecks))
	setFlag(t, "rapid.shrinktime", "2s")
	sc := propScenario(1, false, Setup{Broken: func(c *raft.Config) { c.UnsafeForgetVote = true }})
	dir := t.TempDir()
	f, err := faultgen.Find(t, faultgen.Property{Scenario: sc, Plans: propPlans(), Corpus: dir})
	require.NoError(t, err)
	require.NotNil(t, f, "rapid found no plan that breaks a Raft without durable votes in %d checks", *brokenChecks)
	t.Logf("rapid's report:\n%s", f.Report)
	t.Logf("%s", f)

	require.True(t, strings.HasPrefix(f.Result.Failure.Check, "raft/") && f.Result.Failure.Check != "raft/liveness",
		"the minimal plan fails a safety check, got %v", f.Result.Failure)
	require.LessOrEqual(t, len(faultgen.Drawn(f.Plan)), f.FirstActions)
	data, err := os.ReadFile(f.File)
	require.NoError(t, err)
	require.Contains(t, string(data), `"nodes": ["raft0", "raft1", "raft2", "raft3", "raft4"]`)
	again, err := faultgen.Replay(sc, f.Entry)
	require.NoError(t, err)
	require.Equal(t, f.Result.Hash, again.Hash, "the entry replays identically")
	require.Equal(t, f.Result.Failure.Error(), again.Failure.Error())
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
