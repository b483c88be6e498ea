package raftsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// Files a peer keeps on its node's storage. The 6.824 "Raft state size" is
// the hard-state file plus the log file; the snapshot is separate.
const (
	fileHard     = "raft/hard"
	fileLog      = "raft/log"
	fileSnapshot = "raft/snapshot"
)

// requestTypes are the core's request types, one RPC method each.
var requestTypes = [...]raft.MsgType{raft.MsgVote, raft.MsgApp, raft.MsgSnap}

// methodOf names the RPC method of a request type.
func methodOf(t raft.MsgType) string {
	switch t {
	case raft.MsgVote:
		return "Raft.RequestVote"
	case raft.MsgApp:
		return "Raft.AppendEntries"
	case raft.MsgSnap:
		return "Raft.InstallSnapshot"
	}
	panic(fmt.Sprintf("raft: %v is not a request", t))
}

// PeerConfig configures a hosted peer.
type PeerConfig struct {
	// Raft is the core's configuration; ID and Peers are filled in from the
	// peer's position in Peers, and Rand from the node's seeded stream.
	Raft raft.Config
	// Peers are the network addresses (node IDs) of every member, indexed by
	// Raft ID; this node is Peers[Raft.ID].
	Peers []int
	// Apply receives committed commands and installed snapshots, in order.
	// It may call Start and Snapshot.
	Apply func(raft.ApplyMsg)
	// Observer, if set, sees every persisted Ready (the safety checkers).
	Observer Observer
}

// Peer hosts a Raft core on a simulated node: timers on the node's clock,
// messages on the simulated network, state on the node's storage. It is the
// core's only host; kv/ and shardkv/ build on it as 6.824 services build on
// Make/Start/GetState/Snapshot.
type Peer struct {
	node     *sim.Node
	ep       *netsim.Endpoint
	clk      clock.Clock
	store    sim.Storage
	core     *raft.Raft
	cfg      PeerConfig
	timer    clock.Timer
	timerAt  time.Duration
	draining bool
	// respond is the reply slot of the request being stepped: the core
	// answers every request with exactly one response, which goes back as
	// the RPC's reply instead of as a new call.
	respond func(netsim.Message)
	respTo  int
	respTyp raft.MsgType
	// What the trace last said of this peer, so that -v shows elections.
	tracedRole string
	tracedTerm int
}

// StartPeer boots a peer on node from what node's storage holds, registers
// its RPC handlers on ep, and starts its timers. Call it from the node's boot
// function.
func StartPeer(node *sim.Node, ep *netsim.Endpoint, cfg PeerConfig) *Peer {
	p := &Peer{node: node, ep: ep, clk: clock.NewSim(node), store: node.Disk}
	cfg.Raft.Peers = len(cfg.Peers)
	if cfg.Raft.Rand == nil {
		cfg.Raft.Rand = node.Rand("raft")
	}
	if cfg.Raft.ElectionTimeout == 0 {
		def := raft.DefaultConfig(cfg.Raft.ID, cfg.Raft.Peers, cfg.Raft.Rand)
		cfg.Raft.ElectionTimeout, cfg.Raft.HeartbeatInterval = def.ElectionTimeout, def.HeartbeatInterval
	}
	if cfg.Peers[cfg.Raft.ID] != node.ID {
		panic(fmt.Sprintf("raft: peer %d is node %d, but runs on node %d", cfg.Raft.ID, cfg.Peers[cfg.Raft.ID], node.ID))
	}
	p.cfg = cfg
	recovered := p.recover()
	if cfg.Observer != nil {
		cfg.Observer.Booted(p, recovered)
	}
	p.core = raft.New(cfg.Raft, recovered, p.clk.Since())
	for _, t := range requestTypes {
		ep.Handle(methodOf(t), p.handle)
	}
	p.drain()
	p.arm()
	return p
}

