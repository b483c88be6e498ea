package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
)

// Test-only scenarios and probes, registered in this test binary alone.
var (
	probeEvenSeed = sim.NewProbe("simruntest/even-seed", "test only: the run's seed is even")
	_             = sim.NewProbe("simruntest/never", "test only: never reached")
)

func init() {
	sim.Register(sim.Scenario{
		Name:        "simruntest/Probes",
		Description: "test only: reaches simruntest/even-seed twice on even seeds",
		Main: func(p *sim.Proc) error {
			w := p.World()
			w.Sometimes(probeEvenSeed, w.Seed()%2 == 0)
			w.Sometimes(probeEvenSeed, w.Seed()%2 == 0)
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "simruntest/UnsyncedCrash",
		Description: "test only: a node writes without syncing and crashes",
		Main: func(p *sim.Proc) error {
			w := p.World()
			n := w.AddNode("n", func(*sim.Node) {})
			w.Start(n)
			n.Disk.WriteFile("f", []byte("unsynced"))
			w.Crash(n)
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "simruntest/Deadlock",
		Description: "test only: the main process waits for something that never comes",
		Main: func(p *sim.Proc) error {
			p.Suspend("a reply that never comes", func(func()) {})
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "simruntest/BadInput",
		Description: "test only: fails because of the user's input, as a plan for the wrong number of nodes does",
		Faults:      "none",
		Main: func(p *sim.Proc) error {
			return fmt.Errorf("fault plan is for 7 nodes, scenario has 3: %w", sim.ErrBadInput)
		},
	})
}

// jsonLines decodes every line of a -json stream, failing on any line that
// is not one JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var obj map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &obj), "line %q is not a JSON object", sc.Text())
		require.EqualValues(t, jsonSchema, obj["schema"], "line %q has no schema", sc.Text())
		objs = append(objs, obj)
	}
	require.NotEmpty(t, objs)
	return objs
}

// Item 11: every line of -json output is JSON, passing or failing, and the
// last is the summary.
func TestJSONIsJSONLinesEndingWithSummary(t *testing.T) {
	code, out, _ := simrun("run", "-json", "-scenario", "example/RegisterBrokenSync", "-seeds", "1-30")
	require.Equal(t, 1, code, out) // the broken register fails on some of these seeds
	objs := jsonLines(t, out)
	last := objs[len(objs)-1]
	require.Equal(t, "summary", last["type"])
	require.EqualValues(t, 30, last["runs"])
	require.EqualValues(t, 30, last["passed"].(float64)+last["failed"].(float64))
	require.NotZero(t, last["failed"])
	require.EqualValues(t, 1, last["exit_status"])
	types := map[string]int{}
	for _, o := range objs {
		types[o["type"].(string)]++
	}
	require.Equal(t, map[string]int{"run": 30, "scenario": 1, "summary": 1}, types)
}

// Items 10 and 3 (runner side): the per-scenario summary counts probes
// (runs that reached each, total hits), lists the scenario's system's
// probes never reached, and counts crashes that found unsynced data.
func TestSummaryShowsProbesAndStorage(t *testing.T) {
	code, out, _ := simrun("run", "-scenario", "simruntest/[PU]*", "-seeds", "1-4")
	require.Equal(t, 0, code, out)
	require.Regexp(t, `probe simruntest/even-seed\s+2 of 4 runs, 4 hits`, out)
	require.Regexp(t, `probe simruntest/never\s+never reached`, out)
	require.Contains(t, out, "storage: 4 crashes, 4 found unsynced writes, 0 corrupted synced data")

	code, out, _ = simrun("run", "-json", "-scenario", "simruntest/[PU]*", "-seeds", "1-4")
	require.Equal(t, 0, code, out)
	objs := jsonLines(t, out)
	var probes, storage []any
	for _, o := range objs {
		switch {
		case o["type"] == "run" && o["scenario"] == "simruntest/Probes" && o["seed"] == 2.0:
			require.Equal(t, map[string]any{"simruntest/even-seed": 2.0}, o["probes"])
		case o["type"] == "run" && o["scenario"] == "simruntest/UnsyncedCrash":
			require.Equal(t, map[string]any{"crashes": 1.0, "unsynced": 1.0, "corrupted": 0.0}, o["storage"])
		case o["type"] == "scenario" && o["scenario"] == "simruntest/Probes":
			probes = o["probes"].([]any)
		case o["type"] == "scenario" && o["scenario"] == "simruntest/UnsyncedCrash":
			storage = []any{o["storage"]}
		}
	}
	require.Contains(t, probes, map[string]any{"name": "simruntest/even-seed", "runs": 2.0, "hits": 4.0})
	require.Contains(t, probes, map[string]any{"name": "simruntest/never", "runs": 0.0, "hits": 0.0})
	require.Equal(t, []any{map[string]any{"crashes": 4.0, "unsynced": 4.0, "corrupted": 0.0}}, storage)
}

// Item 10: -require-probes fails a sweep that never reached a listed probe,
// naming it; an unknown probe is a usage error.
func TestRequireProbes(t *testing.T) {
	code, out, _ := simrun("run", "-scenario", "simruntest/Probes", "-seeds", "1-4", "-require-probes", "simruntest/even-seed")
	require.Equal(t, 0, code, out)
	require.Equal(t, "4 passed, 0 failed", lastLine(out))

	code, out, _ = simrun("run", "-scenario", "simruntest/Probes", "-seeds", "1-1", "-require-probes", "simruntest/even-seed")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL required probe simruntest/even-seed: never reached in 1 runs")
	require.Equal(t, "1 passed, 0 failed, 1 required probe never reached", lastLine(out))

	code, out, _ = simrun("run", "-scenario", "simruntest/Probes", "-seeds", "1-4", "-require-probes", "simruntest/*")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL required probe simruntest/never")
	require.NotContains(t, out, "FAIL required probe simruntest/even-seed")

	code, out, _ = simrun("run", "-json", "-scenario", "simruntest/Probes", "-seeds", "1-4", "-require-probes", "simruntest/*")
	require.Equal(t, 1, code, out)
	objs := jsonLines(t, out)
	last := objs[len(objs)-1]
	require.Equal(t, []any{"simruntest/never"}, last["unreached_probes"])
	require.Equal(t, []any{"simruntest/even-seed", "simruntest/never"}, last["required_probes"])

	for _, list := range []string{"example/no-such-probe", "nosuch/*", "simruntest/even-seed,", "[bad"} {
		code, _, errOut := simrun("run", "-scenario", "simruntest/Probes", "-seeds", "1", "-require-probes", list)
		require.Equal(t, 2, code, list)
		require.Contains(t, errOut, "-require-probes", list)
	}
}

// panicWriter stands for a stdout the test does not expect to be written:
// it stops a sweep that (on the old code) would otherwise run for minutes.
type panicWriter struct{}

type unexpectedWrite string

func (panicWriter) Write(p []byte) (int, error) { panic(unexpectedWrite(p)) }

// Items 13 and 15: a run that fails because of the user's input is a usage
// error (exit 2, one line naming the scenario), not a failing seed, and
// stops the sweep; a ten-million-seed sweep gets to its first run without
// building ten million jobs first.
func TestBadInputIsUsageErrorAndSweepsStream(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var errOut strings.Builder
	code := func() (code int) {
		defer func() {
			if r := recover(); r != nil {
				_, ok := r.(unexpectedWrite)
				require.True(t, ok, "%v", r)
				code = -1
			}
		}()
		return run([]string{"run", "-scenario", "simruntest/BadInput", "-seeds", "1-10000000", "-parallel", "1"}, panicWriter{}, &errOut)
	}()
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	require.Less(t, allocated, uint64(32<<20), "the sweep allocated %d MB before its first result", allocated>>20)
	require.Equal(t, 2, code, "a bad-input run is a usage error, not a failing seed (stdout was written: the run was reported)")
	msg := strings.TrimSpace(errOut.String())
	require.NotContains(t, msg, "\n")
	require.Contains(t, msg, "simruntest/BadInput")
	require.Contains(t, msg, "fault plan is for 7 nodes")

	code, _, replayErr := simrun("replay", "-scenario", "simruntest/BadInput", "-seed", "1")
	require.Equal(t, 2, code)
	require.Contains(t, replayErr, "fault plan is for 7 nodes")

	// -json still ends with a summary, which carries the error.
	code, out, _ := simrun("run", "-json", "-scenario", "simruntest/BadInput", "-seeds", "1-5")
	require.Equal(t, 2, code)
	objs := jsonLines(t, out)
	require.Len(t, objs, 1)
	require.Equal(t, "summary", objs[0]["type"])
	require.EqualValues(t, 2, objs[0]["exit_status"])
	require.Contains(t, objs[0]["usage_error"], "fault plan is for 7 nodes")
}

// Item 15: -save never saves a bad-input run.
func TestSaveSkipsBadInput(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := simrun("run", "-scenario", "simruntest/BadInput", "-seeds", "1-3", "-save", dir)
	require.Equal(t, 2, code)
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, files)
}

