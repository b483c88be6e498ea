// Package kv is the server side of a linearizable, fault-tolerant key/value service on
// Raft (the 6.824 Lab 3 kvraft): servers that put every operation, Get included, through
// the Raft log, with duplicate detection in the replicated state (Store) and snapshots when
// the Raft state grows past maxraftstate, and the command and RPC encodings clerks use.
// Importing it registers no kv scenario: the test harness (cluster, clerks, history,
// porcupine model and checks) and the scenarios live in kv/kvsim.
package kv

import (
	"fmt"
	"math"
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// ServerConfig configures one server.
type ServerConfig struct {
	ID    int   // Raft id, 0..len(Peers)-1
	Peers []int // node ids of every server, indexed by Raft id
	// MaxRaftState: snapshot when the persisted Raft state exceeds this many bytes; a
	// negative value never snapshots (6.824's maxraftstate = -1).
	MaxRaftState int
	// Observer, if set, sees every persisted Ready of the Raft peer (the Raft checkers).
	Observer rafthost.Observer
	// Applied, if set, is told of every request the server answers OK, as it answers:
	// the client and sequence number, and the log index at which the operation took
	// effect (a Put or Append retried after its first copy was applied: that copy's
	// index, 0 if unknown, before the snapshot this instance restored). It changes
	// nothing the server does; a harness uses it to propose an order of the history to
	// the linearizability check (kvsim's witness).
	Applied func(client, seq int64, index int)

	// UnsafeLocalGets deliberately breaks linearizability: a server that thinks it is the
	// leader answers Get from its local state without going through the log, so a deposed
	// leader that has not heard of its successor serves stale reads. Tests only.
	UnsafeLocalGets bool
	// UnsafeVolatileDedup deliberately breaks exactly-once: the duplicate table lives in a
	// per-server map, outside the replicated Store, so it is missing from snapshots and
	// lost at a restart (see Store). Tests only.
	UnsafeVolatileDedup bool
}

// The states of the service where its classic bugs live, counted as coverage probes
// (sim.Probe): a sweep that never reaches them proves little about the code they test.
var (
	// ProbePendingIndexTaken: a leader lost its leadership with client requests pending at
	// log indices that the next leader filled with other commands. The server sees, at an
	// index where it had a waiter, a different command applied. A server that answered a
	// waiter by index alone would report that command's result as the request's.
	ProbePendingIndexTaken = sim.NewProbe("kv/pending-request-index-taken",
		"a deposed leader sees another command applied at the index of a request it had pending")
	// ProbeDuplicateAfterSnapshot: a retried Put or Append reaches the apply stream after
	// its first copy was applied and a snapshot covers it (taken here, installed from the
	// leader, or restored at boot). Only a duplicate table inside the snapshot recognises it.
	ProbeDuplicateAfterSnapshot = sim.NewProbe("kv/duplicate-after-snapshot",
		"a duplicate Put or Append is applied after its first copy was applied and snapshotted")
)

// Server is one kvraft replica, hosted on a simulated node next to its Raft peer.
type Server struct {
	world *sim.World
	clk   clock.Clock
	peer  *rafthost.Peer
	cfg   ServerConfig
	store *Store
	// Invariant: lastApplied is the index of the last command applied to store (or of the
	// snapshot it was restored from), and every ApplyMsg continues from it.
	lastApplied int
	// waiters are the RPCs waiting for the command proposed at their index. Invariant:
	// waiters exist only while this server is leader of term, and are all of that term.
	waiters  waiters
	term     int
	leader   bool
	sweeping bool // a sweep of expired waiters is scheduled
	// snapSize is the Raft state size when the last snapshot was handed to Raft: until
	// Raft persists it the size does not change, and asking again would only re-encode.
	snapSize int
	// snapAbove is the Raft state size above which the server snapshots: MaxRaftState,
	// or, if that is negative (never), the largest int, so that apply's test after every
	// command is one comparison either way.
	snapAbove int
	// seen is UnsafeVolatileDedup's per-server duplicate table.
	seen map[int64]*session
	// reply is every answer's OpReply (see answer).
	reply OpReply
	// cmd is every proposal's encoding: Raft copies a proposed command into its log entry
	// (rafthost.Peer.Start), so one buffer serves them all.
	cmd []byte

	// For the probes only (they change nothing): deposed holds, by log index, the
	// requests whose waiters a loss of leadership failed, until that index is applied;
	// and snapIndex is the index of the latest snapshot taken, installed or restored.
	// (Where this instance applied each client's latest operation is in the sessions of
	// its duplicate table: the store's, or seen.)
	deposed   map[int]request
	snapIndex int
}

// request names one client operation.
type request struct{ client, seq int64 }

// WaiterTimeout is how long a server keeps a request waiting for its command to apply
// before answering ErrWrongLeader. A leader cut off from its majority keeps its leadership
// (nothing tells it of a newer term) and its commands never commit; the timeout sends the
// clerk on to another server. The original leaves the choice to the student; this is a
// common one, and well above the tens of milliseconds a commit takes here.
const WaiterTimeout = 500 * time.Millisecond

// StartServer boots a server on node from what its storage holds: Raft recovers its state
// and log, the store is restored from the snapshot, and the log after it is applied again
// as Raft learns it is committed. Call it from the node's boot function.
func StartServer(node *sim.Node, ep *netsim.Endpoint, cfg ServerConfig) *Server {
	s := &Server{world: node.World(), clk: clock.NewSim(node), cfg: cfg, store: NewStore(),
		deposed: map[int]request{}}
	if cfg.UnsafeVolatileDedup {
		s.seen = map[int64]*session{}
	}
	s.snapAbove = cfg.MaxRaftState
	if s.snapAbove < 0 {
		s.snapAbove = math.MaxInt
	}
	s.peer = rafthost.StartPeer(node, ep, rafthost.PeerConfig{
		Raft:     raft.Config{ID: cfg.ID},
		Peers:    cfg.Peers,
		Apply:    s.apply,
		Observer: rafthost.AfterPersisted(cfg.Observer, s.leadership),
	})
	// A recovered peer starts with commit = applied = its snapshot index and applies nothing
	// before the store is restored here: the first ApplyMsg is for the index after it.
	if snap := s.peer.ReadSnapshot(); len(snap) > 0 {
		s.restore(snap, s.peer.Core().SnapshotMeta().Index)
	}
	// A request is answered once (answer) and dropped from the waiters before or as it is,
	// so its Request can go back to the network for the next one; and its Args with it, as
	// nothing reads them after handleOp (a waiter keeps the client and sequence number).
	ep.HandleRequestRecycledArgs(MethodOp, s.handleOp)
	return s
}

// Peer is the server's Raft peer.
func (s *Server) Peer() *rafthost.Peer { return s.peer }

// Store is the server's state machine (read-only use).
func (s *Server) Store() *Store { return s.store }

// LastApplied is the index of the last command applied.
func (s *Server) LastApplied() int { return s.lastApplied }

// handleOp serves every client operation: propose it and answer when the command at its
// index is applied. A server that is not the leader answers at once, so the clerk moves on.
func (s *Server) handleOp(req *netsim.Request) {
	args := req.Args.(*OpArgs)
	term, leader := s.peer.GetState()
	if !leader {
		hint := -1
		if c := s.peer.Core(); c != nil && c.Leader() >= 0 { // nil: halted on corrupt storage
			hint = s.cfg.Peers[c.Leader()]
		}
		s.answer(req, OpReply{Err: ErrWrongLeader, Leader: hint})
		return
	}
	if s.cfg.UnsafeLocalGets && args.Op == OpGet {
		s.answer(req, OpReply{Value: s.store.Get(args.Key)})
		return
	}
	// Register before proposing: the index is the leader's next one, and in a single-node
	// cluster the command commits and applies inside Start.
	index := s.peer.Core().LastIndex() + 1
	if old := s.waiters.add(&waiter{index: index, client: args.Client, seq: args.Seq, since: s.clk.Since(), req: req}); old != nil {
		s.answer(old, wrongLeader())
	}
	s.armSweep()
	s.cmd = args.Command.appendEncode(s.cmd[:0])
	idx, t, ok := s.peer.Start(s.cmd)
	if !ok || idx != index || t != term {
		panic(fmt.Sprintf("kv: server %d: leader of term %d proposed at %d/t%d (ok=%v), expected index %d",
			s.cfg.ID, term, idx, t, ok, index))
	}
}

// apply is Raft's apply stream: committed commands in log order, and snapshots installed
// from the leader.
func (s *Server) apply(m *raft.ApplyMsg) {
	if m.SnapshotValid {
		if m.SnapshotIndex <= s.lastApplied {
			panic(fmt.Sprintf("kv: server %d: snapshot at %d does not advance applied index %d", s.cfg.ID, m.SnapshotIndex, s.lastApplied))
		}
		s.restore(m.Snapshot, m.SnapshotIndex)
		return
	}
	if !m.CommandValid {
		return
	}
	if m.CommandIndex != s.lastApplied+1 {
		panic(fmt.Sprintf("kv: server %d: applied %d after %d (apply out of order)", s.cfg.ID, m.CommandIndex, s.lastApplied))
	}
	// The key and value stay slices of the log entry: the store copies what it keeps.
	var cmd commandView
	if err := cmd.decode(m.Command); err != nil {
		panic(fmt.Sprintf("kv: server %d: command at %d: %v", s.cfg.ID, m.CommandIndex, err))
	}
	// A waiter here is the one reader of a Get's value (see Store.apply). (Followers have
	// none: the length test saves them a call per command.) It stays queued until applied
	// pops it, before answering it; nothing in between adds or removes waiters.
	var w *waiter
	if s.waiters.len() > 0 {
		w = s.waiters.first(m.CommandIndex)
	}
	waiting := w != nil
	var res Result
	if s.cfg.UnsafeVolatileDedup {
		res = s.applyVolatile(&cmd, m.CommandIndex, waiting)
	} else {
		res = s.store.apply(&cmd, m.CommandIndex, waiting)
	}
	s.lastApplied = m.CommandIndex
	if res.Duplicate || waiting || len(s.deposed) > 0 {
		s.applied(&cmd, m.CommandIndex, w, res)
	}
	// A snapshot once the persisted Raft state exceeds MaxRaftState (the test here, for
	// every command; snapshot is the rare work).
	if size := s.peer.StateSize(); size > s.snapAbove && size != s.snapSize {
		s.snapshot(size)
	}
}

// applied is apply's part after the store applied cmd, the command at index, with result
// res, for a duplicate (on every replica), a command a waiter (w, if not nil) is at, or any
// command while deposed holds requests: the rare cases, but for the leader's waiters. (Apart
// from apply, the usual command, a follower's that is no duplicate, keeps res in registers.)
func (s *Server) applied(cmd *commandView, index int, w *waiter, res Result) {
	if res.Duplicate {
		// The command and its index are in the trace hash already (the Raft host digests a
		// command's bytes when it writes them, and its index, term and length when it
		// applies it): what the server adds is its judgement.
		s.world.Digest(duplicateDigest(index))
	}
	if res.Duplicate && (cmd.Op == OpPut || cmd.Op == OpAppend) {
		// The first copy was applied at or before firstAt (the client's latest
		// operation), or, unknown here (0), before the snapshot this instance was
		// restored from.
		s.world.Sometimes(ProbeDuplicateAfterSnapshot, res.firstAt <= s.snapIndex)
	}
	if len(s.deposed) > 0 { // usually empty: no leadership was lost with requests pending
		if r, ok := s.deposed[index]; ok {
			delete(s.deposed, index)
			s.world.Sometimes(ProbePendingIndexTaken, cmd.Op == OpNoop || cmd.Client != r.client || cmd.Seq != r.seq)
		}
	}
	if w != nil {
		// Only the command this waiter proposed answers it. Another command at its index
		// means a new leader overwrote the entry: the operation may still be applied
		// elsewhere in the log, or never; the clerk retries and the duplicate table
		// sorts it out.
		req, proposed := w.req, cmd.Op != OpNoop && cmd.Client == w.client && cmd.Seq == w.seq
		s.waiters.pop()
		if proposed {
			if s.cfg.Applied != nil {
				at := index
				if res.Duplicate && cmd.Op != OpGet { // a Get reads again; a write took effect once
					at = res.firstAt
				}
				s.cfg.Applied(cmd.Client, cmd.Seq, at)
			}
			// The value a Get read goes into the trace hash with the reply that carries
			// it (OpReply.Digest), when the clerk receives it: a value is a function of
			// the commands applied before it, which are in the hash already, so hashing
			// it here too would add only the cost of a second pass over kilobytes.
			s.answer(req, OpReply{Value: res.Value, sum: res.sum})
		} else {
			s.answer(req, wrongLeader())
		}
	}
}

// applyVolatile is apply's store step for UnsafeVolatileDedup: the duplicate table is
// seen, outside the store.
func (s *Server) applyVolatile(cmd *commandView, index int, read bool) Result {
	if cmd.Op == OpNoop {
		return s.store.applyUnchecked(cmd, false, read)
	}
	ses := s.seen[cmd.Client]
	if ses == nil {
		ses = &session{client: cmd.Client}
		s.seen[cmd.Client] = ses
	}
	dup := cmd.Seq <= ses.seq
	if !dup {
		ses.seq, ses.at = cmd.Seq, index
	}
	res := s.store.applyUnchecked(cmd, dup, read)
	if dup {
		res.firstAt = ses.at
	}
	return res
}

// snapshot hands Raft a snapshot of the store, the Raft state being size bytes.
func (s *Server) snapshot(size int) {
	s.snapSize = size
	s.snapIndex = s.lastApplied
	// Into a buffer of an earlier snapshot, which the peer gives back once nothing reads
	// it: the store never holds one (it is restored only from bytes the peer read at
	// boot or received in an InstallSnapshot), so encoding overwrites nothing it reads.
	s.peer.Snapshot(s.lastApplied, s.store.EncodeInto(s.peer.SnapshotBuffer()))
}

// restore replaces the store by a snapshot covering through index.
func (s *Server) restore(snap []byte, index int) {
	// Raft's snapshot bytes, read-only; the store is replaced here, and nothing else holds it.
	st, err := s.store.restore(snap)
	if err != nil {
		panic(fmt.Sprintf("kv: server %d: snapshot at %d: %v", s.cfg.ID, index, err))
	}
	s.store = st
	s.lastApplied = index
	s.snapIndex = index
	for i := range s.deposed {
		if i <= index {
			delete(s.deposed, i) // the snapshot does not say which command is at i
		}
	}
	// Commands proposed at indexes the snapshot covers can no longer be matched to their
	// waiters; their outcome is in the snapshot's state, which the retry will see.
	s.failWaiters(func(w *waiter) bool { return w.index <= index })
}

// armSweep schedules the expiry of waiters, one timer per server rather than one per
// request (a timer is an event, and requests are the most frequent thing in a run).
func (s *Server) armSweep() {
	if s.sweeping || s.waiters.len() == 0 {
		return
	}
	s.sweeping = true
	s.clk.AfterFunc(WaiterTimeout/2, func() {
		s.sweeping = false
		deadline := s.clk.Since() - WaiterTimeout
		s.failWaiters(func(w *waiter) bool { return w.since <= deadline })
		s.armSweep()
	})
}

// failWaiters answers ErrWrongLeader to the waiters match selects, in index order (the
// replies are events: their order is part of the run).
func (s *Server) failWaiters(match func(*waiter) bool) {
	for _, w := range s.waiters.remove(match, nil) {
		s.answer(w.req, wrongLeader())
	}
}

// wrongLeader is the answer of a server that accepted a request as leader and cannot
// complete it: no hint, it does not know better.
func wrongLeader() OpReply { return OpReply{Err: ErrWrongLeader, Leader: -1} }

// answer sends r as req's reply, in the server's one OpReply: the network copies a
// reply as it sends it (a sender may change a netsim.Message once sent), so the server
// need not allocate one per answer.
func (s *Server) answer(req *netsim.Request, r OpReply) {
	s.reply = r
	req.Respond(&s.reply)
}

// leadership follows the peer's role after every persisted Ready. A change of term or a
// lost leadership fails every waiter at once, rather than leaving clerks to time out: the
// entries they wait for may be overwritten by the new leader, or sit uncommitted in a
// minority. On becoming leader the server proposes a no-op: Raft commits entries of earlier
// terms only once an entry of its own term commits (§5.4.2), so without it the operations
// a crashed or deposed leader left in the log would wait for the next client request.
func (s *Server) leadership(p *rafthost.Peer) {
	term, leader := p.GetState()
	if term == s.term && leader == s.leader {
		return
	}
	if s.waiters.len() > 0 {
		if s.leader {
			s.waiters.all(func(w *waiter) { s.deposed[w.index] = request{w.client, w.seq} })
		}
		s.failWaiters(func(*waiter) bool { return true })
	}
	s.term, s.leader = term, leader
	if leader {
		// Not from inside the Ready being processed: propose as an event of its own.
		s.clk.AfterFunc(0, func() {
			if t, l := s.peer.GetState(); l && t == term {
				s.peer.Start(Command{Op: OpNoop}.Encode())
			}
		})
	}
}

// duplicateDigest is, for the trace hash, the duplicate table's judgement that the command
// applied at index is a retry of one already applied: two runs that judge a command
// differently differ in hash there. (Which command was applied where, the Raft host
// digests: rafthost.Peer digests each item's bytes when it writes them and its index when
// it applies it.)
func duplicateDigest(index int) uint64 {
	return hashUint(hashUint(fnvOffset, uint64(index)), 1)
}
