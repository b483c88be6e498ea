// Package rsm is the replicated state machine under both of shardkv's services (the
// shard controller and the replica groups): a Raft peer hosted on a simulated node
// (rafthost), a state machine every replica applies the committed log to, the requests
// that wait for the command they proposed, and snapshots once the Raft state grows past
// maxraftstate. It knows nothing of what the commands mean: a service hands it encoded
// commands and a StateMachine that applies them.
//
// It is kv's server loop (kv/server.go) with the service taken out, so that the
// controller and the groups share one copy of the parts that are easy to get subtly wrong:
// matching a reply to its own command, failing requests when leadership moves, and the
// leader's no-op.
package rsm

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// StateMachine is the service's replicated state. Every replica applies the same committed
// commands in the same order, so everything it holds is replicated state and goes into
// its snapshot, the duplicate table included.
type StateMachine interface {
	// Apply applies one committed command (never the empty no-op) and returns what the
	// request that proposed it is answered with. rsm hands the result to that request's
	// Done before it applies anything else and keeps nothing of it, so it may point into
	// the state machine, valid until the next Apply (every replica applies every command,
	// and a result that is not a pointer is an allocation each time).
	Apply(cmd []byte) any
	// Snapshot encodes the whole state; the bytes must be a function of the state alone
	// (sorted, never in map order).
	Snapshot() []byte
	// Restore replaces the state by a snapshot's.
	Restore(snap []byte) error
}

// Config configures one replica.
type Config struct {
	ID    int   // Raft id, 0..len(Peers)-1
	Peers []int // node ids of every replica, indexed by Raft id
	// MaxRaftState: snapshot when the persisted Raft state exceeds this many bytes; a
	// negative value never snapshots (6.824's maxraftstate = -1).
	MaxRaftState int
	// Observer, if set, sees every persisted Ready of the Raft peer (the Raft checkers).
	Observer rafthost.Observer
	// Name prefixes panics and trace lines ("ctrler", "shardkv-100").
	Name string
}

// WaiterTimeout is how long a request waits for its command to apply before it is
// answered as not led here. A leader cut off from its majority keeps its leadership
// (nothing tells it of a newer term) and its commands never commit; the timeout sends
// the clerk on to another server. Same value and reason as kv.WaiterTimeout.
const WaiterTimeout = 500 * time.Millisecond

// Done is how a proposed command's request is answered: with the result of applying the
// command, or ok=false when this replica cannot say (not the leader, leadership lost, a
// different command took the index, or WaiterTimeout passed). After ok=false the command
// may or may not be applied; the client retries and the duplicate table sorts it out.
type Done func(result any, ok bool)

// RSM is one replica.
type RSM struct {
	clk  clock.Clock
	peer *rafthost.Peer
	cfg  Config
	sm   StateMachine
	// Invariant: lastApplied is the index of the last command applied to sm (or of the
	// snapshot it was restored from), and every ApplyMsg continues from it.
	lastApplied int
	// waiters are the requests waiting for the command proposed at their index.
	// Invariant: waiters exist only while this replica leads term, and are all of it.
	// Held by value: a request per client operation, each a pointer's allocation else.
	waiters  map[int]waiter
	term     int
	leader   bool
	sweeping bool // a sweep of expired waiters is scheduled
	// snapSize is the Raft state size when the last snapshot was handed to Raft: until
	// Raft persists it the size does not change, and asking again would only re-encode.
	snapSize int
}

type waiter struct {
	cmd   []byte
	since time.Duration // the replica's clock (Since) when the request arrived
	done  Done
}

// Start boots a replica on node from what its storage holds: Raft recovers its state and
// log, sm is restored from the snapshot, and the log after it is applied again as Raft
// learns it is committed. Call it from the node's boot function, after registering
// nothing else on ep under Raft's method names.
func Start(node *sim.Node, ep *netsim.Endpoint, cfg Config, sm StateMachine) *RSM {
	r := &RSM{clk: clock.NewSim(node), cfg: cfg, sm: sm, waiters: map[int]waiter{}}
	r.peer = rafthost.StartPeer(node, ep, rafthost.PeerConfig{
		Raft:     raft.Config{ID: cfg.ID},
		Peers:    cfg.Peers,
		Apply:    r.apply,
		Observer: rafthost.AfterPersisted(cfg.Observer, r.leadership),
	})
	// A recovered peer starts with commit = applied = its snapshot index and applies
	// nothing before the state is restored here: the first ApplyMsg is the index after it.
	if snap := r.peer.ReadSnapshot(); len(snap) > 0 {
		r.restore(snap, r.peer.Core().SnapshotMeta().Index)
	}
	return r
}

// Peer is the replica's Raft peer.
func (r *RSM) Peer() *rafthost.Peer { return r.peer }

// LastApplied is the index of the last command applied.
func (r *RSM) LastApplied() int { return r.lastApplied }

// LeaderHint is the address (node id) of the replica this one believes leads, or -1.
func (r *RSM) LeaderHint() int {
	if c := r.peer.Core(); c != nil && c.Leader() >= 0 { // nil: halted on corrupt storage
		return r.cfg.Peers[c.Leader()]
	}
	return -1
}

