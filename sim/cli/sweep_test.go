package cli

import (
	"bufio"
	"bytes"
	"context"
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
	probeEvenSeed = sim.NewProbe("clitest/even-seed", "test only: the run's seed is even")
	_             = sim.NewProbe("clitest/never", "test only: never reached")
)

func init() {
	sim.Register(sim.Scenario{
		Name:        "clitest/Probes",
		Description: "test only: reaches clitest/even-seed twice on even seeds",
		Main: func(p *sim.Proc) error {
			w := p.World()
			w.Sometimes(probeEvenSeed, w.Seed()%2 == 0)
			w.Sometimes(probeEvenSeed, w.Seed()%2 == 0)
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "clitest/UnsyncedCrash",
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
		Name:        "clitest/Deadlock",
		Description: "test only: the main process waits for something that never comes",
		Main: func(p *sim.Proc) error {
			p.Suspend("a reply that never comes", func(func()) {})
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "clitest/FailsOnThrees",
		Description: "test only: fails on every seed divisible by 3",
		Main: func(p *sim.Proc) error {
			if p.World().Seed()%3 == 0 {
				return fmt.Errorf("seed %d is divisible by 3", p.World().Seed())
			}
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "clitest/BadInput",
		Description: "test only: fails because of the user's input, as a plan for the wrong number of nodes does",
		Faults:      "none",
		Main: func(p *sim.Proc) error {
			return fmt.Errorf("fault plan is for 7 nodes, scenario has 3: %w", sim.ErrBadInput)
		},
	})
}

// testConfig names the runner under test as a user's program would.
var testConfig = Config{Name: "testrunner", Command: "./testrunner"}

func simrun(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut, testConfig)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
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
	code, out, _ := simrun("run", "-json", "-scenario", "clitest/FailsOnThrees", "-seeds", "1-30")
	require.Equal(t, 1, code, out) // seeds 3, 6, ... fail
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
	code, out, _ := simrun("run", "-scenario", "clitest/[PU]*", "-seeds", "1-4")
	require.Equal(t, 0, code, out)
	require.Regexp(t, `probe clitest/even-seed\s+2 of 4 runs, 4 hits`, out)
	require.Regexp(t, `probe clitest/never\s+never reached`, out)
	require.Contains(t, out, "storage: 4 crashes, 4 found unsynced writes, 0 corrupted synced data")

	code, out, _ = simrun("run", "-json", "-scenario", "clitest/[PU]*", "-seeds", "1-4")
	require.Equal(t, 0, code, out)
	objs := jsonLines(t, out)
	var probes, storage []any
	for _, o := range objs {
		switch {
		case o["type"] == "run" && o["scenario"] == "clitest/Probes" && o["seed"] == 2.0:
			require.Equal(t, map[string]any{"clitest/even-seed": 2.0}, o["probes"])
		case o["type"] == "run" && o["scenario"] == "clitest/UnsyncedCrash":
			require.Equal(t, map[string]any{"crashes": 1.0, "unsynced": 1.0, "corrupted": 0.0}, o["storage"])
		case o["type"] == "scenario" && o["scenario"] == "clitest/Probes":
			probes = o["probes"].([]any)
		case o["type"] == "scenario" && o["scenario"] == "clitest/UnsyncedCrash":
			storage = []any{o["storage"]}
		}
	}
	require.Contains(t, probes, map[string]any{"name": "clitest/even-seed", "runs": 2.0, "hits": 4.0})
	require.Contains(t, probes, map[string]any{"name": "clitest/never", "runs": 0.0, "hits": 0.0})
	require.Equal(t, []any{map[string]any{"crashes": 4.0, "unsynced": 4.0, "corrupted": 0.0}}, storage)
}

// Item 10: -require-probes fails a sweep that never reached a listed probe,
// naming it; an unknown probe is a usage error.
func TestRequireProbes(t *testing.T) {
	code, out, _ := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-4", "-require-probes", "clitest/even-seed")
	require.Equal(t, 0, code, out)
	require.Equal(t, "4 passed, 0 failed", lastLine(out))

	code, out, _ = simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-1", "-require-probes", "clitest/even-seed")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL required probe clitest/even-seed: never reached in 1 runs")
	require.Equal(t, "1 passed, 0 failed, 1 required probe never reached", lastLine(out))

	code, out, _ = simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-4", "-require-probes", "clitest/*")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL required probe clitest/never")
	require.NotContains(t, out, "FAIL required probe clitest/even-seed")

	code, out, _ = simrun("run", "-json", "-scenario", "clitest/Probes", "-seeds", "1-4", "-require-probes", "clitest/*")
	require.Equal(t, 1, code, out)
	objs := jsonLines(t, out)
	last := objs[len(objs)-1]
	require.Equal(t, []any{"clitest/never"}, last["unreached_probes"])
	require.Equal(t, []any{"clitest/even-seed", "clitest/never"}, last["required_probes"])

	for _, list := range []string{"example/no-such-probe", "nosuch/*", "clitest/even-seed,", "[bad"} {
		code, _, errOut := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1", "-require-probes", list)
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
		return Run(context.Background(), []string{"run", "-scenario", "clitest/BadInput", "-seeds", "1-10000000", "-parallel", "1"}, panicWriter{}, &errOut, testConfig)
	}()
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	require.Less(t, allocated, uint64(32<<20), "the sweep allocated %d MB before its first result", allocated>>20)
	require.Equal(t, 2, code, "a bad-input run is a usage error, not a failing seed (stdout was written: the run was reported)")
	msg := strings.TrimSpace(errOut.String())
	require.NotContains(t, msg, "\n")
	require.Contains(t, msg, "clitest/BadInput")
	require.Contains(t, msg, "fault plan is for 7 nodes")

	code, _, replayErr := simrun("replay", "-scenario", "clitest/BadInput", "-seed", "1")
	require.Equal(t, 2, code)
	require.Contains(t, replayErr, "fault plan is for 7 nodes")

	// -json still ends with a summary, which carries the error.
	code, out, _ := simrun("run", "-json", "-scenario", "clitest/BadInput", "-seeds", "1-5")
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
	code, _, _ := simrun("run", "-scenario", "clitest/BadInput", "-seeds", "1-3", "-save", dir)
	require.Equal(t, 2, code)
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, files)
}

// Item 15 (corpus side): what -save writes is rejected by the corpus until
// a person says what fixed it.
func TestSavedEntryNeedsItsFix(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := simrun("run", "-scenario", "clitest/FailsOnThrees", "-seeds", "1-40", "-save", dir)
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
	code, _, errOut := simrun("run", "-scenario", "clitest/FailsOnThrees", "-seeds", "1-40", "-save", dir)
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
		{[]string{"run", "-scenario", "clitest/FailsOnThrees", "-faults", "@" + empty}, "empty"},
		{[]string{"run", "-scenario", "clitest/FailsOnThrees", "-faults", "@" + word}, "JSON fault plan"},
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
	require.Regexp(t, `(?m)^clitest/never\s+test only: never reached$`, out)
	for _, p := range sim.Probes() {
		require.Contains(t, out, p.Name)
	}
}

// Item 11 (and 1, runner side): a deadlocked run is a failing run with its
// own outcome, in the text report and in -json.
func TestDeadlockIsReportedAsFailing(t *testing.T) {
	code, out, _ := simrun("run", "-scenario", "clitest/Deadlock", "-seeds", "1-2")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL clitest/Deadlock seed 1: deadlock")
	require.Contains(t, out, "a reply that never comes")
	require.Equal(t, "0 passed, 2 failed", lastLine(out))

	code, out, _ = simrun("run", "-json", "-scenario", "clitest/Deadlock", "-seeds", "1-2")
	require.Equal(t, 1, code, out)
	objs := jsonLines(t, out)
	require.Equal(t, "deadlock", objs[0]["outcome"])
	require.Equal(t, "deadlock", objs[0]["check"])
	require.Contains(t, objs[0]["replay"], "-scenario clitest/Deadlock -seed 1")
	require.EqualValues(t, 2, objs[len(objs)-1]["failed"])
}

// Item 13: an endless sweep can be stopped: an interrupt stops handing out
// runs, and what ran is reported with the summary (exit status 130, as for a
// process killed by SIGINT).
// With one worker the runs are made on the printing goroutine, with more by
// a pipeline of workers: both stop.
func TestInterruptReportsWhatRan(t *testing.T) {
	for _, parallel := range []string{"1", "2"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var out, errOut strings.Builder
		code := Run(ctx, []string{"run", "-json", "-parallel", parallel, "-scenario", "clitest/Probes", "-seeds", "1-10000000"}, &out, &errOut, testConfig)
		require.Equal(t, 130, code, errOut.String())
		objs := jsonLines(t, out.String())
		last := objs[len(objs)-1]
		require.Equal(t, "summary", last["type"])
		require.Equal(t, true, last["interrupted"])
		require.EqualValues(t, 130, last["exit_status"])
		require.Less(t, last["runs"], 10.0, "-parallel %s", parallel)
	}
}

// One worker runs the jobs on the printing goroutine, more go through the
// pipeline: the sweep they report is the same, line for line (wall times
// and speeds, which are measured, aside), failures included.
func TestSweepIsTheSameAtAnyParallelism(t *testing.T) {
	sweep := func(parallel string) []map[string]any {
		code, out, _ := simrun("run", "-json", "-parallel", parallel, "-scenario", "clitest/[DFPU]*", "-seeds", "1-7")
		require.Equal(t, 1, code, out) // clitest/Deadlock fails every seed, clitest/FailsOnThrees 3 and 6
		objs := jsonLines(t, out)
		for _, o := range objs {
			delete(o, "wall_s")
			delete(o, "speedup")
		}
		return objs
	}
	one := sweep("1")
	require.Greater(t, len(one), 7)
	for _, parallel := range []string{"2", "3"} {
		require.Equal(t, one, sweep(parallel), "-parallel %s", parallel)
	}
}
