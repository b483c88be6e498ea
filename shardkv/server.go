// Package shardkv is the sharded key/value store (6.824 Lab 4B, both challenges):
// replica groups of Raft peers, each serving Get, Put and Append for the shards the shard
// controller (package ctrler) assigns it, and moving shards between them as the
// configuration changes.
//
// Design. Every group moves through every configuration, one at a time and in order: its
// leader polls the controller every PollInterval for the configuration after its own (each
// poll a round of the controller's servers, see pollConfig), and proposes it through the
// group's Raft log (OpConfig), but only once no migration of the current one is under way.
// Applying a configuration marks each shard: kept shards stay Serving; shards the group
// gains are Pulling; shards it loses are Leaving, their data frozen. Migration is by pull,
// through the receiving group's log: the leader of a group with Pulling shards asks their
// previous owner (from the previous configuration) for them (MethodPull); the owner answers
// once it has reached the same configuration, with the data and the duplicate table of each
// shard, and the receiver proposes them (OpInsert). Applied, the shard is Arrived, and
// served at once (Challenge 2), while other shards may still be on their way. The receiver
// then asks the previous owner to delete its copy (MethodDelete); the owner proposes
// OpDelete, which drops the shard's data (Challenge 1); on its answer the receiver proposes
// OpGCDone and the shard is Serving. Each step is idempotent (a command for another
// configuration, or for a shard not in the expected status, changes nothing), so any leader
// may repeat any of them.
//
// The leader drives these steps every PollInterval, and again as soon as one of them
// applies, so that a chain of configurations does not cost a tick per step.
//
// Not handled: a configuration with no groups at all. Its shards belong to GID 0, so
// nobody pulls what the last group held: that group keeps them Leaving and never moves to
// a later configuration, and a group that later gets them starts them empty. The 6.824
// tests never leave the store without a group, and shardkv/Swarm keeps one joined.
//
// A client command is checked against the group's state when it is applied, not only
// when it arrives: a Put accepted by the leader before a configuration change that is
// applied after it is answered ErrWrongGroup, never applied to a shard the group no
// longer serves.
package shardkv

import (
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/shardkv/rsm"
	"github.com/lockstep-dst/lockstep/sim"
)

// PollInterval is how often a group's leader polls the controller and drives
// migrations: the handout's "about every 100 milliseconds".
const PollInterval = 100 * time.Millisecond

// callTimeout bounds a migration or controller call, so a lost one does not hold the
// next attempt up for long. A live server answers within rsm.WaiterTimeout and the
// network fails a call to a dead one within netsim.ShortFailDelay; this is above both.
const callTimeout = rsm.WaiterTimeout + 100*time.Millisecond

// ServerConfig configures one server of a replica group.
type ServerConfig struct {
	GID   int
	ID    int   // Raft id within the group
	Peers []int // node ids of the group's servers, indexed by Raft id
	// MaxRaftState: snapshot when the persisted Raft state exceeds this many bytes;
	// negative: never.
	MaxRaftState int
	// Ctrlers are the controller servers' addresses.
	Ctrlers []int
	// Addr maps a server name from a configuration to its address (6.824's make_end).
	Addr func(name string) int
	// Observer, if set, sees every persisted Ready of the Raft peer (the Raft checkers).
	Observer rafthost.Observer
	// OnApply, if set, sees every command the replica applies, after it is applied (the
	// shardkv checkers, package shardcheck).
	OnApply func(Applied)

	// UnsafeServeWhilePulling deliberately breaks migration: a Pulling shard answers
	// clients at once, from an empty map, before its data arrived; the data that arrives
	// later replaces what was written meanwhile. Tests only.
	UnsafeServeWhilePulling bool
	// UnsafeDropSessions deliberately breaks exactly-once across migrations: a shard's
	// duplicate table does not move with it, so the new owner applies again a retry of an
	// Append the old owner applied. Tests only.
	UnsafeDropSessions bool
}

// Applied is one command a replica applied, for checkers: the command, its result, and the
// replica's state after it (read-only use).
type Applied struct {
	GID, Replica int
	Index        int // the command's log index
	// Cmd is the command as decoded; an OpConfig's configuration and an OpInsert's maps
	// became the state's own (read-only use, and copy what you keep: the state goes on
	// writing the shards' maps).
	Cmd Command
	Res Result
	// Before is each shard's status before the command, State the replica's state after.
	Before [ctrler.NShards]Status
	State  *State
}

