package raft

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMessageCloneSharesNoMemory(t *testing.T) {
	m := &Message{
		Type: MsgApp, From: 1, To: 2, Term: 3, PrevIndex: 4, PrevTerm: 2, Commit: 4,
		Entries: []Entry{{Term: 3, Index: 5, Command: []byte("abc")}, {Term: 3, Index: 6, Command: []byte{}}},
		Data:    []byte("snap"),
	}
	c := m.Clone().(*Message)
	require.Equal(t, m, c)

	m.Entries[0].Command[0] = 'X'
	m.Entries[1].Term = 99
	m.Data[0] = 'X'
	require.Equal(t, "abc", string(c.Entries[0].Command))
	require.Equal(t, 3, c.Entries[1].Term)
	require.Equal(t, "snap", string(c.Data))
	require.NotNil(t, c.Entries[1].Command, "an empty command stays non-nil")

	empty := (&Message{Type: MsgVote}).Clone().(*Message)
	require.Nil(t, empty.Entries)
	require.Nil(t, empty.Data)

	// One entry: allocated with the message (Clone's messageWithEntry), copied all the same.
	one := &Message{Type: MsgApp, Term: 3, Entries: []Entry{{Term: 3, Index: 5, Command: []byte("abc")}}}
	c1 := one.Clone().(*Message)
	require.Equal(t, one, c1)
	one.Entries[0].Command[0] = 'X'
	one.Entries[0].Index = 99
	require.Equal(t, Entry{Term: 3, Index: 5, Command: []byte("abc")}, c1.Entries[0])
	c1.Entries = append(c1.Entries, Entry{Term: 3, Index: 6})
	require.Len(t, one.Entries, 1, "an append to the clone's entries reaches nothing of the original")
	nilCmd := (&Message{Type: MsgApp, Entries: []Entry{{Term: 1, Index: 1}}}).Clone().(*Message)
	require.Nil(t, nilCmd.Entries[0].Command, "a nil command stays nil")
}

func TestMessageSize(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want int
	}{
		{"vote", Message{Type: MsgVote}, msgHeaderSize},
		{"heartbeat", Message{Type: MsgApp}, msgHeaderSize},
		{"two entries", Message{Type: MsgApp, Entries: []Entry{{Command: make([]byte, 5000)}, {Command: nil}}}, msgHeaderSize + 2*entryHeaderSize + 5000},
		{"snapshot", Message{Type: MsgSnap, Data: make([]byte, 100)}, msgHeaderSize + 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { require.Equal(t, tt.want, tt.m.Size()) })
	}
}

func TestMsgTypeStrings(t *testing.T) {
	require.Equal(t, "MsgSnapResp", MsgSnapResp.String())
	require.Equal(t, "MsgType(0)", MsgType(0).String())
	for _, req := range []MsgType{MsgVote, MsgApp, MsgSnap} {
		require.True(t, req.IsRequest())
		require.False(t, req.ResponseType().IsRequest())
	}
	require.Panics(t, func() { MsgAppResp.ResponseType() })
}

// TestMessageDigest is issue 8 item 8 (raft side): the digest the network folds into the
// trace hash covers every field and the bytes of every command and of the snapshot, so
// two runs that differ only in a value differ in hash; a clone digests the same.
func TestMessageDigest(t *testing.T) {
	base := func() *Message {
		return &Message{Type: MsgApp, From: 1, To: 2, Term: 3, LastLogIndex: 4, LastLogTerm: 2, PrevIndex: 4, PrevTerm: 2,
			Commit: 4, Entries: []Entry{{Term: 3, Index: 5, Command: []byte("abc")}, {Term: 3, Index: 6, Command: []byte("d")}},
			ConflictIndex: 1, ConflictTerm: 1, MatchIndex: 2, Snapshot: SnapshotMeta{Index: 1, Term: 1}, Data: []byte("snap")}
	}
	d := base().Digest()
	require.Equal(t, d, base().Clone().(*Message).Digest())
	for name, change := range map[string]func(m *Message){
		"type":            func(m *Message) { m.Type = MsgAppResp },
		"from":            func(m *Message) { m.From = 0 },
		"to":              func(m *Message) { m.To = 0 },
		"term":            func(m *Message) { m.Term++ },
		"last log index":  func(m *Message) { m.LastLogIndex++ },
		"last log term":   func(m *Message) { m.LastLogTerm++ },
		"granted":         func(m *Message) { m.Granted = true },
		"prev index":      func(m *Message) { m.PrevIndex++ },
		"prev term":       func(m *Message) { m.PrevTerm++ },
		"commit":          func(m *Message) { m.Commit++ },
		"success":         func(m *Message) { m.Success = true },
		"conflict index":  func(m *Message) { m.ConflictIndex++ },
		"conflict term":   func(m *Message) { m.ConflictTerm++ },
		"match index":     func(m *Message) { m.MatchIndex++ },
		"snapshot index":  func(m *Message) { m.Snapshot.Index++ },
		"snapshot term":   func(m *Message) { m.Snapshot.Term++ },
		"a command byte":  func(m *Message) { m.Entries[0].Command[1] = 'X' },
		"an entry term":   func(m *Message) { m.Entries[1].Term++ },
		"an entry index":  func(m *Message) { m.Entries[1].Index++ },
		"bytes moved":     func(m *Message) { m.Entries[0].Command, m.Entries[1].Command = []byte("ab"), []byte("cd") },
		"an entry less":   func(m *Message) { m.Entries = m.Entries[:1] },
		"a snapshot byte": func(m *Message) { m.Data[0] = 'S' },
	} {
		m := base()
		change(m)
		require.NotEqual(t, d, m.Digest(), name)
	}
}