// Submit proposes cmd (non-empty) and answers done once, when the command at its index is
// applied (with the state machine's result if it is cmd) or when the replica gives up on it.
// A replica that is not the leader answers ok=false at once.
func (r *RSM) Submit(cmd []byte, done Done) {
	if len(cmd) == 0 {
		panic(r.cfg.Name + ": rsm: empty command (the empty command is the leader's no-op)")
	}
	term, leader := r.peer.GetState()
	if !leader {
		done(nil, false)
		return
	}
	// Register before proposing: the index is the leader's next one, and in a
	// single-replica group the command commits and applies inside Start.
	index := r.peer.Core().LastIndex() + 1
	if old, ok := r.waiters[index]; ok {
		delete(r.waiters, index)
		old.done(nil, false)
	}
	r.waiters[index] = waiter{cmd: cmd, since: r.clk.Since(), done: done}
	r.armSweep()
	idx, t, ok := r.peer.Start(cmd)
	if !ok || idx != index || t != term {
		panic(fmt.Sprintf("%s: rsm: replica %d: leader of term %d proposed at %d/t%d (ok=%v), expected index %d",
			r.cfg.Name, r.cfg.ID, term, idx, t, ok, index))
	}
}

// apply is Raft's apply stream: committed commands in log order, and snapshots installed
// from the leader.
func (r *RSM) apply(m *raft.ApplyMsg) {
	if m.SnapshotValid {
		if m.SnapshotIndex <= r.lastApplied {
			panic(fmt.Sprintf("%s: rsm: replica %d: snapshot at %d does not advance applied index %d",
				r.cfg.Name, r.cfg.ID, m.SnapshotIndex, r.lastApplied))
		}
		r.restore(m.Snapshot, m.SnapshotIndex)
		return
	}
	if !m.CommandValid {
		return
	}
	if m.CommandIndex != r.lastApplied+1 {
		panic(fmt.Sprintf("%s: rsm: replica %d: applied %d after %d (apply out of order)",
			r.cfg.Name, r.cfg.ID, m.CommandIndex, r.lastApplied))
	}
	var res any
	if len(m.Command) > 0 {
		res = r.sm.Apply(m.Command)
	}
	r.lastApplied = m.CommandIndex
	if w, ok := r.waiters[m.CommandIndex]; ok {
		delete(r.waiters, m.CommandIndex)
		// Only the command this waiter proposed answers it. Another command at its index
		// means a new leader overwrote the entry: the operation may still be applied
		// elsewhere in the log, or never; the client retries. The bytes name the command
		// whole (client, sequence number and arguments), so equal bytes are the same
		// operation, and a retry of it applied here is answered from the duplicate table.
		w.done(res, bytes.Equal(m.Command, w.cmd))
	}
	r.maybeSnapshot()
}

// maybeSnapshot hands Raft a snapshot once its persisted state exceeds MaxRaftState.
func (r *RSM) maybeSnapshot() {
	if r.cfg.MaxRaftState < 0 {
		return
	}
	size := r.peer.StateSize()
	if size <= r.cfg.MaxRaftState || size == r.snapSize {
		return
	}
	r.snapSize = size
	r.peer.Snapshot(r.lastApplied, r.sm.Snapshot())
}

// restore replaces the state by a snapshot covering through index.
func (r *RSM) restore(snap []byte, index int) {
	if err := r.sm.Restore(snap); err != nil {
		panic(fmt.Sprintf("%s: rsm: replica %d: snapshot at %d: %v", r.cfg.Name, r.cfg.ID, index, err))
	}
	r.lastApplied = index
	// Commands proposed at indexes the snapshot covers can no longer be matched to their
	// waiters; their outcome is in the snapshot's state, which the retry will see.
	r.failWaiters(func(i int) bool { return i <= index })
}

// armSweep schedules the expiry of waiters, one timer per replica rather than one per
// request (a timer is an event, and requests are the most frequent thing in a run).
func (r *RSM) armSweep() {
	if r.sweeping || len(r.waiters) == 0 {
		return
	}
	r.sweeping = true
	r.clk.AfterFunc(WaiterTimeout/2, func() {
		r.sweeping = false
		deadline := r.clk.Since() - WaiterTimeout
		r.failWaiters(func(i int) bool { return r.waiters[i].since <= deadline })
		r.armSweep()
	})
}

// failWaiters answers ok=false to the waiters whose index matches, in index order (the
// replies are events: their order must not depend on map iteration).
func (r *RSM) failWaiters(match func(index int) bool) {
	var idx []int
	for i := range r.waiters {
		if match(i) {
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		w := r.waiters[i]
		delete(r.waiters, i)
		w.done(nil, false)
	}
}

// leadership follows the peer's role after every persisted Ready. A change of term or a
// lost leadership fails every waiter at once, rather than leaving clients to time out:
// the entries they wait for may be overwritten by the new leader, or sit uncommitted in a
// minority. On becoming leader the replica proposes a no-op: Raft commits entries of
// earlier terms only once an entry of its own term commits (§5.4.2), so without it the
// commands a crashed or deposed leader left in the log would wait for the next request.
func (r *RSM) leadership(p *rafthost.Peer) {
	term, leader := p.GetState()
	if term == r.term && leader == r.leader {
		return
	}
	if len(r.waiters) > 0 {
		r.failWaiters(func(int) bool { return true })
	}
	r.term, r.leader = term, leader
	if leader {
		// Not from inside the Ready being processed: propose as an event of its own.
		r.clk.AfterFunc(0, func() {
			if t, l := r.peer.GetState(); l && t == term {
				r.peer.Start([]byte{})
			}
		})
	}
}
