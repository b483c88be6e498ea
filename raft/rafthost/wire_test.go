package rafthost

import (
	"math"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
)

// TestWireFormsAreTheMessage: whatever form a message travels in, the receiver steps the
// message that was sent, and the network counts, hashes and traces that message: the wire
// forms change no byte count and no trace hash.
func TestWireFormsAreTheMessage(t *testing.T) {
	ents := func(cmds ...string) []raft.Entry {
		var es []raft.Entry
		for i, c := range cmds {
			es = append(es, raft.Entry{Term: 3, Index: 5 + i, Command: []byte(c)})
		}
		return es
	}
	tests := []struct {
		name string
		m    raft.Message
		form any // the wire form Clone must choose
	}{
		{"vote request", raft.Message{Type: raft.MsgVote, From: 1, To: 2, Term: 7, LastLogIndex: 40, LastLogTerm: 6}, &small{}},
		{"vote granted", raft.Message{Type: raft.MsgVoteResp, From: 2, To: 1, Term: 7, Granted: true}, &small{}},
		{"append ok", raft.Message{Type: raft.MsgAppResp, From: 2, To: 1, Term: 7, PrevIndex: 40, Success: true, MatchIndex: 41}, &small{}},
		{"append rejected", raft.Message{Type: raft.MsgAppResp, From: 2, To: 1, Term: 7, PrevIndex: 40, ConflictIndex: 33, ConflictTerm: -1}, &small{}},
		{"stale-term response", raft.Message{Type: raft.MsgSnapResp, From: 2, To: 1, Term: 9, ConflictTerm: -1}, &small{}},
		{"snapshot ok", raft.Message{Type: raft.MsgSnapResp, From: 2, To: 1, Term: 7, Success: true, MatchIndex: 90}, &small{}},
		{"heartbeat", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: 40, PrevTerm: 6, Commit: 39}, &heartbeat{}},
		{"first heartbeat", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 1}, &small{}},
		{"empty entries", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, Entries: []raft.Entry{}}, &appendMsg{}},
		{"one entry", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: 4, PrevTerm: 2, Entries: ents("abc"), Commit: 3}, &appendMsg{}},
		{"entries", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, PrevIndex: 4, PrevTerm: 2, Entries: ents("abc", "", "defg"), Commit: 4}, &appendMsg{}},
		{"nil command", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, Entries: []raft.Entry{{Term: 7, Index: 1}}}, &appendMsg{}},
		{"snapshot", raft.Message{Type: raft.MsgSnap, From: 1, To: 2, Term: 7, Snapshot: raft.SnapshotMeta{Index: 90, Term: 6}, Data: []byte("state")}, &raft.Message{}},
		{"append with a vote field", raft.Message{Type: raft.MsgApp, From: 1, To: 2, Term: 7, Commit: 2, LastLogIndex: 3}, &raft.Message{}},
		{"node beyond int32", raft.Message{Type: raft.MsgVoteResp, From: math.MaxInt32 + 1, To: 1, Term: 7}, &raft.Message{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.m
			sent := tt.m
			sent.Entries = append([]raft.Entry(nil), tt.m.Entries...) // keep tt.m intact
			if tt.m.Entries != nil && len(tt.m.Entries) == 0 {
				sent.Entries = []raft.Entry{}
			}
			for i, e := range sent.Entries {
				if e.Command != nil {
					sent.Entries[i].Command = append([]byte{}, e.Command...)
				}
			}
			if tt.m.Data != nil {
				sent.Data = append([]byte{}, tt.m.Data...)
			}
			out := (*outgoing)(&sent)
			wire := out.Clone()
			require.IsType(t, tt.form, wire)
			w := wire.(netsim.Message)
			require.Equal(t, sent.Size(), w.Size(), "byte count")
			require.Equal(t, sent.Digest(), w.(netsim.Digester).Digest(), "trace hash")
			require.Equal(t, sent.String(), w.(interface{ String() string }).String(), "trace")
			require.Equal(t, sent.Digest(), out.Digest())
			require.Equal(t, sent.Size(), out.Size())
			require.Equal(t, orig, received(wire))

			// A duplicate delivery clones the wire form: the same message again.
			dup := w.Clone()
			require.IsType(t, tt.form, dup)
			require.Equal(t, orig, received(dup))

			// Nothing the sender does afterwards reaches the copies.
			for i := range sent.Entries {
				if len(sent.Entries[i].Command) > 0 {
					sent.Entries[i].Command[0] = 'X'
				}
				sent.Entries[i].Term = 99
			}
			if len(sent.Data) > 0 {
				sent.Data[0] = 'X'
			}
			sent.Term, sent.MatchIndex = 99, 99
			require.Equal(t, orig, received(wire))
			require.Equal(t, orig, received(dup))
			if got := received(wire); len(got.Entries) > 0 {
				got.Entries = append(got.Entries[:1:1], raft.Entry{Term: 1})
				require.Equal(t, orig, received(dup), "an append to one copy's entries reaches no other")
			}
		})
	}
	require.Panics(t, func() { received("not a message") })
}

// TestWireFormSizes pins the sizes wire.go's comment gives (on 64-bit platforms): a form
// that grew past its allocation size class would quietly give back what it saves.
func TestWireFormSizes(t *testing.T) {
	if unsafe.Sizeof(0) != 8 {
		t.Skip("sizes are given for 64-bit platforms")
	}
	require.EqualValues(t, 72, unsafe.Sizeof(small{}))
	require.EqualValues(t, 40, unsafe.Sizeof(heartbeat{}))
	require.EqualValues(t, 104, unsafe.Sizeof(appendMsg{}))
	require.EqualValues(t, 160, unsafe.Sizeof(raft.Message{}))
}
