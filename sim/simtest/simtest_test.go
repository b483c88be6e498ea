package simtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

// runs counts the runs of simtesttest/Nondeterministic in this process:
// state shared across runs, which is exactly what makes a scenario
// nondeterministic.
var runs int

func init() {
	sim.Register(sim.Scenario{
		Name:        "simtesttest/FailsOnThrees",
		Description: "test only: fails on every seed divisible by 3",
		Faults:      "none",
		Main: func(p *sim.Proc) error {
			p.Sleep(time.Duration(p.World().Seed()) * time.Millisecond)
			if p.World().Seed()%3 == 0 {
				return fmt.Errorf("seed %d is divisible by 3", p.World().Seed())
			}
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "simtesttest/CrashesOnFours",
		Description: "test only: two nodes, one crashed at 1s; fails on every seed divisible by 4",
		Main: func(p *sim.Proc) error {
			w := p.World()
			a := w.AddNode("alpha", func(*sim.Node) {})
			b := w.AddNode("beta", func(*sim.Node) {})
			w.Start(a)
			w.Start(b)
			p.Sleep(time.Second)
			w.Crash(b)
			p.Sleep(time.Second)
			if w.Seed()%4 == 0 {
				return sim.Checkf("simtesttest/fours", "seed %d is divisible by 4 <b>", w.Seed())
			}
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "simtesttest/Passes",
		Description: "test only: passes on every seed",
		Main:        func(p *sim.Proc) error { return nil },
	})
	sim.Register(sim.Scenario{
		Name:        "simtesttest/Nondeterministic",
		Description: "test only: sleeps longer on each run of the process",
		Main: func(p *sim.Proc) error {
			runs++
			p.Sleep(time.Duration(runs) * time.Millisecond)
			return nil
		},
	})
}

// TestHelperSweep is the test the other tests run in a child process: it
// is a sweep, with failing seeds, and the parent reads its output.
func TestHelperSweep(t *testing.T) {
	pattern := os.Getenv("SIMTEST_PATTERN")
	if pattern == "" {
		t.Skip("run by TestSweep* in a child process")
	}
	Sweep(t, pattern, Seeds("1-6"), Command("go run ./cmd/mysim"))
}

// goTest runs this test binary on TestHelperSweep with pattern and the
// extra flags, and returns its exit status and output.
func goTest(t *testing.T, pattern string, flags ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run", "^TestHelperSweep$", "-test.v"}, flags...)...)
	cmd.Env = append(os.Environ(), "SIMTEST_PATTERN="+pattern)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

var (
	rerunLine  = regexp.MustCompile(`rerun:  go test \./sim/simtest -run '(\S+)' (-lockstep\.seeds=\d+)\n`)
	replayLine = regexp.MustCompile(`replay: go run \./cmd/mysim (replay .*)\n`)
	hashLine   = regexp.MustCompile(`hash ([0-9a-f]{16})`)
)

// A sweep is one subtest per run, named scenario/seed; a failing run's
// message names the go test line and the replay line, and both reproduce
// the run: the go test line reruns that one subtest, the replay line the
// same trace hash.
func TestSweepFailureNamesBothCommands(t *testing.T) {
	code, out := goTest(t, "simtesttest/[FP]*")
	require.Equal(t, 1, code, out)
	for seed := 1; seed <= 6; seed++ {
		want := "PASS"
		if seed%3 == 0 {
			want = "FAIL"
		}
		require.Contains(t, out, fmt.Sprintf("--- %s: TestHelperSweep/simtesttest/FailsOnThrees/%d ", want, seed))
		require.Contains(t, out, fmt.Sprintf("--- PASS: TestHelperSweep/simtesttest/Passes/%d ", seed))
	}
	require.Contains(t, out, "simtesttest/FailsOnThrees seed 3: fail")
	require.Contains(t, out, "seed 3 is divisible by 3")

	rerun := rerunLine.FindStringSubmatch(out)
	require.NotNil(t, rerun, out)
	require.Equal(t, `^TestHelperSweep$/^simtesttest$/^FailsOnThrees$/^3$`, rerun[1])
	replay := replayLine.FindStringSubmatch(out)
	require.NotNil(t, replay, out)
	require.Equal(t, "replay -scenario simtesttest/FailsOnThrees -seed 3", replay[1])
	hash := hashLine.FindStringSubmatch(out)
	require.NotNil(t, hash, out)

	// The go test line runs that subtest alone, to the same trace hash.
	code, again := goTest(t, "simtesttest/[FP]*", "-test.run", rerun[1], rerun[2])
	require.Equal(t, 1, code, again)
	require.Equal(t, 1, strings.Count(again, "--- FAIL: TestHelperSweep/simtesttest/FailsOnThrees/"), again)
	require.NotContains(t, again, "--- PASS: TestHelperSweep/simtesttest/FailsOnThrees/", again)
	require.NotContains(t, again, "TestHelperSweep/simtesttest/Passes/", again)
	require.Contains(t, again, "hash "+hash[1])

	// The replay line, given to the runner, replays the same trace hash.
	var stdout, stderr bytes.Buffer
	code = cli.Run(context.Background(), strings.Fields(replay[1]), &stdout, &stderr, cli.Config{Name: "mysim", Command: "go run ./cmd/mysim"})
	require.Equal(t, 1, code, stdout.String()+stderr.String())
	require.Contains(t, stdout.String(), "hash "+hash[1])
}

// The flags override the test's options: -lockstep.seeds picks the seeds,
// -lockstep.faults the plan (skipping scenarios that script their own), and
// -lockstep.determinism runs each seed twice.
func TestSweepFlags(t *testing.T) {
	code, out := goTest(t, "simtesttest/[FP]*", "-lockstep.seeds=4-5")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "--- PASS: TestHelperSweep/simtesttest/FailsOnThrees/4 ")
	require.Contains(t, out, "--- PASS: TestHelperSweep/simtesttest/FailsOnThrees/5 ")
	require.NotContains(t, out, "FailsOnThrees/3 ")

	code, out = goTest(t, "simtesttest/[FP]*", "-lockstep.seeds=4", "-lockstep.faults=none")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "--- PASS: TestHelperSweep/simtesttest/FailsOnThrees/4 ")
	require.Contains(t, out, "--- SKIP: TestHelperSweep/simtesttest/Passes ")
	require.Contains(t, out, "simtesttest/Passes scripts its own faults")

	code, out = goTest(t, "simtesttest/Nondeterministic", "-lockstep.seeds=1")
	require.Equal(t, 0, code, out)
	code, out = goTest(t, "simtesttest/Nondeterministic", "-lockstep.seeds=1", "-lockstep.determinism")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "check determinism: nondeterminism")
	require.Contains(t, out, "-lockstep.seeds=1 -lockstep.determinism\n")

	code, out = goTest(t, "simtesttest/[FP]*", "-lockstep.seeds=x")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, `bad -seeds "x"`)
	code, out = goTest(t, "nosuch/*")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, `no registered scenario matches "nosuch/*"`)
}

