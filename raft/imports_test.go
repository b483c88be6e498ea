package raft

import (
	"go/build"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCoreImportsOnlyTheStandardLibrary is issue 8 item 7 (raft's shape): the protocol core
// imports nothing of the simulator (or anything outside the standard library), so that a
// real host can use it and importing it registers no scenario. Before the split, package
// raft held the host, the harness and the scenarios, and imported sim, netsim, clock and
// faults.
func TestCoreImportsOnlyTheStandardLibrary(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	require.NotEmpty(t, pkg.Imports)
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		require.NotContains(t, first, ".", "package raft imports %s", imp)
	}
}