// Server is one server of a replica group.
type Server struct {
	cfg   ServerConfig
	node  *sim.Node
	ep    *netsim.Endpoint
	clk   clock.Clock
	rsm   *rsm.RSM
	state *State
	// What the leader's loop has in flight, so that one slow call is not doubled by the
	// next tick: the controller query, and pulls and deletes by source group.
	querying bool
	ctrler   int // index into cfg.Ctrlers to try next
	pulling  map[int]bool
	deleting map[int]bool
	next     map[int]int // source group -> index of its server to try next
	kicked   bool        // a kick is scheduled
	// res is the result of the last command applied; machine.Apply returns a pointer to
	// it, which rsm hands to the waiting request at once (see rsm.StateMachine).
	res Result
	// tickFn is s.tick, bound once: every server re-arms it every PollInterval, and a
	// method value is an allocation each time it is taken.
	tickFn func()
}

// StartServer boots a server on node from its storage. Call it from the node's boot
// function.
func StartServer(node *sim.Node, ep *netsim.Endpoint, cfg ServerConfig) *Server {
	st := NewState(cfg.GID)
	st.unsafeServePulling, st.unsafeDropSessions = cfg.UnsafeServeWhilePulling, cfg.UnsafeDropSessions
	s := &Server{cfg: cfg, node: node, ep: ep, clk: clock.NewSim(node), state: st,
		pulling: map[int]bool{}, deleting: map[int]bool{}, next: map[int]int{}}
	s.rsm = rsm.Start(node, ep, rsm.Config{ID: cfg.ID, Peers: cfg.Peers, MaxRaftState: cfg.MaxRaftState,
		Observer: cfg.Observer, Name: fmt.Sprintf("shardkv-%d", cfg.GID)}, machine{s})
	ep.HandleRequest(MethodOp, s.handleOp)
	ep.HandleRequest(MethodPull, s.handlePull)
	ep.HandleRequest(MethodDelete, s.handleDelete)
	s.tickFn = s.tick
	s.clk.AfterFunc(PollInterval, s.tickFn)
	return s
}

// Peer is the server's Raft peer.
func (s *Server) Peer() *rafthost.Peer { return s.rsm.Peer() }

// State is the server's state machine (read-only use).
func (s *Server) State() *State { return s.state }

func (s *Server) leader() bool {
	_, l := s.rsm.Peer().GetState()
	return l
}

// handleOp serves a clerk's Get, Put or Append.
func (s *Server) handleOp(req *netsim.Request) {
	args := req.Args.(*OpArgs)
	if args.Op < OpGet || args.Op > OpAppend {
		panic(fmt.Sprintf("shardkv: clerk sent %v", args.Op))
	}
	if !s.leader() {
		req.Respond(&OpReply{Err: ErrWrongLeader})
		return
	}
	if !s.state.Serves(args.Key) {
		req.Respond(&OpReply{Err: ErrWrongGroup})
		return
	}
	s.rsm.Submit(args.encoded(), func(res any, ok bool) {
		if !ok {
			req.Respond(&OpReply{Err: ErrWrongLeader})
			return
		}
		r := res.(*Result)
		req.Respond(&OpReply{Err: r.Err, Value: r.Value})
	})
}

// handlePull answers a new owner's request for shards of configuration Num: the leader
// answers once it is at Num itself (the shards are then Leaving, their data frozen).
func (s *Server) handlePull(req *netsim.Request) {
	args := req.Args.(*ShardArgs)
	if !s.leader() {
		req.Respond(&ShardReply{Err: ErrWrongLeader})
		return
	}
	if s.state.cur.Num != args.Num {
		// Behind: not there yet. Ahead: it moved on, so it deleted these shards, so the
		// asker inserted them already and this request is stale.
		req.Respond(&ShardReply{Err: ErrNotReady})
		return
	}
	rep := &ShardReply{}
	for _, sh := range args.Shards {
		if s.state.Status(sh) != Leaving {
			req.Respond(&ShardReply{Err: ErrNotReady})
			return
		}
		rep.Shards = append(rep.Shards, s.state.leaving(sh))
	}
	req.Respond(rep)
}