// Item 15 (corpus side): what -save writes is rejected by the corpus until
// a person says what fixed it.
func TestSavedEntryNeedsItsFix(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := simrun("run", "-scenario", "example/RegisterBrokenSync", "-seeds", "1-40", "-save", dir)
	require.Equal(t, 1, code)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	_, err = seeds.Load(dir)
	require.ErrorContains(t, err, `"fixed"`)
	require.ErrorContains(t, err, filepath.Base(files[0]))

	// A second -save keeps what a person wrote into an existing entry.
	edited := []byte(`{"edited": true}`)
	require.NoError(t, os.WriteFile(files[0], edited, 0o644))
	code, _, errOut := simrun("run", "-scenario", "example/RegisterBrokenSync", "-seeds", "1-40", "-save", dir)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, filepath.Base(files[0])+" already exists: not overwritten")
	got, err := os.ReadFile(files[0])
	require.NoError(t, err)
	require.Equal(t, edited, got)
}

// Item 15: bad command-line input is a one-line usage error.
func TestBadInputFlags(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.json")
	require.NoError(t, os.WriteFile(empty, []byte("  \n"), 0o644))
	word := filepath.Join(t.TempDir(), "word.json")
	require.NoError(t, os.WriteFile(word, []byte("swarm\n"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-parallel", "1025"}, "-parallel"},
		{[]string{"run", "-parallel", "99999999999"}, "-parallel"},
		{[]string{"run", "-seeds", "1-99999999999999999999"}, "larger than the largest seed"},
		{[]string{"run", "-seeds", "0-18446744073709551615"}, "more than a sweep can count"},
		{[]string{"run", "-scenario", "example/Register", "-faults", "@" + empty}, "empty"},
		{[]string{"run", "-scenario", "example/Register", "-faults", "@" + word}, "JSON fault plan"},
		{[]string{"list", "-faults", "-probes"}, "not both"},
	} {
		code, out, errOut := simrun(c.args...)
		require.Equal(t, 2, code, "args %v: %s", c.args, out)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "args %v: %q", c.args, errOut)
		require.Contains(t, errOut, c.want, "args %v", c.args)
	}
}

// Item 13: the job stream is the sweep, sharded, in order, without building
// it; its ends are exact at the edge of the seed space.
func TestJobStream(t *testing.T) {
	a, b := &sim.Scenario{Name: "a/A"}, &sim.Scenario{Name: "b/B"}
	collect := func(s sweepJobs) []string {
		var out []string
		for j := range s.all() {
			out = append(out, fmt.Sprintf("%d:%s:%d", j.index, j.scenario.Name, j.seed))
		}
		require.Equal(t, uint64(len(out)), s.total())
		return out
	}
	require.Equal(t, []string{"0:a/A:4", "1:a/A:5", "2:b/B:4", "3:b/B:5"},
		collect(sweepJobs{[]*sim.Scenario{a, b}, seedRange{4, 5}, 0, 1}))
	require.Equal(t, []string{"0:a/A:5", "1:b/B:5"},
		collect(sweepJobs{[]*sim.Scenario{a, b}, seedRange{4, 5}, 1, 2}))
	require.Equal(t, []string{"0:a/A:18446744073709551614", "1:a/A:18446744073709551615"},
		collect(sweepJobs{[]*sim.Scenario{a}, seedRange{1<<64 - 2, 1<<64 - 1}, 0, 1}))
	require.Empty(t, collect(sweepJobs{[]*sim.Scenario{a}, seedRange{1, 2}, 2, 3}))
	big := sweepJobs{[]*sim.Scenario{a}, seedRange{1, 1<<64 - 1}, 0, 1}
	require.Equal(t, uint64(1<<64-1), big.total())
	for j := range big.all() {
		require.Equal(t, uint64(1), j.seed)
		break
	}
}

// Item 10: the declared probes are listed, so -require-probes can be
// written without reading the code.
func TestListProbes(t *testing.T) {
	code, out, _ := simrun("list", "-probes")
	require.Equal(t, 0, code)
	require.Regexp(t, `(?m)^simruntest/never\s+test only: never reached$`, out)
	for _, p := range sim.Probes() {
		require.Contains(t, out, p.Name)
	}
}

// Item 11 (and 1, runner side): a deadlocked run is a failing run with its
// own outcome, in the text report and in -json.
func TestDeadlockIsReportedAsFailing(t *testing.T) {
	code, out, _ := simrun("run", "-scenario", "simruntest/Deadlock", "-seeds", "1-2")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL simruntest/Deadlock seed 1: deadlock")
	require.Contains(t, out, "a reply that never comes")
	require.Equal(t, "0 passed, 2 failed", lastLine(out))

	code, out, _ = simrun("run", "-json", "-scenario", "simruntest/Deadlock", "-seeds", "1-2")
	require.Equal(t, 1, code, out)
	objs := jsonLines(t, out)
	require.Equal(t, "deadlock", objs[0]["outcome"])
	require.Equal(t, "deadlock", objs[0]["check"])
	require.Contains(t, objs[0]["replay"], "-scenario simruntest/Deadlock -seed 1")
	require.EqualValues(t, 2, objs[len(objs)-1]["failed"])
}

// Item 13: an endless sweep can be stopped: an interrupt stops handing out
// runs, and what ran is reported with the summary (exit status 130, as for a
// process killed by SIGINT).
func TestInterruptReportsWhatRan(t *testing.T) {
	interrupted := make(chan struct{})
	close(interrupted)
	var out, errOut strings.Builder
	code := runWith([]string{"run", "-json", "-scenario", "simruntest/Probes", "-seeds", "1-10000000"}, &out, &errOut, interrupted)
	require.Equal(t, 130, code, errOut.String())
	objs := jsonLines(t, out.String())
	last := objs[len(objs)-1]
	require.Equal(t, "summary", last["type"])
	require.Equal(t, true, last["interrupted"])
	require.EqualValues(t, 130, last["exit_status"])
	require.Less(t, last["runs"], 10.0)
}
