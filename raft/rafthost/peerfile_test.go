package rafthost

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPeerFileTargetIsTheNameWithoutTmp: a temporary file is renamed over the file whose
// name is its own without tmpSuffix, as persist named the target before files were
// peerFiles; target computes it from the constants' order, which this holds in place.
func TestPeerFileTargetIsTheNameWithoutTmp(t *testing.T) {
	for _, f := range []peerFile{hardTmpFile, snapTmpFile, logTmpFile} {
		require.True(t, strings.HasSuffix(f.name(), tmpSuffix), f.name())
		require.Equal(t, strings.TrimSuffix(f.name(), tmpSuffix), f.target().name(), f.name())
	}
}
