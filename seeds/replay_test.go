package seeds_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCorpus replays the repository's regression corpus through the
// repository's runner (`simrun corpus`): every entry twice, identically,
// each pass still passing and each planted bug still caught by its check.
// It runs the runner as a program, not in this test binary, because a test
// of package seeds that imported the systems would put their dependencies
// (porcupine) into the go.sum of every module that requires Lockstep: go
// mod tidy records checksums for the test imports of the packages a module
// imports, and runners import seeds.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/simrun")
	}
	bin := filepath.Join(t.TempDir(), "simrun")
	build := exec.Command("go", "build", "-o", bin, "./cmd/simrun")
	build.Dir = ".."
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/simrun:\n%s", out)

	wd, err := os.Getwd()
	require.NoError(t, err)
	out, err = exec.Command(bin, "corpus", "-dir", wd).CombinedOutput()
	t.Logf("simrun corpus -dir seeds:\n%s", out)
	require.NoError(t, err, "simrun corpus failed:\n%s", out)
	require.NotContains(t, string(out), "FAIL")
	entries, err := filepath.Glob("*.json")
	require.NoError(t, err)
	require.Contains(t, string(out), fmt.Sprintf("%d entries: %d as recorded, 0 not", len(entries), len(entries)))
}
