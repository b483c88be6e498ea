package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeEntry(t *testing.T, dir, file, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644))
}

func runCorpus(t *testing.T, dir string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), []string{"corpus", "-dir", dir}, &out, &errOut, testConfig)
	return code, out.String(), errOut.String()
}

// TestCorpusCommand: a corpus whose passing entries pass and whose planted
// entry fails as recorded is accepted; an entry that regressed, or an
// expected failure that now ends differently, is named and exits 1.
func TestCorpusCommand(t *testing.T) {
	dir := t.TempDir()
	writeEntry(t, dir, "pass.json", `{"scenario": "clitest/FailsOnThrees", "seed": 4,
		"found": "seed 4 failed once", "fixed": "fixed by the test"}`)
	seed := firstFailing(t, "clitest/planted/LostCount", 30)
	writeEntry(t, dir, "planted.json", `{"scenario": "clitest/planted/LostCount", "seed": `+strconv.FormatUint(seed, 10)+`, "faults": "swarm",
		"found": "counts lost", "fixed": "planted bug: still caught",
		"expect": {"outcome": "fail", "check": "clitest/durability"}}`)
	code, out, errOut := runCorpus(t, dir)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Contains(t, out, "2 entries: 2 as recorded, 0 not")

	writeEntry(t, dir, "regressed.json", `{"scenario": "clitest/FailsOnThrees", "seed": 6,
		"found": "seed 6 failed once", "fixed": "claimed fixed"}`)
	writeEntry(t, dir, "wrongcheck.json", `{"scenario": "clitest/planted/LostCount", "seed": `+strconv.FormatUint(seed, 10)+`, "faults": "swarm",
		"found": "counts lost", "fixed": "planted bug: still caught",
		"expect": {"outcome": "fail", "check": "some-other-check"}}`)
	code, out, errOut = runCorpus(t, dir)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	require.Contains(t, out, "FAIL regressed.json")
	require.Contains(t, out, "seed 6 is divisible by 3")
	require.Contains(t, out, "FAIL wrongcheck.json")
	require.Contains(t, out, "some-other-check")
	require.Contains(t, out, "4 entries: 2 as recorded, 2 not")
}

func TestCorpusCommandUsageErrors(t *testing.T) {
	code, _, errOut := runCorpus(t, filepath.Join(t.TempDir(), "missing"))
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "missing")
	code, _, errOut = runCorpus(t, t.TempDir())
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "holds no entries")

	dir := t.TempDir()
	writeEntry(t, dir, "unknown.json", `{"scenario": "clitest/NoSuch", "seed": 1, "found": "x", "fixed": "y"}`)
	code, out, _ := runCorpus(t, dir)
	require.Equal(t, 1, code)
	require.Contains(t, out, `unknown scenario "clitest/NoSuch"`)
}
