package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/faults/shrink"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
)

// lostCount is a planted bug small enough for the runner's tests: three
// nodes count, writing each count to their disk and acknowledging it
// without a sync, so a crash loses acknowledged counts, which the node sees
// when it boots again.
func lostCount(p *sim.Proc) error {
	w := p.World()
	net := netsim.New(w)
	writers := w.Knob(writersKnob)
	acked := make([]int, 3)
	var nodes []*sim.Node
	for i := range acked {
		var n *sim.Node
		n = w.AddNode(fmt.Sprint("counter", i), func(*sim.Node) {
			if data, ok := n.Disk.ReadFile("count"); ok || acked[i] > 0 {
				if got, _ := strconv.Atoi(string(data)); got < acked[i] {
					w.Fail("clitest/durability", n, fmt.Errorf("booted with count %d, but %d was acknowledged", got, acked[i]))
					return
				}
			}
			if i >= writers {
				return
			}
			var tick func()
			tick = func() {
				acked[i]++
				n.Disk.WriteFile("count", []byte(strconv.Itoa(acked[i])))
				n.After(50*time.Millisecond, "count", tick)
			}
			n.After(50*time.Millisecond, "count", tick)
		})
		net.Attach(n)
		nodes = append(nodes, n)
		w.Start(n)
	}
	plan, err := faults.FromOptions(w, faults.Shape{Nodes: 3, Duration: 5 * time.Second, Base: netsim.Reliable()})
	if err != nil {
		return err
	}
	if err := faults.Install(faults.Target{World: w, Net: net, Nodes: nodes}, plan); err != nil {
		return err
	}
	p.Sleep(6 * time.Second)
	return nil
}

// writersKnob is how many of the counters count (the first ones).
var writersKnob = sim.Knob{Name: "writers", Default: 3, Min: 1, Max: 3}

func init() {
	sim.Register(sim.Scenario{Name: "clitest/planted/LostCount", Faults: "swarm", Main: lostCount, Knobs: []sim.Knob{writersKnob},
		Description: "test only: counters that acknowledge unsynced counts", Planted: "counts are acknowledged before a sync"})
	sim.Register(sim.Scenario{Name: "clitest/LostCountUnplanted", Faults: "crashes", Main: lostCount,
		Description: "test only: the same bug, not marked as planted"})
}

// firstFailing returns the first seed in 1..max on which scenario fails.
func firstFailing(t *testing.T, scenario string, max uint64) uint64 {
	sc, ok := sim.Lookup(scenario)
	require.True(t, ok, scenario)
	for seed := uint64(1); seed <= max; seed++ {
		if !sim.RunScenario(sc, sim.Options{Seed: seed}).Passed() {
			return seed
		}
	}
	t.Fatalf("%s passed seeds 1-%d", scenario, max)
	return 0
}

var shrunkLine = regexp.MustCompile(`shrunk (\d+) -> (\d+) fault actions in (\d+) runs`)

