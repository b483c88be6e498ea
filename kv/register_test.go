package kv

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestImportingKVRegistersNoScenario: the server side is a library; the kv scenarios
// register from kv/kvsim, which this test binary does not import.
func TestImportingKVRegistersNoScenario(t *testing.T) {
	scs, err := sim.Match("kv/*")
	require.NoError(t, err)
	require.Empty(t, scs)
}
