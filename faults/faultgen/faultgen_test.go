package faultgen_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/faults/faultgen"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

var names = []string{"a", "b", "c"}

// fragile is a hand-made system with a known bug: it breaks when b and c
// are down at once (a check every 10 ms looks). Nothing else breaks it, so
// the minimal failing plan is two crashes.
func fragile(p *sim.Proc) error {
	w := p.World()
	net := netsim.New(w)
	t := faults.Target{World: w, Net: net}
	for _, name := range names {
		n := w.AddNode(name, func(*sim.Node) {})
		net.Attach(n)
		w.Start(n)
		t.Nodes = append(t.Nodes, n)
	}
	plan, err := faults.FromOptions(w, faults.Shape{Nodes: len(names), Duration: time.Second, Base: net.Conditions()})
	if err != nil {
		return err
	}
	if err := faults.Install(t, plan); err != nil {
		return err
	}
	for w.Now() <= plan.Until {
		if !t.Nodes[1].Up() && !t.Nodes[2].Up() {
			return sim.Checkf("fragile/quorum", "b and c are both down at %v", w.Now())
		}
		p.Sleep(10 * time.Millisecond)
	}
	return nil
}

var (
	fragileScenario = sim.Scenario{Name: "faultgentest/Fragile", Faults: "none", Main: fragile}
	plantedScenario = sim.Scenario{Name: "faultgentest/planted/Fragile", Faults: "none", Main: fragile,
		Planted: "test only: b and c down at once breaks it"}
)

func init() {
	sim.Register(fragileScenario)
	sim.Register(plantedScenario)
}

// setFlag sets a flag for the rest of the test.
func setFlag(t *testing.T, name, value string) {
	old := flag.Lookup(name).Value.String()
	require.NoError(t, flag.Set(name, value))
	t.Cleanup(func() { _ = flag.Set(name, old) })
}

func config() faultgen.Config {
	return faultgen.Config{Names: names, Duration: time.Second, MaxActions: 8, Kinds: []faults.Kind{faults.Heal, faults.Restart, faults.Crash}}
}

// TestGeneratedPlansAreValid: every generated plan validates, names its
// nodes, is in time order, ends healed, and draws only the kinds asked for;
// across draws every kind appears.
func TestGeneratedPlansAreValid(t *testing.T) {
	c := faultgen.Config{Names: []string{"n0", "n1", "n2", "n3"}, Duration: 2 * time.Second, Base: netsim.Reliable()}
	seen := map[faults.Kind]bool{}
	rapid.Check(t, func(rt *rapid.T) {
		plan := faultgen.Plan(c).Draw(rt, "plan")
		require.NoError(rt, plan.Validate())
		require.Equal(rt, c.Names, plan.Names)
		require.Equal(rt, 2*time.Second, plan.Until)
		for i, a := range faultgen.Drawn(plan) {
			require.Less(rt, a.At, plan.Until)
			if i > 0 {
				require.GreaterOrEqual(rt, a.At, plan.Actions[i-1].At)
			}
			if a.Kind == faults.OneWay {
				require.NotEqual(rt, a.From, a.To)
			}
			seen[a.Kind] = true
		}
		require.Len(rt, plan.Actions, len(faultgen.Drawn(plan))+4)
		back, err := faults.ParsePlan(plan.JSON())
		require.NoError(rt, err)
		require.Equal(rt, plan, back)
	})
	for _, k := range faultgen.DefaultKinds {
		require.True(t, seen[k], "never drew %s", k)
	}

	only := faultgen.Config{Nodes: 2, Kinds: []faults.Kind{faults.Pause, faults.Resume}}
	rapid.Check(t, func(rt *rapid.T) {
		for _, a := range faultgen.Drawn(faultgen.Plan(only).Draw(rt, "plan")) {
			require.Contains(rt, only.Kinds, a.Kind)
		}
	})
}