// handleDelete drops shards a new owner of configuration Num has inserted.
func (s *Server) handleDelete(req *netsim.Request) {
	args := req.Args.(*ShardArgs)
	if !s.leader() {
		req.Respond(&ShardReply{Err: ErrWrongLeader})
		return
	}
	switch {
	case s.state.cur.Num > args.Num:
		// It moved on, which it does only with every Leaving shard deleted.
		req.Respond(&ShardReply{})
		return
	case s.state.cur.Num < args.Num:
		req.Respond(&ShardReply{Err: ErrNotReady})
		return
	}
	s.rsm.Submit(Command{Op: OpDelete, Num: args.Num, Shards: args.Shards}.Encode(), func(_ any, ok bool) {
		if !ok {
			req.Respond(&ShardReply{Err: ErrWrongLeader})
			return
		}
		req.Respond(&ShardReply{})
	})
}

// tick is the leader's loop: poll the controller, pull, delete, every PollInterval.
func (s *Server) tick() {
	s.clk.AfterFunc(PollInterval, s.tickFn)
	s.drive()
}

// kick runs the leader's loop once more as soon as possible: after a migration step
// applies, the next one need not wait for the next tick.
func (s *Server) kick() {
	if s.kicked {
		return
	}
	s.kicked = true
	s.clk.AfterFunc(0, func() {
		s.kicked = false
		s.drive()
	})
}

// drive does what the group's leader does next: poll the controller for the next
// configuration when no migration is under way; otherwise pull the shards still on their
// way and tell the previous owners to delete the ones that arrived.
func (s *Server) drive() {
	if !s.leader() {
		return
	}
	if s.state.Stable() {
		s.pollConfig()
		return
	}
	prev := s.state.prev
	for _, src := range sources(prev, s.state.ShardsIn(Pulling)) {
		s.pull(src.gid, src.shards)
	}
	for _, src := range sources(prev, s.state.ShardsIn(Arrived)) {
		s.delete(src.gid, src.shards)
	}
}

type source struct {
	gid    int
	shards []int
}

// sources groups shards by their owner in prev, in GID order.
func sources(prev ctrler.Config, shards []int) []source {
	var out []source
	for _, sh := range shards {
		gid := prev.Shards[sh]
		i := slices.IndexFunc(out, func(s source) bool { return s.gid == gid })
		if i < 0 {
			out = append(out, source{gid: gid})
			i = len(out) - 1
		}
		out[i].shards = append(out[i].shards, sh)
	}
	slices.SortFunc(out, func(a, b source) int { return a.gid - b.gid })
	return out
}

// pollConfig asks the controller for the configuration after the current one and
// proposes it if there is one. A poll is a round of the controller's servers, as a call
// of its clerk is: after a failed call or a wrong leader it asks the next server at once
// (the one a wrong leader names, if it names one), and it gives up until the next tick
// only once each has been asked. Asking one server a tick, a group whose leader had
// just changed spent a tick on each server that was not the controller's leader, and
// in shardkv/Challenge2Unaffected4B seed 3037 group 100's new leader was still asking
// when the scenario killed the group, 240 ms later, so its shards never reached 101.
func (s *Server) pollConfig() {
	if !s.querying {
		s.query(s.state.cur.Num+1, len(s.cfg.Ctrlers))
	}
}

// query asks the controller for configuration num, trying at most tries servers.
func (s *Server) query(num, tries int) {
	s.querying = true
	args := &ctrler.OpArgs{Command: ctrler.Command{Op: ctrler.OpQuery, Num: num}}
	s.ep.CallTimeout(s.cfg.Ctrlers[s.ctrler], ctrler.MethodOp, args, callTimeout, s.alive(func(reply any, ok bool) {
		s.querying = false
		next := (s.ctrler + 1) % len(s.cfg.Ctrlers)
		if ok {
			rep := reply.(*ctrler.OpReply)
			if rep.Err == ctrler.OK {
				if cf := rep.Config; cf.Num == num && s.leader() && s.state.cur.Num == num-1 {
					s.rsm.Submit(Command{Op: OpConfig, Config: cf}.Encode(), func(any, bool) {})
				}
				return
			}
			if i := slices.Index(s.cfg.Ctrlers, rep.Leader); i >= 0 && i != s.ctrler {
				next = i
			}
		}
		s.ctrler = next
		if tries > 1 && s.leader() && s.state.cur.Num == num-1 && s.state.Stable() {
			s.query(num, tries-1)
		}
	}))
}

