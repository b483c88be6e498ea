package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A user's program imports the kernel, the network, the fault plans and
// this runner; none of them may pull in porcupine or any system, or the
// user's go.sum needs modules their code never imports (issue 10).
func TestImportsNoSystem(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: cannot list the package's dependencies")
	}
	const module = "github.com/lockstep-dst/lockstep/"
	out, err := exec.Command("go", "list", "-deps",
		module+"sim", module+"netsim", module+"faults", module+"sim/cli").CombinedOutput()
	require.NoError(t, err, "%s", out)
	allowed := map[string]bool{}
	for _, p := range []string{"sim", "netsim", "faults", "faults/shrink", "seeds", "sim/page", "sim/cli"} {
		allowed[module+p] = true
	}
	deps := strings.Fields(string(out))
	require.Contains(t, deps, module+"sim/cli")
	for _, dep := range deps {
		require.NotContains(t, dep, "porcupine")
		if strings.HasPrefix(dep, module) {
			require.True(t, allowed[dep], "sim/cli depends on %s", dep)
			continue
		}
		// Anything else must be the standard library, whose paths have no
		// dot in their first element.
		first, _, _ := strings.Cut(dep, "/")
		require.NotContains(t, first, ".", "sim/cli depends on %s, outside the standard library", dep)
	}
}

// The replay line starts with the configured command, and messages and
// usage name the configured program.
func TestConfigNamesTheProgram(t *testing.T) {
	var out, errOut bytes.Buffer
	cfg := Config{Name: "mysim", Command: "go run ./cmd/mysim"}
	code := Run(context.Background(), []string{"run", "-scenario", "clitest/FailsOnThrees", "-seeds", "3"}, &out, &errOut, cfg)
	require.Equal(t, 1, code, out.String())
	require.Contains(t, out.String(), "  replay: go run ./cmd/mysim replay -scenario clitest/FailsOnThrees -seed 3\n")
	require.Empty(t, errOut.String(), "a configured command needs no note")

	out.Reset()
	code = Run(context.Background(), []string{"replay", "-scenario", "nosuch", "-seed", "1"}, &out, &errOut, cfg)
	require.Equal(t, 2, code)
	require.Equal(t, "mysim: unknown scenario \"nosuch\" (see 'mysim list')\n", errOut.String())

	out.Reset()
	code = Run(context.Background(), []string{"-h"}, &out, &errOut, cfg)
	require.Equal(t, 0, code)
	require.Contains(t, out.String(), "  mysim replay -scenario NAME")
	require.NotContains(t, out.String(), "simrun")
}

// withArgs0 runs f with os.Args[0] set to arg0.
func withArgs0(t *testing.T, arg0 string, f func()) {
	saved := os.Args
	t.Cleanup(func() { os.Args = saved })
	os.Args = append([]string{arg0}, saved[1:]...)
	f()
}

func TestDefaultCommand(t *testing.T) {
	withArgs0(t, "./bin/my sim", func() {
		cmd, note := DefaultCommand()
		require.Equal(t, "'./bin/my sim'", cmd)
		require.Empty(t, note)
	})
	withArgs0(t, "/tmp/go-build1234/b001/exe/mysim", func() {
		cmd, _ := DefaultCommand()
		require.True(t, strings.HasPrefix(cmd, "go run "), cmd)
	})
	require.True(t, isGoRunBinary("/tmp/go-build3372116/b001/exe/simrun"))
	require.True(t, isGoRunBinary("/home/u/.cache/gotmp/go-build1/b001/exe/mysim"))
	require.False(t, isGoRunBinary("/tmp/go-build3372116/b001/cli.test"))
	require.False(t, isGoRunBinary("./exe/mysim"))
}

// Under go run, the command names the main package's directory relative
// to the working directory, anywhere inside its module; outside it, or
// without build information, the guess is relative to the module's root,
// and a note says so.
func TestGoRunCommand(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("// mine\nmodule \"example.com/m\" // the module\n\ngo 1.26\n"), 0o644))
	sub := filepath.Join(root, "counter", "deep")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o644))

	for _, c := range []struct {
		mainPkg, module, wd string
		want                string
		noted               bool
	}{
		{"example.com/m/cmd/mysim", "example.com/m", root, "go run ./cmd/mysim", false},
		{"example.com/m/cmd/mysim", "example.com/m", sub, "go run ../../cmd/mysim", false},
		{"example.com/m", "example.com/m", filepath.Join(root, "counter"), "go run ..", false},
		{"example.com/m", "example.com/m", root, "go run .", false},
		{"example.com/m/cmd/mysim", "example.com/m", other, "go run ./cmd/mysim", true},
		{"command-line-arguments", "example.com/m", root, "go run .", true},
		{"", "", root, "go run .", true},
	} {
		cmd, note := goRunCommand(c.mainPkg, c.module, c.wd)
		require.Equal(t, c.want, cmd, "%+v", c)
		if c.noted {
			require.Contains(t, note, "set cli.Config.Command", "%+v", c)
		} else {
			require.Empty(t, note, "%+v", c)
		}
	}
	require.Equal(t, "example.com/m", modulePath([]byte("modulex foo\n  module   example.com/m  \n")))
}

// A guessed command is used, and the first replay line comes with a note
// on stderr saying how to name the command for sure; the note is said once.
func TestGuessedCommandIsNoted(t *testing.T) {
	t.Chdir(t.TempDir()) // outside the module: the guess is relative to its root
	withArgs0(t, "/tmp/go-build99/b001/exe/mysim", func() {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), []string{"run", "-scenario", "clitest/FailsOnThrees", "-seeds", "1-9"}, &out, &errOut, Config{})
		require.Equal(t, 1, code, out.String())
		require.Regexp(t, regexp.MustCompile(`(?m)^  replay: go run \.\S* replay -scenario clitest/FailsOnThrees -seed 3$`), out.String())
		require.Equal(t, 1, strings.Count(errOut.String(), "mysim: note: "), errOut.String())
		require.Contains(t, errOut.String(), "set cli.Config.Command")
	})
}
