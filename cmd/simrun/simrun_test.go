package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/register"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

// The broken register acknowledges writes before syncing them: a crash then
// loses an acknowledged write. It is registered only in this test binary.
const brokenSync = "example/RegisterBrokenSync"

func init() {
	sim.Register(sim.Scenario{
		Name:        brokenSync,
		Description: "deliberately broken: the primary acknowledges unsynced writes",
		Faults:      "crashes",
		Main:        register.Main(register.Config{SkipSync: true}),
	})
}

func simrun(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), args, &out, &errOut, config)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestListNamesEveryScenario(t *testing.T) {
	code, out, _ := simrun("list")
	require.Equal(t, 0, code)
	for _, s := range sim.Scenarios() {
		require.Contains(t, out, s.Name)
	}
}

func TestRunPassesAndEndsWithCount(t *testing.T) {
	code, out, _ := simrun("run", "-scenario", "example/Register", "-seeds", "1-10", "-check-determinism")
	require.Equal(t, 0, code, out)
	require.Equal(t, "10 passed, 0 failed", lastLine(out))
}

var replayLine = regexp.MustCompile(`replay: go run ./cmd/simrun (replay .*)`)
var hashLine = regexp.MustCompile(`hash ([0-9a-f]{16})`)

// A failing run prints a replay command, and the replay reproduces the run
// bit for bit: same outcome, same event count, same trace hash.
func TestFailingRunReplaysExactly(t *testing.T) {
	code, out, _ := simrun("run", "-scenario", "example/RegisterBrokenSync", "-seeds", "1-40")
	require.Equal(t, 1, code, out)
	require.Regexp(t, `^\d+ passed, [1-9]\d* failed$`, lastLine(out))
	m := replayLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	sweepHash := hashLine.FindStringSubmatch(out)
	require.NotNil(t, sweepHash, out)

	code, replayOut, _ := simrun(strings.Fields(m[1])...)
	require.Equal(t, 1, code, replayOut)
	require.Contains(t, replayOut, ": fail")
	replayHash := hashLine.FindStringSubmatch(replayOut)
	require.NotNil(t, replayHash, replayOut)
	require.Equal(t, sweepHash[1], replayHash[1], "replay must reproduce the failing run's trace hash")
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"frobnicate"},
		{"run", "-nosuchflag"},
		{"run", "-seeds", "9-3"},
		{"run", "-seeds", ""},
		{"run", "-seeds", "x"},
		{"run", "-scenario", "nosuch/*"},
		{"run", "-scenario", "[bad"},
		{"run", "-faults", "nosuchprofile"},
		{"run", "-shard", "3/2"},
		{"run", "-parallel", "0"},
		{"replay", "-scenario", "example/Register"},
		{"replay", "-scenario", "nosuch", "-seed", "1"},
		{"replay", "-scenario", "example/Register", "-seed", "1-2"},
		{"run", "-scenario", "raft/InitialElection2A", "-faults", "swarm"},
		{"replay", "-scenario", "raft/InitialElection2A", "-seed", "1", "-faults", "swarm"},
	} {
		code, _, errOut := simrun(args...)
		require.Equal(t, 2, code, "args %v", args)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "simrun:"), "args %v: %q", args, errOut)
	}
}

func TestShardsPartitionTheSweep(t *testing.T) {
	total := 0
	for i := 0; i < 3; i++ {
		code, out, _ := simrun("run", "-scenario", "example/Register", "-seeds", "1-10", "-shard", string(rune('0'+i))+"/3")
		require.Equal(t, 0, code)
		var passed, failed int
		_, err := fmtSscanf(lastLine(out), &passed, &failed)
		require.NoError(t, err)
		total += passed
	}
	require.Equal(t, 10, total)
}

func fmtSscanf(s string, passed, failed *int) (int, error) {
	return fmt.Sscanf(s, "%d passed, %d failed", passed, failed)
}

// -faults over a pattern that includes scripted scenarios runs the others
// and says which it left out.
func TestFaultsSkipsScriptedScenariosLoudly(t *testing.T) {
	code, out, errOut := simrun("run", "-scenario", "[er]*/*", "-seeds", "1-2", "-faults", "crashes")
	require.Contains(t, errOut, "raft/InitialElection2A")
	require.NotContains(t, out, "raft/InitialElection2A")
	require.Contains(t, out, "example/Register ")
	_ = code
}

func TestHelpExitsZero(t *testing.T) {
	code, out, _ := simrun("run", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, out, "-seeds")
}

// A failing run under a plan file prints a replay command that embeds the
// plan, so it works from anywhere and after the file is gone.
func TestReplayCommandEmbedsThePlan(t *testing.T) {
	plan := `{"profile": "hand", "nodes": 3, "until": 3000000000, "actions": [
	  {"at": 1000000000, "kind": "crash", "nodes": [0]},
	  {"at": 1500000000, "kind": "restart", "nodes": [0]}]}`
	file := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(file, []byte(plan), 0o644))
	code, out, _ := simrun("run", "-scenario", "example/RegisterBrokenSync", "-seeds", "1-60", "-faults", "@"+file)
	require.Equal(t, 1, code, out)
	m := regexp.MustCompile(`replay: go run ./cmd/simrun replay -scenario \S+ -seed (\d+) -faults '(\{.*\})'`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.NotContains(t, m[2], "\n")
	require.NoError(t, os.Remove(file))
	code, replayOut, _ := simrun("replay", "-scenario", "example/RegisterBrokenSync", "-seed", m[1], "-faults", m[2])
	require.Equal(t, 1, code, replayOut)
}