// recover reads the peer's durable state. A torn tail of the log (a crash
// in the middle of an append) is cut off so later appends are readable.
func (p *Peer) recover() raft.Persistent {
	var rec raft.Persistent
	hardBytes, _ := p.store.ReadFile(fileHard)
	hard, err := raft.DecodeHardState(hardBytes)
	if err != nil {
		panic(fmt.Sprintf("raft: node %s: hard state unreadable: %v", p.node.Name, err))
	}
	rec.Hard = hard
	snap := readSnapshot(p.store, p.node.Name)
	rec.Snapshot, rec.SnapshotData = snap.Meta, snap.Data
	logBytes, _ := p.store.ReadFile(fileLog)
	recs, valid, _ := raft.DecodeLogRecords(logBytes)
	if valid < len(logBytes) {
		p.store.WriteFile(fileLog, logBytes[:valid])
		p.store.Sync(nil)
	}
	rec.Entries, err = raft.ReplayLog(recs, snap.Meta)
	if err != nil {
		panic(fmt.Sprintf("raft: node %s: log unreadable: %v", p.node.Name, err))
	}
	return rec
}

// Start proposes cmd (6.824's Start): the index it will have if committed,
// the current term, and whether this peer is the leader.
func (p *Peer) Start(cmd []byte) (index, term int, isLeader bool) {
	index, term, isLeader = p.core.Propose(p.clk.Since(), cmd)
	p.drain()
	p.arm()
	return index, term, isLeader
}

// GetState returns the current term and whether this peer is the leader.
func (p *Peer) GetState() (term int, isLeader bool) { return p.core.State() }

// Snapshot tells Raft the service has a snapshot covering through index; the
// log before it is discarded.
func (p *Peer) Snapshot(index int, data []byte) {
	p.core.Snapshot(index, data)
	p.drain()
}

// Core exposes the state machine to checkers and harnesses (read-only use).
func (p *Peer) Core() *raft.Raft { return p.core }

// Node is the node the peer runs on.
func (p *Peer) Node() *sim.Node { return p.node }

// StateSize is the size of the persisted Raft state (hard state and log),
// what 6.824 calls RaftStateSize.
func (p *Peer) StateSize() int { return stateSize(p.store) }

func stateSize(s sim.Storage) int { return s.Size(fileHard) + s.Size(fileLog) }

// SnapshotSize is the size of the persisted snapshot file.
func (p *Peer) SnapshotSize() int { return p.store.Size(fileSnapshot) }

// ReadSnapshot returns the service's snapshot bytes as persisted (nil if none).
func (p *Peer) ReadSnapshot() []byte { return readSnapshot(p.store, p.node.Name).Data }

// readSnapshot decodes the persisted snapshot (zero if none). An unreadable
// one is a panic, so a failing seed: the peer writes it via rename, so it is
// never torn.
func readSnapshot(s sim.Storage, node string) raft.SnapshotState {
	b, _ := s.ReadFile(fileSnapshot)
	snap, err := raft.DecodeSnapshot(b)
	if err != nil {
		panic(fmt.Sprintf("raft: node %s: snapshot unreadable: %v", node, err))
	}
	return snap
}

// handle serves every Raft RPC: step the request, and reply with the
// response the core produces for it.
func (p *Peer) handle(req *netsim.Request, respond func(netsim.Message)) {
	m := req.Args.(*raft.Message)
	if p.respond != nil {
		panic("raft: nested request handling")
	}
	p.respond, p.respTo, p.respTyp = respond, m.From, m.Type.ResponseType()
	p.core.Step(p.clk.Since(), *m)
	p.drain()
	if p.respond != nil {
		panic(fmt.Sprintf("raft: invariant every request gets a response violated: node %s, %v", p.node.Name, m))
	}
	p.arm()
}

