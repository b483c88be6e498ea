package cli

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Issue 10, as it is judged: a module of a user's own, outside this
// repository, with a system and a scenario of its own (a counter that
// acknowledges before it syncs) and its own runner main calling this
// package (testdata/ownmodule). Its runner lists the scenario, a sweep
// fails, and the replay line it prints, run by a shell as printed,
// reproduces the failing run's trace hash: from the built binary, under go
// run (from a subdirectory), and from the go test helper's failure message.
// Its sweep run as two shards and merged gives the same count. The module builds
// offline with an empty go.sum: it needs no checksum of porcupine or of
// any module it does not import.
func TestOwnModule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: the scratch module cannot be built")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("sh is not on PATH: the printed commands cannot be run as printed")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(repo, "go.mod"))

	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "ownmodule"))))
	goMod := "module example.com/mysim\n\ngo 1.26.0\n\n" +
		"require github.com/lockstep-dst/lockstep v0.0.0\n\n" +
		"replace github.com/lockstep-dst/lockstep => " + repo + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(goMod), 0o644))

	// Offline, and free of the caller's settings: -mod=mod lets go record
	// what it needs in go.sum, GOPROXY=off forbids fetching anything (so a
	// dependency the cache cannot verify fails the build), GOWORK=off keeps
	// out any workspace, and GOTOOLCHAIN=local any toolchain download.
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	sh := func(line string) (int, string) {
		t.Helper()
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		require.NoError(t, err, "%s: %s", line, out)
		return 0, string(out)
	}
	replayLine := regexp.MustCompile(`(?m)^ +replay: +(.*)$`)
	hashOf := func(out string) string {
		t.Helper()
		m := regexp.MustCompile(`hash ([0-9a-f]{16})`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		return m[1]
	}

	code, out := sh("go build -o mysim ./cmd/mysim")
	require.Equal(t, 0, code, out)

	code, out = sh("./mysim list")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "counter/AckBeforeSync")

	code, out = sh("./mysim run -scenario 'counter/*' -seeds 1-20")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "FAIL counter/AckBeforeSync seed ")
	require.Regexp(t, `(?m)^\d+ passed, [1-9]\d* failed$`, out)
	m := replayLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Regexp(t, `^\./mysim replay -scenario counter/AckBeforeSync -seed \d+$`, m[1])
	hash := hashOf(out)
	code, replayed := sh(m[1])
	require.Equal(t, 1, code, replayed)
	require.Equal(t, hash, hashOf(replayed), "the printed replay line must reproduce the failing run")
	seed := strings.Fields(m[1])[len(strings.Fields(m[1]))-1]
	count := regexp.MustCompile(`(?m)^\d+ passed, \d+ failed$`).FindString(out)

	// The same sweep as two shards, as a CI matrix runs it, merged: the
	// same count, and the failures with the runner's own replay lines.
	code, out = sh("for i in 0 1; do LOCKSTEP_SHARD_INDEX=$i ./mysim run -json -scenario 'counter/*' -seeds 1-20 -shard auto/2 > shard-$i.json; done; ./mysim merge shard-0.json shard-1.json")
	require.Equal(t, 1, code, out)
	require.Equal(t, count, lastLine(out))
	require.Contains(t, out, "merged 2 file(s): ")
	require.Contains(t, out, "  replay: ./mysim replay -scenario counter/AckBeforeSync -seed "+seed+"\n")

	// Under go run, the runner names itself by its package's directory,
	// relative to the directory it was started in.
	code, out = sh("cd counter && go run ../cmd/mysim run -scenario counter/AckBeforeSync -seeds " + seed)
	require.Equal(t, 1, code, out)
	m = replayLine.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Equal(t, "go run ../cmd/mysim replay -scenario counter/AckBeforeSync -seed "+seed, m[1])
	require.NotContains(t, out, "note:", "inside its module, the guess needs no note")
	code, replayed = sh("cd counter && " + m[1])
	require.Equal(t, 1, code, replayed)
	require.Equal(t, hash, hashOf(replayed))

	// The go test helper: its failure names the go test line, which reruns
	// that one subtest, and the runner's replay line.
	code, out = sh("go test ./counter")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "--- FAIL: TestSweep/counter/AckBeforeSync/"+seed+" ")
	require.Contains(t, out, "replay: go run ./cmd/mysim replay -scenario counter/AckBeforeSync -seed "+seed+"\n")
	rerun := regexp.MustCompile(`rerun: +(go test \./counter -run '\^TestSweep\$/\^counter\$/\^AckBeforeSync\$/\^` + seed + `\$' -lockstep\.seeds=` + seed + `)\n`).FindStringSubmatch(out)
	require.NotNil(t, rerun, out)
	code, again := sh(rerun[1] + " -v")
	require.Equal(t, 1, code, again)
	require.Equal(t, 1, strings.Count(again, "--- FAIL: TestSweep/counter/AckBeforeSync/"), again)
	require.NotContains(t, again, "--- PASS: TestSweep/counter/AckBeforeSync/", again)
	require.Contains(t, again, "hash "+hash)

	// What the module needed recorded: nothing of porcupine, nor of any
	// other module outside Lockstep (which is replaced by a directory).
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		require.ErrorIs(t, err, fs.ErrNotExist) // nothing needed, nothing written
	}
	require.NotContains(t, string(sum), "porcupine")
	require.Empty(t, strings.TrimSpace(string(sum)), "the module's go.sum needs no module it does not import")

	// go mod tidy records more: checksums for the tests of the packages the
	// module imports too (testify and rapid, the kernel's test libraries),
	// but still nothing of porcupine, which only systems import. Offline,
	// with no checksum database: the checksums come from the module cache.
	env = append(env, "GOSUMDB=off")
	code, out = sh("go mod tidy")
	require.Equal(t, 0, code, out)
	sum, err = os.ReadFile(filepath.Join(dir, "go.sum"))
	require.NoError(t, err)
	require.NotContains(t, string(sum), "porcupine")
	goModAfter, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	require.NotContains(t, string(goModAfter), "porcupine")
}
