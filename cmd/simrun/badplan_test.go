package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Item 15: a plan with data after it is a usage error, and so is a plan
// sized for another number of nodes: it fails the run with an error that
// wraps sim.ErrBadInput, which is the input's fault, not the register's.
func TestBadPlansAreUsageErrors(t *testing.T) {
	plan := func(nodes int) string {
		return fmt.Sprintf(`{"profile": "hand", "nodes": %d, "until": 3000000000, "actions": [
		  {"at": 1000000000, "kind": "crash", "nodes": [0]},
		  {"at": 1500000000, "kind": "restart", "nodes": [0]}]}`, nodes)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		file := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(file, []byte(body), 0o644))
		return "@" + file
	}
	ok := write("ok.json", plan(3))
	code, out, _ := simrun("run", "-scenario", "example/Register", "-seeds", "1-2", "-faults", ok)
	require.Equal(t, 0, code, out)

	save := t.TempDir()
	for _, c := range []struct{ faults, want string }{
		{write("trailing.json", plan(3)+`{"nodes": 5}`), "trailing.json"},
		{write("nodes.json", plan(7)), "example/Register"},
		{plan(7), "example/Register"},
	} {
		code, out, errOut := simrun("run", "-scenario", "example/Register", "-seeds", "1-3", "-faults", c.faults, "-save", save)
		require.Equal(t, 2, code, "%s: %s", c.faults, out)
		require.Empty(t, out, c.faults)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "%q", errOut)
		require.Contains(t, errOut, c.want)
	}
	files, err := os.ReadDir(save)
	require.NoError(t, err)
	require.Empty(t, files, "-save saved a bad-input run")
}
