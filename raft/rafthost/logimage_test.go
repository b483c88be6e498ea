package rafthost

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/raft"
)

// TestLogImageIsTheEncodedLog: after any sequence of Readies (truncates, entries that
// overwrite a tail or continue the log) and compactions, the image is exactly the records
// of the log's entries, encoded one after the other, as encoding the log whole gives them;
// and appendReady folds the records it adds, and fold the whole image, as foldRecords does.
func TestLogImageIsTheEncodedLog(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var m logImage
		var log []raft.Entry // the model: entries first..last, contiguous
		first, term := 1, 1
		m.first = first
		for step := rapid.IntRange(1, 40).Draw(t, "steps"); step > 0; step-- {
			last := first + len(log) - 1
			if rapid.IntRange(0, 3).Draw(t, "op") == 0 {
				c := rapid.IntRange(first, last+1).Draw(t, "compact")
				log, first = log[c-first:], c
				m.compact(c)
			} else {
				var rd raft.Ready
				from := rapid.IntRange(first, last+1).Draw(t, "from")
				if from <= last || rapid.Bool().Draw(t, "truncate") {
					rd.Truncate = from
				}
				log = log[:from-first]
				term += rapid.IntRange(0, 1).Draw(t, "term step")
				for i := rapid.IntRange(0, 4).Draw(t, "entries"); i > 0; i-- {
					e := raft.Entry{Term: term, Index: first + len(log), Command: rapid.SliceOfN(rapid.Byte(), 0, 200).Draw(t, "cmd")}
					log = append(log, e)
					rd.Entries = append(rd.Entries, e)
				}
				from0 := rapid.Uint64().Draw(t, "fold")
				start, fold := m.appendReady(&rd, from0)
				want := []byte{}
				for _, e := range rd.Entries {
					want = raft.AppendEntryRecord(want, e)
				}
				require.Equal(t, want, append([]byte{}, m.b[start:]...), "the Ready's records")
				require.Equal(t, foldRecords(from0, want), fold, "the Ready's records folded")
			}
			want := []byte{}
			for _, e := range log {
				want = raft.AppendEntryRecord(want, e)
			}
			require.Equal(t, want, append([]byte{}, m.b...))
			require.Equal(t, foldRecords(fnvOffset, want), m.fold(), "the image's records folded from its notes")
			require.Len(t, m.ents, len(log))
			for k, e := range log {
				require.Equal(t, e.Term, m.ents[k].term)
				require.Equal(t, len(raft.AppendEntryRecord(nil, e)), m.end(k+1)-m.end(k))
			}
			if len(log) > 0 {
				require.Equal(t, first, m.first)
			}
		}
	})
}

// TestLogImageGapStartsOver: an entry that leaves a gap after the image's last (a log
// continued after an installed snapshot) replaces the whole image, as the log file's replay
// does (raft.ReplayLog).
func TestLogImageGapStartsOver(t *testing.T) {
	var m logImage
	m.appendReady(&raft.Ready{Entries: []raft.Entry{{Term: 1, Index: 1}, {Term: 1, Index: 2}}}, fnvOffset)
	m.appendReady(&raft.Ready{Entries: []raft.Entry{{Term: 2, Index: 5, Command: []byte("x")}}}, fnvOffset)
	require.Equal(t, 5, m.first)
	require.Equal(t, raft.AppendEntryRecord(nil, raft.Entry{Term: 2, Index: 5, Command: []byte("x")}), m.b)
}