// drain hands every Ready over in the order durability requires (Figure 2:
// persistent state is updated on stable storage before responding to RPCs):
// persist and sync, then send, then apply, then Advance.
func (p *Peer) drain() {
	if p.draining {
		return // a Start or Snapshot from the service while applying: the loop below picks it up
	}
	p.draining = true
	defer func() { p.draining = false }()
	for p.core.HasReady() {
		rd := p.core.Ready()
		p.persist(rd)
		if p.cfg.Observer != nil {
			p.cfg.Observer.Persisted(p, rd)
		}
		for i := range rd.Messages {
			p.send(&rd.Messages[i])
		}
		for _, a := range rd.Apply {
			if p.cfg.Apply != nil {
				p.cfg.Apply(a)
			}
		}
		p.core.Advance(rd)
		p.traceRole()
	}
}

// traceRole notes role and term changes in the run's trace (free when the
// trace is off).
func (p *Peer) traceRole() {
	w := p.node.World()
	if !w.Tracing() {
		return
	}
	role, term := p.core.Role(), p.core.HardState().Term
	if role != p.tracedRole || term != p.tracedTerm {
		p.tracedRole, p.tracedTerm = role, term
		w.Logf(p.node, "raft: %s in term %d (commit %d, last index %d)", role, term, p.core.CommitIndex(), p.core.LastIndex())
	}
}

func (p *Peer) persist(rd raft.Ready) {
	dirty := false
	if rd.Snapshot != nil {
		// The snapshot first, synced, then a log without the entries it
		// covers: a crash in between leaves a snapshot and an old log, from
		// which ReplayLog drops the covered entries.
		p.store.WriteFile(fileSnapshot+".tmp", raft.EncodeSnapshot(*rd.Snapshot))
		p.store.Sync(nil)
		p.store.Rename(fileSnapshot+".tmp", fileSnapshot)
		var buf []byte
		for i := p.core.FirstIndex(); i <= p.core.LastIndex(); i++ {
			e, _ := p.core.Entry(i)
			buf = raft.AppendEntryRecord(buf, e)
		}
		p.store.WriteFile(fileLog+".tmp", buf)
		p.store.Rename(fileLog+".tmp", fileLog)
		dirty = true
	} else if rd.Truncate > 0 || len(rd.Entries) > 0 {
		p.store.AppendFile(fileLog, raft.AppendReadyRecords(nil, rd))
		dirty = true
	}
	if rd.Hard != nil {
		p.store.WriteFile(fileHard+".tmp", raft.EncodeHardState(*rd.Hard))
		p.store.Rename(fileHard+".tmp", fileHard)
		dirty = true
	}
	if dirty {
		p.store.Sync(nil)
	}
}

func (p *Peer) send(m *raft.Message) {
	if !m.Type.IsRequest() {
		if p.respond == nil || m.To != p.respTo || m.Type != p.respTyp {
			panic(fmt.Sprintf("raft: node %s: response %v with no request to answer", p.node.Name, m))
		}
		respond := p.respond
		p.respond = nil
		respond(m)
		return
	}
	inc := p.node.Incarnation()
	p.ep.Call(p.cfg.Peers[m.To], methodOf(m.Type), m, func(reply any, ok bool) {
		if !ok || p.node.Incarnation() != inc {
			return // lost: the next heartbeat or election retries
		}
		p.core.Step(p.clk.Since(), *reply.(*raft.Message))
		p.drain()
		p.arm()
	})
}

// arm keeps one timer at the core's next deadline. A timer already due no
// later is kept: if the deadline moved later it fires early, Tick finds
// nothing due, and arm re-arms, which is cheaper than cancelling on every
// heartbeat.
func (p *Peer) arm() {
	d := p.core.Deadline()
	if p.timer != nil && p.timerAt <= d {
		return
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	p.timerAt = d
	p.timer = p.clk.AfterFunc(d-p.clk.Since(), p.tick)
}

func (p *Peer) tick() {
	p.timer = nil
	p.core.Tick(p.clk.Since())
	p.drain()
	p.arm()
}
