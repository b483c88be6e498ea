package ctrler

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
	"github.com/lockstep-dst/lockstep/shardkv/rsm"
	"github.com/lockstep-dst/lockstep/sim"
)

// ServerConfig configures one controller server.
type ServerConfig struct {
	ID    int   // Raft id, 0..len(Peers)-1
	Peers []int // node ids of every controller server, indexed by Raft id
	// MaxRaftState: snapshot when the persisted Raft state exceeds this many bytes; a
	// negative value never snapshots (the 6.824 shardmaster never does).
	MaxRaftState int
	// Observer, if set, sees every persisted Ready of the Raft peer (the Raft checkers).
	Observer rafthost.Observer
}

// Server is one controller replica, hosted on a simulated node beside its Raft peer.
// Every operation, Query included, goes through the Raft log, so a Query(-1) answered
// after a Join returned sees it.
type Server struct {
	rsm   *rsm.RSM
	state *State
	addr  int
	// res is the result of the last command applied; machine.Apply returns a pointer to
	// it, which rsm hands to the waiting request at once (see rsm.StateMachine).
	res Result
}

// StartServer boots a server on node from what its storage holds. Call it from the node's
// boot function.
func StartServer(node *sim.Node, ep *netsim.Endpoint, cfg ServerConfig) *Server {
	s := &Server{state: NewState(), addr: node.ID}
	s.rsm = rsm.Start(node, ep, rsm.Config{ID: cfg.ID, Peers: cfg.Peers, MaxRaftState: cfg.MaxRaftState,
		Observer: cfg.Observer, Name: "ctrler"}, machine{s})
	ep.HandleRequest(MethodOp, s.handleOp)
	return s
}

// Peer is the server's Raft peer.
func (s *Server) Peer() *rafthost.Peer { return s.rsm.Peer() }

// State is the server's state machine (read-only use).
func (s *Server) State() *State { return s.state }

// handleOp serves every clerk operation: propose it and answer once it is applied.
func (s *Server) handleOp(req *netsim.Request) {
	args := req.Args.(*OpArgs)
	s.rsm.Submit(args.encoded(), func(res any, ok bool) {
		if !ok {
			hint := s.rsm.LeaderHint()
			if hint == s.addr {
				hint = -1 // a leader that gave up on the request: it does not know better
			}
			req.Respond(&OpReply{Err: ErrWrongLeader, Leader: hint})
			return
		}
		req.Respond(&OpReply{Config: res.(*Result).Config})
	})
}

// machine adapts State to rsm.StateMachine.
type machine struct{ s *Server }

func (m machine) Apply(b []byte) any {
	c, err := DecodeCommand(b)
	if err != nil {
		panic(fmt.Sprintf("ctrler: committed command: %v", err))
	}
	m.s.res = m.s.state.Apply(c)
	return &m.s.res
}

func (m machine) Snapshot() []byte { return m.s.state.Encode() }

func (m machine) Restore(snap []byte) error {
	st, err := DecodeState(snap)
	if err != nil {
		return err
	}
	m.s.state = st
	return nil
}

// Err is a server's answer to an RPC.
type Err uint8

const (
	OK Err = iota
	// ErrWrongLeader: this server is not the leader, or gave up on the operation before
	// it was applied. It may or may not have been applied; the clerk retries it with the
	// same sequence number.
	ErrWrongLeader
)

func (e Err) String() string {
	if e == OK {
		return "OK"
	}
	return "ErrWrongLeader"
}

// MethodOp is the controller's one RPC: every operation is a Command.
const MethodOp = "Ctrler.Op"

// OpArgs is a clerk's request.
type OpArgs struct {
	Command
	// enc is Command.Encode() once encoded asked for it. The network digests every
	// request it delivers, and the server proposes the same bytes, so a delivered request
	// is encoded once. Set only on the network's copy, which its handler owns (Clone does
	// not copy it); nothing changes Command after a clerk sent it.
	enc []byte
}

// Size is the request's wire size: the command's encoding.
func (a *OpArgs) Size() int { return a.Command.size() }

// Clone deep-copies the request.
func (a *OpArgs) Clone() any { return &OpArgs{Command: a.Command.clone()} }

// Digest hashes the request's contents into the trace.
func (a *OpArgs) Digest() uint64 { return sim.HashBytes(a.encoded()) }

// encoded is Command.Encode(), encoded once.
func (a *OpArgs) encoded() []byte {
	if a.enc == nil {
		a.enc = a.Command.Encode()
	}
	return a.enc
}

// OpReply is a server's answer.
type OpReply struct {
	Err    Err
	Config Config // Query only
	// Leader is, with ErrWrongLeader, the address (node id) of the server the replier
	// believes leads, or -1.
	Leader int
}

// encode allocates the buffer at the size Size counts: appending to an empty one
// reallocates it at every doubling (six times for a configuration of three groups).
func (r *OpReply) encode() []byte {
	e := wire.Encoder{B: make([]byte, 0, r.Size())}
	r.encodeTo(&e)
	return e.B
}

func (r *OpReply) encodeTo(e *wire.Encoder) {
	e.Uint(uint64(r.Err))
	e.Int(int64(r.Leader))
	appendConfig(e, r.Config)
}

// Size is the reply's wire size, counted (see wire.Encoder).
func (r *OpReply) Size() int {
	e := wire.Encoder{Count: true}
	r.encodeTo(&e)
	return e.N
}

// Clone deep-copies the reply.
func (r *OpReply) Clone() any { c := *r; c.Config = r.Config.Clone(); return &c }

// Digest hashes the reply's contents into the trace.
func (r *OpReply) Digest() uint64 { return sim.HashBytes(r.encode()) }