// TestFindShrinksAndWritesAReplayableEntry: on a hand-made failing system,
// faultgen finds a failing plan, shrinks it to the two crashes the bug
// needs, and writes a corpus entry whose plan, replayed by the runner with
// -faults @file, fails the same way with the same trace hash.
func TestFindShrinksAndWritesAReplayableEntry(t *testing.T) {
	setFlag(t, "rapid.nofailfile", "true")
	dir := t.TempDir()
	sc, _ := sim.Lookup("faultgentest/Fragile")
	f, err := faultgen.Find(t, faultgen.Property{Scenario: sc, Plans: config(), Corpus: dir, Command: "simrun"})
	require.NoError(t, err)
	require.NotNil(t, f, "rapid found no plan that crashes b and c at once")
	t.Logf("%s", f)

	drawn := faultgen.Drawn(f.Plan)
	require.Len(t, drawn, 2, "the minimal plan is two crashes: %s", f.Plan)
	for _, a := range drawn {
		require.Equal(t, faults.Crash, a.Kind)
	}
	require.ElementsMatch(t, []int{1, 2}, []int{drawn[0].Nodes[0], drawn[1].Nodes[0]})
	require.LessOrEqual(t, len(drawn), f.FirstActions)
	require.Equal(t, "fragile/quorum", f.Result.Failure.Check)
	require.Equal(t, uint64(1), f.Seed, "rapid shrinks the seed to its least")

	// The entry on disk: the readable plan, one action per line.
	data, err := os.ReadFile(f.File)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "faultgentest_Fragile_1.json"), f.File)
	require.Contains(t, string(data), `"nodes": ["a", "b", "c"],`)
	require.Regexp(t, `\{"at": "[0-9.]+m?s", "kind": "crash", "nodes": \["b"\]\}`, string(data))
	_, err = seeds.Parse(f.File, data)
	require.ErrorContains(t, err, "placeholder", "a found bug waits for a person to say what fixed it")
	e, err := seeds.Parse(f.File, bytes.Replace(data, []byte(seeds.FixedPlaceholder), []byte("a test"), 1))
	require.NoError(t, err)
	require.Equal(t, f.Entry.Scenario, e.Scenario)

	res, err := faultgen.Replay(sc, e)
	require.NoError(t, err)
	require.Equal(t, f.Result.Hash, res.Hash)
	require.Equal(t, f.Result.Failure.Error(), res.Failure.Error())

	// Through the runner, as a user would: the entry's plan saved to a file.
	spec, err := e.FaultSpec()
	require.NoError(t, err)
	planFile := filepath.Join(dir, "plan.json")
	require.NoError(t, os.WriteFile(planFile, []byte(spec), 0o644))
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"replay", "-scenario", sc.Name, "-seed", fmt.Sprint(e.Seed), "-faults", "@" + planFile},
		&out, &errOut, cli.Config{Command: "simrun"})
	require.Equal(t, 1, code, "%s%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "b and c are both down")
	require.Contains(t, out.String(), fmt.Sprintf("hash %016x", f.Result.Hash))

	// The replay line the failure prints is a runner command that replays it.
	require.Regexp(t, `^simrun replay -scenario faultgentest/Fragile -seed 1 -faults '\{.*\}'$`, f.Replay)
	args := regexp.MustCompile(`'(.*)'$`).FindStringSubmatch(f.Replay)
	out.Reset()
	code = cli.Run(context.Background(), []string{"replay", "-scenario", sc.Name, "-seed", "1", "-faults", args[1]}, &out, &errOut, cli.Config{})
	require.Equal(t, 1, code)
	require.Contains(t, out.String(), fmt.Sprintf("hash %016x", f.Result.Hash))
}

// TestPlantedBugMakesAnExpectedFailure: for a scenario with a planted bug
// the entry is an expected failure, ready for the corpus as written.
func TestPlantedBugMakesAnExpectedFailure(t *testing.T) {
	setFlag(t, "rapid.nofailfile", "true")
	dir := t.TempDir()
	sc, ok := sim.Lookup("faultgentest/planted/Fragile")
	require.True(t, ok)
	f, err := faultgen.Find(t, faultgen.Property{Scenario: sc, Plans: config(), Corpus: dir})
	require.NoError(t, err)
	require.NotNil(t, f)
	data, err := os.ReadFile(f.File)
	require.NoError(t, err)
	e, err := seeds.Parse(f.File, data)
	require.NoError(t, err, "an expected failure needs no edit")
	require.Equal(t, &seeds.Expect{Outcome: "fail", Check: "fragile/quorum"}, e.Expect)
	res, err := faultgen.Replay(sc, e)
	require.NoError(t, err)
	require.Equal(t, e.Expect.Check, res.Failure.Check, "it replays as the failure it expects")
}

// TestCheckPassesWhenNothingFails: a property that holds passes Check and
// writes nothing.
func TestCheckPassesWhenNothingFails(t *testing.T) {
	dir := t.TempDir()
	sc, _ := sim.Lookup("faultgentest/Fragile")
	c := config()
	c.Kinds = []faults.Kind{faults.Heal, faults.Isolate, faults.Partition} // no crashes: nothing breaks it
	faultgen.Check(t, faultgen.Property{Scenario: sc, Plans: c, Corpus: dir})
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}

// TestUnregisteredScenarioSaysHowToReplay: a scenario the runner does not
// know cannot be replayed by it; the failure says so and names Replay.
func TestUnregisteredScenarioSaysHowToReplay(t *testing.T) {
	setFlag(t, "rapid.nofailfile", "true")
	sc := &sim.Scenario{Name: "faultgentest/Unregistered", Faults: "none", Main: fragile}
	f, err := faultgen.Find(t, faultgen.Property{Scenario: sc, Plans: config(), Corpus: "-"})
	require.NoError(t, err)
	require.NotNil(t, f)
	require.Empty(t, f.File)
	require.Contains(t, f.Replay, "not registered")
	res, err := faultgen.Replay(sc, f.Entry)
	require.NoError(t, err)
	require.Equal(t, f.Result.Hash, res.Hash)
	require.True(t, slices.Equal(f.Plan.Names, names))
}
