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
