package rafthost

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/raft"
)

// TestRecordsDigestIsOfTheBytes: the digest of written records changes with any byte of any
// record's body, and a snapshot written as its record's head and its data digests as the
// whole record does.
func TestRecordsDigestIsOfTheBytes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(t, "entries")
		var ents []raft.Entry
		for i := 0; i < n; i++ {
			ents = append(ents, raft.Entry{Term: 1, Index: i + 1, Command: rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "cmd")})
		}
		rd := raft.Ready{Truncate: rapid.IntRange(0, 3).Draw(t, "truncate"), Entries: ents}
		b := raft.AppendReadyRecords(nil, &rd)
		d := recordsDigest(b, len(b))

		// Change one byte of one command: the bytes differ, and so does the digest.
		i := rapid.IntRange(0, n-1).Draw(t, "changed")
		if len(ents[i].Command) > 0 {
			changed := append([]raft.Entry(nil), ents...)
			cmd := append([]byte(nil), ents[i].Command...)
			cmd[rapid.IntRange(0, len(cmd)-1).Draw(t, "at")] ^= byte(rapid.IntRange(1, 255).Draw(t, "flip"))
			changed[i].Command = cmd
			rd.Entries = changed
			b2 := raft.AppendReadyRecords(nil, &rd)
			require.NotEqual(t, d, recordsDigest(b2, len(b2)))
		}

		s := raft.SnapshotState{Meta: raft.SnapshotMeta{Index: 7, Term: 2}, Data: rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "data")}
		head, whole := raft.SnapshotRecordHead(s), raft.EncodeSnapshot(s)
		require.Equal(t, recordsDigest(whole, len(whole)), recordsDigest(head, len(head)+len(s.Data)))
	})
}

// TestRecordHeaderSize: the header the digest reads is the records' (raft/persist.go).
func TestRecordHeaderSize(t *testing.T) {
	e := raft.Entry{Term: 1, Index: 1, Command: []byte("x")}
	require.Equal(t, raft.RecordHeaderSize+1+1+1+1, raft.EntryRecordSize(e))
}
