package rafthost

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
)

// recorder notes every observer call, the optional ones included.
type recorder struct{ calls *[]string }

func (r recorder) Booted(*Peer, raft.Persistent) { *r.calls = append(*r.calls, "booted") }
func (r recorder) Persisted(*Peer, *raft.Ready)  { *r.calls = append(*r.calls, "persisted") }
func (r recorder) Writing(*Peer, *raft.Ready)    { *r.calls = append(*r.calls, "writing") }
func (r recorder) Halted(*Peer, error)           { *r.calls = append(*r.calls, "halted") }

// A chained observer passes every call on, the optional ones too, and runs after once a
// Ready is persisted, after the observer it chains to has seen it.
func TestAfterPersistedPassesEveryCallOn(t *testing.T) {
	var calls []string
	o := AfterPersisted(recorder{&calls}, func(*Peer) { calls = append(calls, "after") })
	o.Booted(nil, raft.Persistent{})
	o.(WritingObserver).Writing(nil, &raft.Ready{})
	o.Persisted(nil, &raft.Ready{})
	o.(HaltObserver).Halted(nil, errors.New("corrupt"))
	require.Equal(t, []string{"booted", "writing", "persisted", "after", "halted"}, calls)

	calls = nil
	alone := AfterPersisted(nil, func(*Peer) { calls = append(calls, "after") })
	alone.Booted(nil, raft.Persistent{})
	alone.(WritingObserver).Writing(nil, &raft.Ready{})
	alone.Persisted(nil, &raft.Ready{})
	alone.(HaltObserver).Halted(nil, errors.New("corrupt"))
	require.Equal(t, []string{"after"}, calls)
}
