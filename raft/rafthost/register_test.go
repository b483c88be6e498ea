package rafthost

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestImportingTheHostRegistersNoScenario: the host is a library that systems built on
// Raft (kv, shardkv) import; the raft/* scenarios register from raft/raftsim, which this
// test binary does not import, so nothing this package or its imports pull in registers a
// scenario.
func TestImportingTheHostRegistersNoScenario(t *testing.T) {
	var names []string
	for _, s := range sim.Scenarios() {
		names = append(names, s.Name)
	}
	require.Empty(t, names, "scenarios registered by importing package rafthost")
}