// -lockstep.shard runs the runner's shard of the sweep's runs: the shards
// together are the sweep, each run in one; auto/N reads the index from the
// environment, and a bad shard fails the test, naming the variable.
func TestSweepShard(t *testing.T) {
	ran := regexp.MustCompile(`--- (?:PASS|FAIL): TestHelperSweep/(simtesttest/\w+/\d+) `)
	runsOf := func(out string) []string {
		var runs []string
		for _, m := range ran.FindAllStringSubmatch(out, -1) {
			runs = append(runs, m[1])
		}
		return runs
	}
	_, whole := goTest(t, "simtesttest/[FP]*")
	require.Len(t, runsOf(whole), 12)
	var union []string
	for i := 0; i < 4; i++ {
		_, out := goTest(t, "simtesttest/[FP]*", fmt.Sprintf("-lockstep.shard=%d/4", i))
		union = append(union, runsOf(out)...)
		if i == 1 {
			// Runs 1, 5 and 9 of the sweep, as the runner's -shard 1/4.
			require.Equal(t, []string{"simtesttest/FailsOnThrees/2", "simtesttest/FailsOnThrees/6", "simtesttest/Passes/4"}, runsOf(out))
		}
	}
	require.ElementsMatch(t, runsOf(whole), union)

	t.Setenv(cli.ShardIndexEnv, "3")
	_, out := goTest(t, "simtesttest/[FP]*", "-lockstep.shard=auto/4")
	require.Equal(t, []string{"simtesttest/FailsOnThrees/4", "simtesttest/Passes/2", "simtesttest/Passes/6"}, runsOf(out))

	var stdout bytes.Buffer
	code := cli.Run(context.Background(), []string{"run", "-json", "-scenario", "simtesttest/[FP]*", "-seeds", "1-6", "-shard", "auto/4"}, &stdout, &bytes.Buffer{}, cli.Config{})
	require.Equal(t, 0, code) // seeds 3 and 6 of FailsOnThrees fail: runs 2 and 5, shards 2 and 1
	var fromRunner []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if m := regexp.MustCompile(`"type":"run","scenario":"(\S+?)","seed":(\d+)`).FindStringSubmatch(line); m != nil {
			fromRunner = append(fromRunner, m[1]+"/"+m[2])
		}
	}
	require.Equal(t, runsOf(out), fromRunner, "the test's shard and the runner's are the same runs")

	t.Setenv(cli.ShardIndexEnv, "4")
	code, out = goTest(t, "simtesttest/[FP]*", "-lockstep.shard=auto/4")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "-lockstep.shard: -shard auto/4: $LOCKSTEP_SHARD_INDEX is 4, out of range for 4 shards")
}