// TestShrinkCommand: shrink reproduces a failing run, minimizes its swarm
// plan to the one crash the bug needs, writes the plan and an
// expected-failure corpus entry, and `replay -faults @plan.json` runs the
// minimal failure again, bit for bit.
func TestShrinkCommand(t *testing.T) {
	const name = "clitest/planted/LostCount"
	seed := firstFailing(t, name, 30)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"shrink", "-scenario", name, "-seed", fmt.Sprint(seed),
		"-o", planFile, "-save", dir, "-parallel", "2"}, &out, &errOut, testConfig)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	t.Log(out.String())
	m := shrunkLine.FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	before, _ := strconv.Atoi(m[1])
	after, _ := strconv.Atoi(m[2])
	require.Greater(t, before, after)
	require.Equal(t, 1, after, "one crash loses acknowledged counts (the tail restarts the node)")
	require.Contains(t, out.String(), "the search ran to its end")
	require.Contains(t, out.String(), "replay: ./testrunner replay -scenario "+name+" -seed "+fmt.Sprint(seed)+" -faults @"+planFile)

	data, err := os.ReadFile(planFile)
	require.NoError(t, err)
	plan, err := faults.ParsePlan(data)
	require.NoError(t, err)
	require.Equal(t, 1, shrink.Actions(plan))
	require.Equal(t, faults.Crash, plan.Actions[0].Kind)
	// The writers knob went down to the counters the crash needs: the
	// crashed one and those before it.
	victim := plan.Actions[0].Nodes[0]
	writers := regexp.MustCompile(`minimal knobs: writers=(\d+)`).FindStringSubmatch(out.String())
	require.NotNil(t, writers, out.String())
	require.Equal(t, fmt.Sprint(victim+1), writers[1])
	knobFlag := ""
	if victim+1 < writersKnob.Default {
		knobFlag = " -knobs writers=" + writers[1]
	}

	// The corpus entry: an expected failure, since the bug is planted.
	e, err := seeds.Parse("entry", mustRead(t, filepath.Join(dir, seeds.FileName(name, seed))))
	require.NoError(t, err)
	require.Equal(t, &seeds.Expect{Outcome: "fail", Check: "clitest/durability"}, e.Expect)
	require.Contains(t, e.Fixed, "planted")
	spec, err := e.FaultSpec()
	require.NoError(t, err)
	require.Equal(t, writers[1], fmt.Sprint(e.Knobs["writers"]))
	sc, _ := sim.Lookup(name)
	res := sim.RunScenario(sc, sim.Options{Seed: seed, Faults: spec, Knobs: e.Knobs})
	require.Equal(t, sim.Fail, res.Outcome)
	require.Equal(t, "clitest/durability", res.Failure.Check)

	// replay -faults @plan.json: the minimal run again, same hash.
	hash := regexp.MustCompile(`hash ([0-9a-f]{16})`)
	shrunkHash := hash.FindAllStringSubmatch(out.String(), -1)
	require.NotEmpty(t, shrunkHash)
	var replay bytes.Buffer
	require.Contains(t, out.String(), "-faults @"+planFile+knobFlag+"\n")
	replayArgs := []string{"replay", "-scenario", name, "-seed", fmt.Sprint(seed), "-faults", "@" + planFile}
	if knobFlag != "" {
		replayArgs = append(replayArgs, "-knobs", "writers="+writers[1])
	}
	code = Run(context.Background(), replayArgs, &replay, &errOut, testConfig)
	require.Equal(t, 1, code, replay.String())
	require.Equal(t, shrunkHash[len(shrunkHash)-1][1], hash.FindStringSubmatch(replay.String())[1])

	// Saving again never overwrites the entry.
	out.Reset()
	errOut.Reset()
	code = Run(context.Background(), []string{"shrink", "-scenario", name, "-seed", fmt.Sprint(seed), "-save", dir},
		&out, &errOut, testConfig)
	require.Equal(t, 1, code)
	require.Contains(t, errOut.String(), "already exists: not overwritten")
}

// A failing run of a scenario without a planted bug is saved as `run -save`
// saves one: waiting for a person to say what fixed it.
func TestShrinkSavesUnplantedAsFailing(t *testing.T) {
	const name = "clitest/LostCountUnplanted"
	seed := firstFailing(t, name, 30)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"shrink", "-scenario", name, "-seed", fmt.Sprint(seed), "-save", dir, "-max-runs", "2"},
		&out, &errOut, testConfig)
	require.Equal(t, 1, code, errOut.String())
	require.Contains(t, out.String(), "stopped by max-runs")
	data := mustRead(t, filepath.Join(dir, seeds.FileName(name, seed)))
	_, err := seeds.Parse("entry", data)
	require.ErrorContains(t, err, "placeholder")
	require.NotContains(t, string(data), `"expect"`)
}

