package kv

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestImportingKVRegistersNoScenario: the server side is a library. Neither it nor what it
// imports (the Raft host of raft/rafthost included) registers a scenario: the kv scenarios
// register from kv/kvsim and the raft ones from raft/raftsim, neither of which this test
// binary imports, so the registry is empty. Before the host moved out of raft/raftsim,
// importing the server registered every raft/* scenario.
func TestImportingKVRegistersNoScenario(t *testing.T) {
	var names []string
	for _, s := range sim.Scenarios() {
		names = append(names, s.Name)
	}
	require.Empty(t, names, "scenarios registered by importing package kv")
}