func TestGoTestLineQuotesAndAnchors(t *testing.T) {
	line := goTestLine("TestX/a.b/c d/17", 17, `{"profile": "hand name"}`, false)
	require.Contains(t, line, ` -run '^TestX$/^a\.b$/^c d$/^17$' -lockstep.seeds=17 -lockstep.faults='{"profile":"hand name"}'`)
	require.True(t, strings.HasPrefix(line, "go test ./sim/simtest -run"), line)
}

var pageLineRE = regexp.MustCompile(`\n\s+page:   (/\S+)\n`)

// -lockstep.html DIR writes a page of each failing run, and the failure
// names it; passing runs have none.
func TestSweepHTML(t *testing.T) {
	dir := t.TempDir()
	code, out := goTest(t, "simtesttest/CrashesOnFours", "-lockstep.seeds=1-8", "-lockstep.html="+dir)
	require.Equal(t, 1, code, out)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"simtesttest_CrashesOnFours_4.html", "simtesttest_CrashesOnFours_8.html"}, names)
	lines := pageLineRE.FindAllStringSubmatch(out, -1)
	require.Len(t, lines, 2, out)
	require.Equal(t, filepath.Join(dir, "simtesttest_CrashesOnFours_4.html"), lines[0][1])
	// Each page under its run's failure, and the page is that run's.
	failure := out[strings.Index(out, "simtesttest/CrashesOnFours seed 8: fail"):]
	require.Contains(t, failure[:strings.Index(failure, "replay:")+200], "page:   "+filepath.Join(dir, "simtesttest_CrashesOnFours_8.html"))
	html, err := os.ReadFile(lines[1][1])
	require.NoError(t, err)
	require.Contains(t, string(html), `simtesttest/CrashesOnFours</span> seed <span class="seed">8</span>`)
	require.Contains(t, string(html), "seed 8 is divisible by 4 &lt;b&gt;")
	require.Contains(t, string(html), "go run ./cmd/mysim replay -scenario simtesttest/CrashesOnFours -seed 8")
	require.Contains(t, string(html), `<td>1s</td><td>beta</td><td>crash</td>`)

	code, out = goTest(t, "simtesttest/CrashesOnFours", "-lockstep.seeds=4", "-lockstep.html="+filepath.Join(dir, "nosuch"))
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "-lockstep.html \""+filepath.Join(dir, "nosuch")+"\" is not a directory")
	require.NotContains(t, out, "CrashesOnFours/4")
}
