package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func init() {
	sim.Register(sim.Scenario{
		Name:        "clitest/TakesFaults",
		Description: "test only: passes under any fault plan",
		Faults:      "none",
		Main:        func(p *sim.Proc) error { return nil },
	})
}

// -shard auto/N reads its index from a CI matrix's variable or a
// Kubernetes Indexed Job's, and says which variable was wrong when one is.
func TestShardFromEnvironment(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		arg    string
		getenv func(string) string
		index  int
		count  int
		err    string
	}{
		{"", env(), 0, 1, ""},
		{"2/5", env(ShardIndexEnv, "4"), 2, 5, ""}, // explicit wins: the environment is not read
		{"auto/4", env(ShardIndexEnv, "3"), 3, 4, ""},
		{"auto/4", env(JobCompletionEnv, "0"), 0, 4, ""},
		{"auto/4", env(ShardIndexEnv, " 1 ", JobCompletionEnv, "1"), 1, 4, ""},
		{"auto/4", env(), 0, 0, "neither $LOCKSTEP_SHARD_INDEX (set it from a CI matrix) nor $JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) is set"},
		{"auto/4", env(JobCompletionEnv, "4"), 0, 0, "$JOB_COMPLETION_INDEX is 4, out of range for 4 shards (want 0 to 3)"},
		{"auto/4", env(ShardIndexEnv, "one"), 0, 0, `$LOCKSTEP_SHARD_INDEX is "one", not a shard index (want 0 to 3)`},
		{"auto/4", env(ShardIndexEnv, "-1"), 0, 0, `$LOCKSTEP_SHARD_INDEX is "-1", not a shard index`},
		{"auto/4", env(ShardIndexEnv, "1", JobCompletionEnv, "2"), 0, 0, "$LOCKSTEP_SHARD_INDEX is 1 but $JOB_COMPLETION_INDEX is 2: set one"},
		{"auto/0", env(ShardIndexEnv, "0"), 0, 0, "bad -shard"},
		{"auto", env(ShardIndexEnv, "0"), 0, 0, "bad -shard"},
		{"4/4", env(), 0, 0, "bad -shard"},
		{"x/4", env(), 0, 0, "bad -shard"},
	} {
		index, count, err := ParseShard(c.arg, c.getenv)
		if c.err != "" {
			require.ErrorContains(t, err, c.err, c.arg)
			require.IsType(t, usageError{}, err)
			continue
		}
		require.NoError(t, err, c.arg)
		require.Equal(t, []int{c.index, c.count}, []int{index, count}, c.arg)
	}

	// On the command line: a usage error, one line, exit status 2.
	t.Setenv(ShardIndexEnv, "")
	t.Setenv(JobCompletionEnv, "7")
	code, out, errOut := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-4", "-shard", "auto/3")
	require.Equal(t, 2, code, out)
	require.Equal(t, "testrunner: -shard auto/3: $JOB_COMPLETION_INDEX is 7, out of range for 3 shards (want 0 to 2): the job runs more shards than -shard says\n", errOut)

	t.Setenv(JobCompletionEnv, "1")
	code, out, _ = simrun("run", "-json", "-scenario", "clitest/Probes", "-seeds", "1-4", "-shard", "auto/3")
	require.Equal(t, 0, code, out)
	objs := jsonLines(t, out)
	require.Equal(t, map[string]any{"scenario": "clitest/Probes", "seeds": "1-4", "check_determinism": false,
		"runs": 4.0, "shard": 1.0, "shards": 3.0}, objs[len(objs)-1]["sweep"])
	require.Equal(t, 2.0, objs[0]["seed"]) // run 1 of the sweep: k mod 3 = 1
}

// shardOutputs runs a sweep as n shards with -json and writes each shard's
// output to a file, returning the files.
func shardOutputs(t *testing.T, dir string, n int, args ...string) []string {
	t.Helper()
	var files []string
	for i := 0; i < n; i++ {
		_, out, _ := simrun(append(append([]string{"run", "-json"}, args...), "-shard", fmt.Sprintf("%d/%d", i, n))...)
		file := filepath.Join(dir, fmt.Sprintf("shard-%d-of-%d.json", i, n))
		require.NoError(t, os.WriteFile(file, []byte(out), 0o644))
		files = append(files, file)
	}
	return files
}

