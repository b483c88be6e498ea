package rafthost

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLogBufferOnlyOnceReplacedDurably: the array of a rewritten log comes back only once
// the next rewrite's rename replaced its file and a sync issued after that rename completed,
// and only with room for what is asked.
func TestLogBufferOnlyOnceReplacedDurably(t *testing.T) {
	var l fileBuffers
	l1, l2 := make([]byte, 10, 64), make([]byte, 10, 64)
	l.written(l1)
	l.issued++
	l.done++
	l.renamed()
	require.Nil(t, l.get(8), "l1 is the log file")
	l.written(l2)
	l.issued++
	l.done++ // the sync before the rename: l1 is still the durable log file
	l.renamed()
	require.Nil(t, l.get(8), "no sync issued after the rename completed")
	l.issued++
	require.Nil(t, l.get(8), "the sync after the rename is in flight")
	l.done++
	require.Nil(t, l.get(65), "too small")
	got := l.get(64)
	require.True(t, sameArray(l1, got) && len(got) == 0, "l1 comes back, empty")
	require.Nil(t, l.get(8), "once")
}

// TestSnapshotHeadOnlyOnceReplacedDurably: a snapshot file's head comes back as a rewritten
// log's array does, on the syncs of the same peer: once the next snapshot's rename replaced
// its file and a sync issued after that rename completed.
func TestSnapshotHeadOnlyOnceReplacedDurably(t *testing.T) {
	var l fileBuffers
	h1, h2 := make([]byte, 17, 33), make([]byte, 17, 33)
	l.heads.written(h1)
	l.issued++
	l.done++
	l.heads.renamed(l.issued)
	require.Nil(t, l.heads.get(33, l.done), "h1 is the snapshot file's head")
	l.heads.written(h2)
	l.issued++
	l.done++
	l.heads.renamed(l.issued)
	require.Nil(t, l.heads.get(33, l.done), "no sync issued after the rename completed")
	require.Nil(t, l.get(8), "a head is not a log's array")
	l.issued++
	l.done++
	got := l.heads.get(33, l.done)
	require.True(t, sameArray(h1, got) && len(got) == 0, "h1 comes back, empty")
	require.Nil(t, l.heads.get(33, l.done), "once")
}
