package raftcheck

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
)

// TestCommittedCommandsKeptExactly applies commands of every length class the state
// machine check keeps (nil, empty, in the entry, in a chunk, of their own) and checks
// that each is remembered exactly, that a different command of the same length at an
// index is a violation, and that a later copy of the Ready's bytes changing does not
// change what was remembered.
func TestCommittedCommandsKeptExactly(t *testing.T) {
	cmds := [][]byte{nil, {}, []byte("sixteen bytes!!!"), []byte("seventeen bytes!!"),
		bytes.Repeat([]byte("c"), chunkLen/8), bytes.Repeat([]byte("d"), chunkLen/8+1), []byte("short")}
	for len(cmds) < 200 { // enough to fill several chunks
		cmds = append(cmds, bytes.Repeat([]byte{byte(len(cmds))}, 17+len(cmds)%40))
	}
	s := stateMachineSafety{applied: make([]int, 2)}
	rd := &raft.Ready{}
	for i, c := range cmds {
		rd.Apply = append(rd.Apply, raft.ApplyMsg{CommandValid: true, Command: bytes.Clone(c), CommandIndex: i + 1, CommandTerm: 1})
		if c == nil {
			rd.Apply[i].Command = nil
		}
	}
	require.NoError(t, s.check(0, 1, rd))
	for i := range rd.Apply {
		if len(rd.Apply[i].Command) <= chunkLen/8 { // longer ones are the Ready's, as before
			for k := range rd.Apply[i].Command {
				rd.Apply[i].Command[k] ^= 0xff
			}
		}
	}
	for i, c := range cmds {
		e := s.entry(i + 1)
		require.NotNil(t, e)
		got := e.command(&s.commands)
		require.Equal(t, c == nil, got == nil, "index %d", i+1)
		require.Equal(t, string(c), string(got), "index %d", i+1)
		require.Equal(t, len(got), cap(got), "index %d: capacity clipped", i+1)
	}
	// Peer 1 applies them all again, then one that differs in its last byte.
	again := &raft.Ready{}
	for i, c := range cmds {
		again.Apply = append(again.Apply, raft.ApplyMsg{CommandValid: true, Command: c, CommandIndex: i + 1, CommandTerm: 1})
	}
	require.NoError(t, s.check(1, 1, again))
	for i, c := range cmds {
		if len(c) == 0 {
			continue
		}
		s.applied[1] = i
		bad := bytes.Clone(c)
		bad[len(bad)-1]++
		err := s.check(1, 1, &raft.Ready{Apply: []raft.ApplyMsg{{CommandValid: true, Command: bad, CommandIndex: i + 1, CommandTerm: 1}}})
		require.Error(t, err, "index %d", i+1)
	}
}