func TestShrinkPassingRunAndUsageErrors(t *testing.T) {
	sc, _ := sim.Lookup("clitest/planted/LostCount")
	passing := uint64(0)
	for seed := uint64(1); passing == 0; seed++ {
		if sim.RunScenario(sc, sim.Options{Seed: seed}).Passed() {
			passing = seed
		}
	}
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"shrink", "-scenario", sc.Name, "-seed", fmt.Sprint(passing)}, &out, &errOut, testConfig)
	require.Equal(t, 0, code, errOut.String())
	require.Contains(t, out.String(), "the run passed: nothing to shrink")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-scenario", "clitest/FailsOnThrees", "-seed", "3"}, "scripts its own faults in code"},
		{[]string{"-scenario", "clitest/nosuch", "-seed", "3"}, "unknown scenario"},
		{[]string{"-scenario", sc.Name}, "needs -seed"},
		{[]string{"-seed", "1"}, "needs -scenario"},
		{[]string{"-scenario", sc.Name, "-seed", "1-2"}, "want one seed"},
		{[]string{"-scenario", sc.Name, "-seed", "1", "-max-runs", "0"}, "-max-runs"},
		{[]string{"-scenario", sc.Name, "-seed", "1", "-faults", "nosuch"}, "unknown fault profile"},
		{[]string{"-scenario", sc.Name, "-seed", "1", "-save", "/nonexistent/dir"}, "not a directory"},
		{[]string{"-scenario", sc.Name, "-seed", "1", "-knobs", "readers=1"}, `has no knob "readers" (knobs: writers)`},
		{[]string{"-scenario", sc.Name, "-seed", "1", "-knobs", "writers=9"}, "writers=9 is not in [1, 3]"},
		{[]string{"-scenario", sc.Name, "-seed", "1", "-knobs", "writers"}, "is not name=integer"},
		{[]string{"-scenario", sc.Name, "-seed", "1", "-knobs", "writers=1,writers=2"}, "set twice"},
	} {
		out.Reset()
		errOut.Reset()
		code := Run(context.Background(), append([]string{"shrink"}, tc.args...), &out, &errOut, testConfig)
		require.Equal(t, 2, code, "%v: %s", tc.args, errOut.String())
		require.Contains(t, errOut.String(), tc.want, tc.args)
	}
}

// list -planted lists the scenarios with a planted bug, which plain list
// and '*' leave out.
func TestListPlanted(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, Run(context.Background(), []string{"list", "-planted"}, &out, &errOut, testConfig))
	require.Contains(t, out.String(), "clitest/planted/LostCount")
	require.Contains(t, out.String(), "planted: counts are acknowledged before a sync")
	require.NotContains(t, out.String(), "clitest/FailsOnThrees")
	out.Reset()
	require.Equal(t, 0, Run(context.Background(), []string{"list"}, &out, &errOut, testConfig))
	require.NotContains(t, out.String(), "clitest/planted/LostCount")
}

func mustRead(t *testing.T, file string) []byte {
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	return data
}

// shrink -faults @plan.json starts from a plan file (as `plan` prints it)
// and ends where shrinking the profile's run does: the plan is the run.
func TestShrinkFromPlanFile(t *testing.T) {
	const name = "clitest/planted/LostCount"
	seed := fmt.Sprint(firstFailing(t, name, 30))
	var planOut, out, fromFile, errOut bytes.Buffer
	require.Equal(t, 0, Run(context.Background(), []string{"plan", "-scenario", name, "-seed", seed}, &planOut, &errOut, testConfig),
		errOut.String())
	file := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(file, planOut.Bytes(), 0o644))
	require.Equal(t, 1, Run(context.Background(), []string{"shrink", "-scenario", name, "-seed", seed}, &out, &errOut, testConfig))
	require.Equal(t, 1, Run(context.Background(), []string{"shrink", "-scenario", name, "-seed", seed, "-faults", "@" + file},
		&fromFile, &errOut, testConfig), errOut.String())
	require.Contains(t, fromFile.String(), "(faults: a JSON plan)")
	minimal := func(s string) string { return s[strings.Index(s, "minimal fault plan"):strings.Index(s, "  replay:")] }
	require.Equal(t, minimal(out.String()), minimal(fromFile.String()))
}

// run -save writes a planted bug's failing run as an expected failure too.
func TestRunSavePlantedIsExpected(t *testing.T) {
	const name = "clitest/planted/LostCount"
	seed := firstFailing(t, name, 30)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"run", "-scenario", name, "-seeds", fmt.Sprint(seed), "-save", dir}, &out, &errOut, testConfig)
	require.Equal(t, 1, code, errOut.String())
	e, err := seeds.Parse("entry", mustRead(t, filepath.Join(dir, seeds.FileName(name, seed))))
	require.NoError(t, err)
	require.Equal(t, &seeds.Expect{Outcome: "fail", Check: "clitest/durability"}, e.Expect)
}