// withoutWall drops what differs between two sweeps of the same runs: wall
// time and the speed derived from it.
func withoutWall(objs []map[string]any) []map[string]any {
	for _, o := range objs {
		delete(o, "wall_s")
		delete(o, "speedup")
	}
	return objs
}

// merge of a sweep's shards prints what the whole sweep printed: every run,
// every scenario's summary (probes and storage included), and the summary,
// in the same order; merging the merged output again changes nothing; a
// failing run keeps its replay line, and merge exits 1.
func TestMergeEqualsWholeSweep(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-scenario", "clitest/[FPU]*", "-seeds", "1-10"}
	_, whole, _ := simrun(append([]string{"run", "-json"}, args...)...)
	for _, n := range []int{1, 2, 3, 7, 40} {
		files := shardOutputs(t, dir, n, args...)
		code, out, errOut := simrun(append([]string{"merge", "-json"}, files...)...)
		require.Equal(t, 1, code, "%d shards: %s", n, errOut) // clitest/FailsOnThrees fails
		require.Equal(t, withoutWall(jsonLines(t, whole)), withoutWall(jsonLines(t, out)), "%d shards", n)

		again := filepath.Join(dir, "merged.json")
		require.NoError(t, os.WriteFile(again, []byte(out), 0o644))
		code, out2, _ := simrun("merge", "-json", again)
		require.Equal(t, 1, code)
		require.Equal(t, withoutWall(jsonLines(t, out)), withoutWall(jsonLines(t, out2)))
	}

	// The text output: failures with their replay lines, the summaries,
	// the count, and what was merged.
	files := shardOutputs(t, dir, 3, args...)
	code, out, _ := simrun(append([]string{"merge"}, files...)...)
	require.Equal(t, 1, code)
	require.Contains(t, out, "merged 3 file(s): 30 runs of -scenario 'clitest/[FPU]*' -seeds 1-10 (3 of 3 shards)\n")
	require.Contains(t, out, "FAIL clitest/FailsOnThrees seed 6: fail\n")
	require.Contains(t, out, "  replay: ./testrunner replay -scenario clitest/FailsOnThrees -seed 6\n")
	require.Regexp(t, `probe clitest/even-seed\s+5 of 10 runs, 10 hits`, out)
	require.Regexp(t, `probe clitest/never\s+never reached`, out)
	require.Contains(t, out, "storage: 10 crashes, 10 found unsynced writes, 0 corrupted synced data")
	require.Equal(t, "27 passed, 3 failed", lastLine(out))
	require.Less(t, strings.Index(out, "seed 3: fail"), strings.Index(out, "seed 6: fail"))

	// From stdin, and with -v a line for every run.
	var stdout, stderr strings.Builder
	code = run(context.Background(), []string{"merge", "-v", "-", files[1], files[2]}, strings.NewReader(readFile(t, files[0])), &stdout, &stderr, testConfig, false)
	require.Equal(t, 1, code, stderr.String())
	require.Equal(t, 27, strings.Count(stdout.String(), "\nok   clitest/"), stdout.String())
	require.Contains(t, stdout.String(), "ok   clitest/Probes seed 4: events ")
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

// merge refuses, with a message naming the file and what is wrong, what is
// not one sweep's shards: files that are not run -json output, cut short,
// from a newer schema or a stopped sweep; overlapping or missing shards;
// shards of programs with different scenarios; runs of one (scenario,
// seed) that ran differently; runs under different fault settings.
func TestMergeRefusesWhatIsNotOneSweep(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-scenario", "clitest/[PU]*", "-seeds", "1-6"}
	shards := shardOutputs(t, dir, 3, args...)
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	s0 := readFile(t, shards[0])
	_, plain, _ := simrun(append([]string{"run"}, args...)...)
	_, crashes, _ := simrun(append([]string{"run", "-json", "-faults", "crashes"}, "-scenario", "clitest/TakesFaults", "-seeds", "1-2")...)
	_, own, _ := simrun(append([]string{"run", "-json"}, "-scenario", "clitest/UnsyncedCrash", "-seeds", "1-2")...)
	_, badInput, _ := simrun("run", "-json", "-scenario", "clitest/BadInput", "-seeds", "1-2")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stopped strings.Builder // shard 0 again, interrupted before its first run
	require.Equal(t, 130, Run(ctx, append([]string{"run", "-json", "-shard", "0/3", "-parallel", "1"}, args...), &stopped, &strings.Builder{}, testConfig))
	lines := strings.SplitAfter(s0, "\n")
	firstRun := lines[0]
	otherHash := firstRun[:strings.Index(firstRun, `"hash":"`)+8] + "0123456789abcdef" + firstRun[strings.Index(firstRun, `"hash":"`)+24:]
	require.NotEqual(t, firstRun, otherHash)

	for _, c := range []struct {
		name  string
		files []string
		want  string
	}{
		{"text output", []string{file("text.txt", plain)}, "text.txt:1: not a JSON object: not the output of 'run -json'"},
		{"empty", []string{file("empty.json", "")}, "empty.json is empty"},
		{"cut short", []string{file("short.json", strings.Join(lines[:2], ""))}, "short.json does not end with a summary line: the output is cut short"},
		{"no schema", []string{file("noschema.json", `{"type":"run"}`+"\n")}, `noschema.json:1: no "schema"`},
		{"newer schema", []string{file("schema2.json", strings.Replace(s0, `"schema":1`, `"schema":2`, 1))}, "schema2.json:1: schema 2, and this runner reads schema 1"},
		{"unknown type", []string{file("type.json", `{"schema":1,"type":"banana"}`+"\n")}, `type "banana"`},
		{"after summary", []string{file("after.json", s0+firstRun)}, "a line after the summary"},
		{"counts", []string{file("counts.json", strings.Join(lines[1:], ""))}, "the summary counts 4 runs but the file holds 3"},
		{"usage error", []string{file("usage.json", badInput)}, "usage.json: the run stopped on a usage error: clitest/BadInput"},
		{"same shard, other runs", []string{shards[0], shards[1], file("stopped.json", stopped.String()), shards[2]}, "shard-0-of-3.json and " + filepath.Join(dir, "stopped.json") + " are both shard 0/3 of the sweep -scenario 'clitest/[PU]*' -seeds 1-6, and hold 4 and 0 runs: the shards overlap and differ"},
		{"missing shard", []string{shards[0], shards[2]}, "shard(s) 1 of 3 of the sweep -scenario 'clitest/[PU]*' -seeds 1-6 missing: merge needs every shard's output"},
		{"different scenarios", []string{file("fewer.json", strings.Replace(s0, `"runs":12,`, `"runs":14,`, 1)), shards[1], shards[2]}, "fewer.json says the sweep -scenario 'clitest/[PU]*' -seeds 1-6 has 14 runs and " + shards[1] + " says 12: the shards were run by programs with different scenarios"},
		{"ran differently", []string{shards[0], shards[1], shards[2], file("other.json", otherHash+`{"schema":1,"type":"scenario","scenario":"clitest/Probes","runs":1}`+"\n"+`{"schema":1,"type":"summary","runs":1}`+"\n")},
			"clitest/Probes seed 1 ran differently in " + shards[0] + " (pass, "},
		{"different faults", []string{file("crashes.json", crashes), file("own.json", own)}, "crashes.json ran -faults crashes and " + filepath.Join(dir, "own.json") + " ran each scenario's own faults: merge combines runs under one fault setting"},
		{"no files", nil, "merge needs the files to merge"},
		{"flag after files", []string{shards[0], "-json"}, "flag -json after the files: flags go first"},
		{"no such file", []string{filepath.Join(dir, "nosuch.json")}, "nosuch.json: no such file"},
	} {
		code, out, errOut := simrun(append([]string{"merge"}, c.files...)...)
		require.Equal(t, 2, code, "%s: %s", c.name, out)
		require.Empty(t, out, c.name)
		require.Equal(t, 1, strings.Count(errOut, "\n"), "%s: %q", c.name, errOut)
		require.Contains(t, errOut, c.want, c.name)
	}

	// The same run twice, run the same way, is one run: the shards and the
	// unsharded sweep merge into the sweep, and so do a shard named twice,
	// the whole sweep twice, and two merges of several sweeps.
	_, whole, _ := simrun(append([]string{"run", "-json"}, args...)...)
	wholeFile := file("whole.json", whole)
	_, other, _ := simrun("run", "-json", "-scenario", "clitest/Probes", "-seeds", "5-9") // seeds 5 and 6 in both
	_, mixed, _ := simrun("merge", "-json", wholeFile, file("other.json", other))
	mixedFile := file("mixed.json", mixed)
	for _, files := range [][]string{
		append([]string{wholeFile}, shards...),
		{shards[0], shards[1], shards[0], shards[2]},
		{wholeFile, wholeFile},
		{mixedFile, mixedFile, wholeFile},
	} {
		code, out, errOut := simrun(append([]string{"merge", "-json"}, files...)...)
		require.Equal(t, 0, code, errOut)
		objs := jsonLines(t, out)
		if files[0] == mixedFile {
			require.EqualValues(t, 15, objs[len(objs)-1]["runs"])
			require.Equal(t, map[string]any{"check_determinism": false, "runs": 15.0, "scenario": "", "seeds": "", "shard": 0.0, "shards": 1.0},
				objs[len(objs)-1]["sweep"], "a merge of several sweeps is of no one pattern and range")
			continue
		}
		require.EqualValues(t, 12, objs[len(objs)-1]["runs"])
	}
}

// A shard is not judged on -require-probes (another shard may reach the
// probe); merge judges it over every shard's runs.
func TestRequiredProbesAreJudgedByMerge(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-2", "-shard", "0/2", "-require-probes", "clitest/even-seed")
	require.Equal(t, 0, code, out) // seed 1 alone: the probe is for even seeds
	require.Contains(t, out, "probe clitest/even-seed: not reached in this shard's 1 runs (merge judges -require-probes over every shard)\n")
	require.Equal(t, "1 passed, 0 failed", lastLine(out))

	files := shardOutputs(t, dir, 2, "-scenario", "clitest/Probes", "-seeds", "1-2", "-require-probes", "clitest/even-seed")
	code, out, _ = simrun(append([]string{"merge"}, files...)...)
	require.Equal(t, 0, code, out)
	require.Equal(t, "2 passed, 0 failed", lastLine(out))

	files = shardOutputs(t, dir, 2, "-scenario", "clitest/Probes", "-seeds", "1-2", "-require-probes", "clitest/*")
	code, out, _ = simrun(append([]string{"merge"}, files...)...)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL required probe clitest/never: never reached in 2 runs (-require-probes)\n")
	require.Equal(t, "2 passed, 0 failed, 1 required probe never reached", lastLine(out))
	code, out, _ = simrun(append([]string{"merge", "-json"}, files...)...)
	require.Equal(t, 1, code, out)
	objs := jsonLines(t, out)
	require.Equal(t, []any{"clitest/never"}, objs[len(objs)-1]["unreached_probes"])
	require.EqualValues(t, 1, objs[len(objs)-1]["exit_status"])
}

// An interrupted shard is merged for what it ran, and the merge fails: it
// is not the whole sweep.
func TestMergeOfInterruptedShardFails(t *testing.T) {
	dir := t.TempDir()
	files := shardOutputs(t, dir, 2, "-scenario", "clitest/Probes", "-seeds", "1-4")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stopped strings.Builder
	code := Run(ctx, []string{"run", "-json", "-scenario", "clitest/Probes", "-seeds", "1-4", "-shard", "1/2"}, &stopped, &strings.Builder{}, testConfig)
	require.Equal(t, 130, code)
	require.NoError(t, os.WriteFile(files[1], []byte(stopped.String()), 0o644))
	code, out, _ := simrun("merge", files[0], files[1])
	require.Equal(t, 1, code, out)
	require.Contains(t, out, files[1]+": interrupted after ")
	require.Contains(t, out, " of 2 runs: the merge is incomplete\n")
	require.Contains(t, lastLine(out), "interrupted after ")
	require.Contains(t, lastLine(out), " of 4 runs")
}

// -v lists every run; -progress prints progress lines to a log that is
// not a terminal.
func TestRunVerboseAndProgress(t *testing.T) {
	code, out, errOut := simrun("run", "-v", "-progress", "1ns", "-scenario", "clitest/FailsOnThrees", "-seeds", "1-4")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "ok   clitest/FailsOnThrees seed 1: events ")
	require.Contains(t, out, "FAIL clitest/FailsOnThrees seed 3: fail\n")
	require.Equal(t, 3, strings.Count(out, "ok   "))
	require.Equal(t, 4, strings.Count(errOut, "testrunner: "), errOut)
	require.Contains(t, errOut, "testrunner: 4/4 runs, 1 failed, ")

	code, _, errOut = simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-4")
	require.Equal(t, 0, code)
	require.Empty(t, errOut, "no progress lines unless asked, off a terminal")
	code, _, errOut = simrun("run", "-progress", "-1s")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "-progress must not be negative")
}