// pull asks group gid (the previous owner) for shards and proposes them.
func (s *Server) pull(gid int, shards []int) {
	if s.pulling[gid] {
		return
	}
	num := s.state.cur.Num
	s.callGroup(gid, MethodPull, &ShardArgs{Num: num, Shards: shards}, s.pulling, func(rep *ShardReply) {
		if s.leader() && s.state.cur.Num == num {
			s.rsm.Submit(Command{Op: OpInsert, Num: num, Data: rep.Shards}.Encode(), func(any, bool) {})
		}
	})
}

// delete tells group gid (the previous owner) to drop shards, and records it.
func (s *Server) delete(gid int, shards []int) {
	if s.deleting[gid] {
		return
	}
	num := s.state.cur.Num
	s.callGroup(gid, MethodDelete, &ShardArgs{Num: num, Shards: shards}, s.deleting, func(*ShardReply) {
		if s.leader() && s.state.cur.Num == num {
			s.rsm.Submit(Command{Op: OpGCDone, Num: num, Shards: shards}.Encode(), func(any, bool) {})
		}
	})
}

// callGroup calls one server of group gid (as the previous configuration lists it),
// marks gid in flight until the call ends, and runs ok on a successful reply; on any
// other outcome the next tick tries the group's next server.
func (s *Server) callGroup(gid int, method string, args *ShardArgs, inFlight map[int]bool, ok func(*ShardReply)) {
	servers := s.state.prev.Groups[gid]
	if len(servers) == 0 {
		panic(fmt.Sprintf("shardkv: group %d: shards %v owned in config %d by group %d, which has no servers",
			s.cfg.GID, args.Shards, s.state.prev.Num, gid))
	}
	i := s.next[gid] % len(servers)
	inFlight[gid] = true
	s.ep.CallTimeout(s.cfg.Addr(servers[i]), method, args, callTimeout, s.alive(func(reply any, delivered bool) {
		inFlight[gid] = false
		if delivered {
			if rep := reply.(*ShardReply); rep.Err == OK {
				ok(rep)
				return
			} else if rep.Err == ErrNotReady {
				return // the right server, too early: ask it again next tick
			}
		}
		s.next[gid] = i + 1
	}))
}

// alive wraps a call's callback so that it runs only in the incarnation that made the
// call: a reply that arrives after a crash and restart belongs to a dead instance.
func (s *Server) alive(done netsim.Done) netsim.Done {
	inc := s.node.Incarnation()
	return func(reply any, ok bool) {
		if s.node.Incarnation() == inc {
			done(reply, ok)
		}
	}
}

// migrated kicks the leader's loop after a step of a configuration change applied.
func (s *Server) migrated(c Command) {
	if c.Op >= OpConfig && s.leader() {
		s.kick()
	}
}

// machine adapts State to rsm.StateMachine.
type machine struct{ s *Server }

func (m machine) Apply(b []byte) any {
	c, err := DecodeCommand(b)
	if err != nil {
		panic(fmt.Sprintf("shardkv: group %d: committed command: %v", m.s.cfg.GID, err))
	}
	if m.s.cfg.OnApply == nil {
		m.s.res = m.s.state.applyOwned(c)
		m.s.migrated(c)
		return &m.s.res
	}
	a := Applied{GID: m.s.cfg.GID, Replica: m.s.cfg.ID, Index: m.s.rsm.LastApplied() + 1, Cmd: c}
	for i := range a.Before {
		a.Before[i] = m.s.state.Status(i)
	}
	a.Res = m.s.state.applyOwned(c)
	a.State = m.s.state
	m.s.cfg.OnApply(a)
	m.s.migrated(c)
	m.s.res = a.Res
	return &m.s.res
}

func (m machine) Snapshot() []byte { return m.s.state.Encode() }

func (m machine) Restore(snap []byte) error {
	st, err := DecodeState(snap)
	if err != nil {
		return err
	}
	if st.gid != m.s.cfg.GID {
		return fmt.Errorf("shardkv: snapshot of group %d restored in group %d", st.gid, m.s.cfg.GID)
	}
	st.unsafeServePulling, st.unsafeDropSessions = m.s.cfg.UnsafeServeWhilePulling, m.s.cfg.UnsafeDropSessions
	m.s.state = st
	return nil
}
