package rafthost

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/raft"
)

// TestAppendOutIsTheMessage: an AppendEntries sent through a peer's appendOut, again and
// again, and another with the same indexes but other commands, each digest as the message
// itself does, whatever the CRCs remembered from the earlier sends.
func TestAppendOutIsTheMessage(t *testing.T) {
	crcs := new(commandCRCs)
	rapid.Check(t, func(t *rapid.T) {
		prev := rapid.IntRange(0, 600).Draw(t, "prev")
		msg := func() raft.Message {
			m := raft.Message{Type: raft.MsgApp, From: 0, To: rapid.IntRange(1, 4).Draw(t, "to"), Term: 3,
				PrevIndex: prev, PrevTerm: 2, Commit: prev, Entries: []raft.Entry{}}
			for i := rapid.IntRange(1, 6).Draw(t, "n"); i > 0; i-- {
				var cmd []byte
				if rapid.IntRange(0, 3).Draw(t, "nil") > 0 {
					cmd = rapid.SliceOfN(rapid.Byte(), 1, 50).Draw(t, "cmd")
				}
				m.Entries = append(m.Entries, raft.Entry{Term: 3, Index: prev + 1 + len(m.Entries), Command: cmd})
			}
			return m
		}
		m, other := msg(), msg()
		for range 3 {
			for _, x := range []*raft.Message{&m, &other} {
				out := &appendOut{m: x, crcs: crcs}
				require.Equal(t, x.Digest(), out.Digest())
				wire := out.Clone()
				a, ok := wire.(appendForm)
				require.True(t, ok, "%T", wire)
				require.Equal(t, x.Digest(), a.head().Digest())
				require.Equal(t, *x, received(a))
				// As the network asks: the digest right after the Clone.
				out = &appendOut{m: x, crcs: crcs}
				out.Clone()
				require.Equal(t, x.Digest(), out.Digest())
			}
		}
	})
}
