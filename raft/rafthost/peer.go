package rafthost

import (
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// Files a peer keeps on its node's storage. The 6.824 "Raft state size" is
// the hard-state file plus the log file; the snapshot is separate. Each has a
// temporary sibling (name + ".tmp") through which it is replaced whole.
const (
	fileHard     = "raft/hard"
	fileLog      = "raft/log"
	fileSnapshot = "raft/snapshot"
	tmpSuffix    = ".tmp"
	fileHardTmp  = fileHard + tmpSuffix
	fileLogTmp   = fileLog + tmpSuffix
	fileSnapTmp  = fileSnapshot + tmpSuffix
)

// requestTypes returns the core's request types, one RPC method each (a function: a
// package-level array would be mutable state).
func requestTypes() [3]raft.MsgType {
	return [...]raft.MsgType{raft.MsgVote, raft.MsgApp, raft.MsgSnap}
}

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
	// It may call Start and Snapshot. The item is the peer's and valid only
	// during the call (the service keeps what it needs of its fields; the
	// Command and Snapshot bytes are read-only, as raft.ApplyMsg says): by
	// pointer, since copying its 96 bytes in and out of the call was about
	// 30 instructions per applied item, on every replica.
	Apply func(*raft.ApplyMsg)
	// Observer, if set, sees every persisted Ready (the safety checkers).
	Observer Observer
	// Storage, if set, replaces the node's disk (tests wrap it to hold syncs).
	Storage sim.Storage
	// UnsafeRenameUnsynced deliberately breaks the file protocol as the host had it
	// before issue 8 item 16: write each temporary file, rename it at once, then sync
	// everything together. It exists only so that tests can show that a crash which
	// keeps a rename without the write it renames is caught. Never set it otherwise.
	UnsafeRenameUnsynced bool
}

// WritingObserver is an Observer that also wants to know when a Ready is
// handed to storage, before it is durable: from then until its Persisted, a
// crash may leave any part of it on disk. rd is the peer's, as Persisted's is.
// A Ready with nothing to store (only messages or applies) is persisted in the
// same event, with no crash possible in between, and Writing is not called for
// it, as raftcheck.Checker.Writing allows.
type WritingObserver interface {
	Writing(p *Peer, rd *raft.Ready)
}

// HaltObserver is an Observer that also wants to know when a peer halts on
// corrupt storage at boot (see Peer.Halted); Booted is not called then.
type HaltObserver interface {
	Halted(p *Peer, err error)
}

// Peer hosts a Raft core on a simulated node: timers on the node's clock,
// messages on the simulated network, state on the node's storage. It is the
// core's only host; kv/ and shardkv/ build on it as 6.824 services build on
// Make/Start/GetState/Snapshot.
//
// Storage is asynchronous: a Sync completes as a later event of the node (or
// never, if the node crashes first). The peer writes one Ready at a time and
// does everything that depends on it being durable (send its messages, apply
// its entries, Advance) in the completion of its last Sync. Meanwhile it keeps
// stepping requests, replies, ticks and proposals into the core, whose
// effects, responses included, go into the next Ready.
type Peer struct {
	node  *sim.Node
	ep    *netsim.Endpoint
	clk   clock.Clock
	store sim.Storage
	core  *raft.Raft // nil if halted
	cfg   PeerConfig
	// writingObs is cfg.Observer as a WritingObserver, nil if it is not one.
	writingObs WritingObserver
	timer      clock.Timer
	timerAt    time.Duration
	// halted is why the peer refused to start (corrupt storage); nil if it runs.
	halted error
	// writing: a Ready (inflight) is being persisted; no other Ready is taken
	// until the completion of its last Sync has sent, applied and advanced it.
	writing  bool
	inflight raft.Ready
	// ops are inflight's storage operations (see persist), ops[next:] still to
	// issue; onSync (write, or syncDone once there are fileBufs) continues them
	// when a Sync completes. One Ready is written at a time, so one plan and one
	// callback serve every Ready.
	ops    []fileOp
	next   int
	onSync func()
	// onReply and onTick are reply and tick as method values, bound once: a method value
	// made at each call is an allocation per message or timer.
	onReply netsim.Done
	onTick  func()
	// appendBuf holds the log records the Ready being written appends; the storage copies
	// what it appends, so each Ready reuses it. Files replaced whole are encoded into
	// buffers of their own, handed over to the storage (WriteFileOwned): it keeps them
	// rather than a copy.
	appendBuf []byte
	// draining: drain's loop or a Ready's completion is on the stack, so a
	// Start or Snapshot the service calls from Apply must not take a Ready.
	draining bool
	// rewriteLog: the log file ends in a torn record (found at boot); the
	// next log write replaces the file instead of appending behind it.
	rewriteLog bool
	// sizes are the sizes of the hard state and log files as the storage's
	// reads see them, and of their temporary files: the peer is the only
	// writer of these files, so it follows each operation it issues (write)
	// rather than asking the storage on every StateSize, which a service asks
	// after every command it applies.
	sizes struct{ hard, log, hardTmp, logTmp int }
	// logPeaks are the log file's sizes at the last len(logPeaks) rewrites, the one at
	// rewrite n in logPeaks[n%len(logPeaks)] (encodeLog sizes a rewritten log's buffer by them).
	logPeaks [8]int
	rewrites int
	// crcs are the CRCs of the commands the peer sent last (commandCRCs), made when it
	// first sends entries; appOut is what it hands the network for an AppendEntries.
	crcs   *commandCRCs
	appOut appendOut
	// snapOut is the MsgSnap being sent (the network uses it only during the call, as appOut).
	snapOut snapshotOut
	// sentSnap is the copy of the snapshot data last sent, which every MsgSnap of it shares.
	sentSnap sentSnapshot
	// snapshot is the data of the snapshot last made durable (ReadSnapshot).
	snapshot []byte
	// snapBufs are the service's snapshot buffers, lent to the core and given back
	// (SnapshotBuffer); nil until the service first asks for one: the buffers of a
	// service that never does are not followed.
	snapBufs *snapshotBuffers
	// image holds the records of the log's entries from the first rewrite on (see
	// logImage): a rewrite copies them instead of encoding the log again.
	image logImage
	// fileBufs are the arrays of rewritten logs and snapshot heads, which the storage gives
	// back; nil until the first rewrite (a peer whose service never snapshots carries
	// nothing for them).
	fileBufs *fileBuffers
	// recvEntries holds the entries of the last AppendEntries received, decoded
	// (receive): the core copies what it keeps of a message's entries (its log
	// appends the Entry values; the commands are the message's own bytes), so one
	// slice serves every request.
	recvEntries []raft.Entry
	// responders holds, per (requester, response type), the requests stepped into the core and not yet answered, oldest
	// first. The core answers every request with exactly one response, in the
	// order the requests were stepped, so the first response of a type to a
	// peer answers the oldest of its requests of that type. A response waits
	// for the Ready that carries it to be durable (§5.1), while later requests
	// are stepped, so several can wait at once.
	responders [][]*netsim.Request // indexed by respIndex; answered with Respond
	awaiting   int                 // responders, summed over all queues
	// What the trace last said of this peer, so that -v shows elections.
	tracedRole string
	tracedTerm int
}

// respIndex is the responders queue of responses of type typ to peer to.
func respIndex(to int, typ raft.MsgType) int {
	switch typ {
	case raft.MsgVoteResp:
		return 3 * to
	case raft.MsgAppResp:
		return 3*to + 1
	case raft.MsgSnapResp:
		return 3*to + 2
	}
	panic(fmt.Sprintf("raft: %v is not a response", typ))
}

// StartPeer boots a peer on node from what node's storage holds, registers
// its RPC handlers on ep, and starts its timers. Call it from the node's boot
// function. If the storage is corrupt the peer halts instead (see Halted).
func StartPeer(node *sim.Node, ep *netsim.Endpoint, cfg PeerConfig) *Peer {
	p := &Peer{node: node, ep: ep, clk: clock.NewSim(node), store: cfg.Storage,
		responders: make([][]*netsim.Request, 3*len(cfg.Peers))}
	if p.store == nil {
		p.store = node.Disk
	}
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
	p.writingObs, _ = cfg.Observer.(WritingObserver)
	p.onSync, p.onReply, p.onTick = p.write, p.reply, p.tick
	p.sizes.hard, p.sizes.log = p.store.Size(fileHard), p.store.Size(fileLog)
	recovered, err := p.recover()
	if err != nil {
		p.halt(err)
		return p
	}
	if cfg.Observer != nil {
		cfg.Observer.Booted(p, recovered)
	}
	p.core = raft.New(cfg.Raft, recovered, p.clk.Since())
	for _, t := range requestTypes() {
		// send takes a request off responders before it responds, and uses it no more.
		ep.HandleRequestRecycled(methodOf(t), p.handle)
	}
	p.drain()
	p.arm()
	return p
}

// recover reads the peer's durable state. A torn tail of the log (a crash in
// the middle of an append, so never synced and never acknowledged) is
// dropped; the next log write replaces the file without it. Corruption (see
// raft/persist.go: a record present whole that fails its CRC, in any of the
// three files) is an error: the peer may have acknowledged what it lost.
func (p *Peer) recover() (raft.Persistent, error) {
	var rec raft.Persistent
	hardBytes, _ := p.store.ReadFile(fileHard)
	hard, err := raft.DecodeHardState(hardBytes)
	if err != nil {
		return rec, fmt.Errorf("%s: %w", fileHard, err)
	}
	rec.Hard = hard
	snap, err := StoredSnapshot(p.store)
	if err != nil {
		return rec, err
	}
	rec.Snapshot, rec.SnapshotData = snap.Meta, snap.Data
	p.snapshot = snap.Data
	// Shared, not copied, where the storage can: the entries' commands share the log's
	// bytes (DecodeLog), and nothing writes to a command, nor hands this array back to the
	// storage (fileBuffers recycles only arrays this instance wrote).
	var logBytes []byte
	if r, ok := p.store.(sim.SharedReader); ok {
		logBytes, _ = r.ReadFileShared(fileLog)
	} else {
		logBytes, _ = p.store.ReadFile(fileLog)
	}
	var valid int
	rec.Entries, valid, err = raft.DecodeLog(logBytes, snap.Meta)
	if err != nil {
		return rec, fmt.Errorf("%s: %w", fileLog, err)
	}
	p.rewriteLog = valid < len(logBytes)
	return rec, nil
}

// halt makes the peer refuse to run: it keeps no timer and steps nothing. It
// still answers every RPC, as a closed port would, at once and with nothing
// in it: a response of term 0, which every caller drops as stale (a request
// carries its sender's term, at least 1). Registering no handler is not an
// option, since the network treats a call to a method nobody serves as a bug;
// and never answering would leave every call to the peer open for as long as
// the run lasts (the network fails a waiting call only when its server
// crashes or is cut off).
func (p *Peer) halt(err error) {
	p.halted = err
	w := p.node.World()
	w.Sometimes(ProbeHalted, true)
	w.Logf(p.node, "raft: storage corrupt: %v, peer halted", err)
	if h, ok := p.cfg.Observer.(HaltObserver); ok {
		h.Halted(p, err)
	}
	for _, t := range requestTypes() {
		p.ep.Handle(methodOf(t), func(req *netsim.Request, respond func(netsim.Message)) {
			m := received(req.Args)
			respond(&raft.Message{Type: m.Type.ResponseType(), From: m.To, To: m.From})
		})
	}
}

// Halted returns why the peer refused to run, or nil if it runs. A peer
// whose storage is corrupt halts at boot: it arms no timer, refuses every RPC
// (see halt), answers Start and GetState as a non-leader and applies nothing,
// for good (a restart finds the same storage). See the package comment.
func (p *Peer) Halted() error { return p.halted }

// Start proposes cmd (6.824's Start): the index it will have if committed,
// the current term, and whether this peer is the leader.
func (p *Peer) Start(cmd []byte) (index, term int, isLeader bool) {
	if p.halted != nil {
		return -1, 0, false
	}
	index, term, isLeader = p.core.Propose(p.clk.Since(), cmd)
	p.drain()
	p.arm()
	return index, term, isLeader
}

// GetState returns the current term and whether this peer is the leader.
func (p *Peer) GetState() (term int, isLeader bool) {
	if p.halted != nil {
		return 0, false
	}
	return p.core.State()
}

// Snapshot tells Raft the service has a snapshot covering through index; the
// log before it is discarded. It takes data over (raft.Raft.Snapshot): the
// service must not modify it afterwards, until SnapshotBuffer gives its array back.
func (p *Peer) Snapshot(index int, data []byte) {
	if p.halted != nil {
		return
	}
	p.core.Snapshot(index, data)
	if p.snapBufs != nil {
		p.snapBufs.lend(data)
	}
	p.drain()
}

// SnapshotBuffer returns an empty slice whose array the service handed over in an earlier
// Snapshot and nothing reads any more (see snapshotBuffers), or nil if there is none: the
// service owns it again, and may encode its next snapshot into it.
func (p *Peer) SnapshotBuffer() []byte {
	if p.snapBufs == nil {
		p.snapBufs = new(snapshotBuffers)
	}
	b := p.snapBufs.get()
	p.sentSnap.reused(b)
	return b
}

// Core exposes the state machine to checkers and harnesses (read-only use).
// It is nil if the peer halted.
func (p *Peer) Core() *raft.Raft { return p.core }

// Node is the node the peer runs on.
func (p *Peer) Node() *sim.Node { return p.node }

// StateSize is the size of the persisted Raft state (hard state and log),
// what 6.824 calls RaftStateSize.
func (p *Peer) StateSize() int { return p.sizes.hard + p.sizes.log }

// StoredStateSize is the size of the Raft state (hard state and log) a peer
// persisted on s, read from the files alone: harnesses measure it on the disks
// of crashed nodes too, which have no Peer.
func StoredStateSize(s sim.Storage) int { return s.Size(fileHard) + s.Size(fileLog) }

// MaxEntriesPerAppend is the cap on entries per AppendEntries the peer's core
// runs with (0: none), for harnesses that draw it per peer and test the draw.
func (p *Peer) MaxEntriesPerAppend() int { return p.cfg.Raft.MaxEntriesPerAppend }

// SnapshotSize is the size of the persisted snapshot file.
func (p *Peer) SnapshotSize() int { return p.store.Size(fileSnapshot) }

// ReadSnapshot returns the service's snapshot bytes as persisted (nil if none,
// or if the peer halted): the snapshot the peer recovered, or the last one it
// made durable since. They are read-only, as ApplyMsg.Snapshot is: the core
// holds the same bytes to send them. A service reads them at every boot, right
// after the peer read the file; reading and copying it again was the second copy
// of every snapshot a restarted service recovered. Bytes read after the service
// made a snapshot of its own are that snapshot's buffer, good only until a later
// snapshot is durable: SnapshotBuffer then gives the array back to the service.
func (p *Peer) ReadSnapshot() []byte {
	if p.halted != nil {
		return nil
	}
	return p.snapshot
}

// StoredSnapshot decodes the snapshot a peer persisted on s (zero if none),
// from the file alone: a harness reads it before it starts the peer, as the
// 6.824 harness ingests the snapshot before Make. An error means the file is
// corrupt; the peer itself halts on it.
func StoredSnapshot(s sim.Storage) (raft.SnapshotState, error) {
	b, _ := s.ReadFile(fileSnapshot)
	snap, err := raft.DecodeSnapshot(b)
	if err != nil {
		return snap, fmt.Errorf("%s: %w", fileSnapshot, err)
	}
	return snap, nil
}

// handle serves every Raft RPC: step the request; the core's response to it
// goes back as the RPC's reply once the Ready carrying it is durable.
func (p *Peer) handle(req *netsim.Request) {
	m := p.receive(req.Args)
	k := respIndex(m.From, m.Type.ResponseType())
	p.responders[k] = append(p.responders[k], req)
	p.awaiting++
	p.core.Step(p.clk.Since(), m)
	p.drain()
	p.arm()
}

// drain hands the core's Readies to storage one at a time (see persist); the
// completion of each (synced) sends, applies and advances it, and drains on.
func (p *Peer) drain() {
	if p.draining || p.writing {
		return // a Start or Snapshot from the service while applying, or a Ready in flight: picked up after it
	}
	p.draining = true
	for !p.writing && p.core.HasReady() {
		// The Ready is taken and used where it is kept, by pointer: a copy of it (112
		// bytes, six pointers) into inflight, to persist and back out for synced cost a few
		// percent of a run with a Ready per message, and Ready's result was copied twice
		// more on its way into inflight (ReadyInto).
		p.writing = true
		p.core.ReadyInto(&p.inflight)
		rd := &p.inflight
		countProbes(p.node.World(), rd)
		if rd.Snapshot != nil && p.snapBufs != nil {
			p.snapBufs.taken(rd)
		}
		p.persist(rd)
		if p.writingObs != nil && len(p.ops) > 0 {
			// A Ready with nothing to store is not heard of (WritingObserver): write finishes
			// it at once, in this event. Nearly a quarter of kv/SnapshotRecoverManyClients3B's
			// Readies carry only messages or applies.
			p.writingObs.Writing(p, rd)
		}
		p.write()
	}
	p.draining = false
	if !p.writing && p.awaiting > 0 {
		panic(fmt.Sprintf("raft: invariant every request gets a response violated: node %s has %d requests unanswered and nothing to do", p.node.Name, p.awaiting))
	}
}

// synced finishes rd once everything in it is durable, in the order
// durability requires (Figure 2: persistent state is updated on stable
// storage before responding to RPCs): tell the observer, send, apply,
// Advance. It runs inside drain's loop if the storage had nothing to sync,
// and otherwise as the completion of the last Sync, an event of its own, after
// which it drains what accumulated meanwhile.
//
// inflight stays as it is until the next Ready replaces it (nothing reads it while
// writing is false): clearing it cost a write barrier per pointer on every Ready, and what
// it holds (slices of the core's log and arrays, the snapshot data) the core holds anyway.
// The service's Apply may call Start or Snapshot, but they take no Ready while this one is
// being written (drain), so rd stays inflight's until Advance.
func (p *Peer) synced() {
	rd := &p.inflight
	nested := p.draining
	p.draining = true
	if p.cfg.Observer != nil {
		p.cfg.Observer.Persisted(p, rd)
	}
	if rd.Snapshot != nil {
		p.snapshot = rd.Snapshot.Data
	}
	for i := range rd.Messages {
		p.send(&rd.Messages[i])
	}
	if rd.Snapshot != nil && p.snapBufs != nil {
		p.snapBufs.persisted() // durable and sent: the snapshots it replaced are free
	}
	// The items and the callback in locals: the service's Apply changes neither (a Start or
	// Snapshot it calls takes no Ready, see drain), but the compiler, which cannot know,
	// loaded both again around every call.
	w, items, apply := p.node.World(), rd.Apply, p.cfg.Apply
	for i := range items {
		a := &items[i]
		w.Digest(digestApply(a))
		if apply != nil {
			apply(a)
		}
	}
	p.core.Advance(rd)
	p.writing = false
	p.traceRole()
	p.draining = nested
	if !nested {
		p.drain()
		p.arm()
	}
}

// digestApply is the trace-hash digest of one applied item: its index, term and length.
// Its bytes are in the hash already, so it does not checksum them again: a command was in a
// log record this peer wrote (in this incarnation or an earlier one of the same run) before
// the peer could apply it, and an installed snapshot in the snapshot record of the Ready
// that applies it, each digested by write from the record's CRC. A run that applied other
// bytes wrote other bytes first, and its hash differs from that write on. Checksumming
// every applied command on every replica again was a CRC of every command per replica.
func digestApply(a *raft.ApplyMsg) uint64 {
	if a.SnapshotValid {
		return (uint64(a.SnapshotIndex)<<32^uint64(a.SnapshotTerm))*fnvPrime ^ uint64(len(a.Snapshot)) ^ 1
	}
	return (uint64(a.CommandIndex)<<32^uint64(a.CommandTerm))*fnvPrime ^ uint64(len(a.Command))
}

// recordsDigest is the trace-hash digest of framed records the peer writes (raft/persist.go),
// total bytes in all: each record's length and body CRC, read from its header. Every byte of a
// record's body is in its CRC, computed once when the record was encoded; checksumming what
// was written again (the records of every append, every rewritten log and every snapshot's
// data) was most of the CRC work of a snapshotting service's run. A record whose body runs
// past b (a snapshot record's head, whose data is written behind it) ends the walk: its
// header covers the rest.
func recordsDigest(b []byte, total int) uint64 {
	return digestTotal(foldRecords(fnvOffset, b), total)
}

// foldRecords folds the header of each record in b into d, as recordsDigest does.
func foldRecords(d uint64, b []byte) uint64 {
	for o := 0; len(b)-o >= raft.RecordHeaderSize; {
		n, crc := raft.RecordHeader(b[o:])
		d = foldRecord(d, n, crc)
		if uint64(len(b)-o-raft.RecordHeaderSize) < uint64(n) {
			break
		}
		o += raft.RecordHeaderSize + int(n)
	}
	return d
}

// foldRecord folds the header of one record, its body's length n and CRC, into d.
func foldRecord(d uint64, n, crc uint32) uint64 { return foldHead(d, recordHead(n, crc)) }

// foldHead folds a record's header, as recordHead gives it, into d.
func foldHead(d, head uint64) uint64 { return (d ^ head) * fnvPrime }

// recordHead is a record's header, its body's length n and CRC, as foldRecord folds it.
func recordHead(n, crc uint32) uint64 { return uint64(n)<<32 | uint64(crc) }

// digestTotal ends a digest of records, total bytes in all.
func digestTotal(d uint64, total int) uint64 { return (d ^ uint64(total)) * fnvPrime }

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

// fileOp is one storage operation of a Ready, and whether a Sync follows it. Its files are
// peerFiles rather than names: persist plans up to seven operations in p.ops for a Ready, one
// (an append, then a sync) for most, and with two strings an operation was 104 bytes holding
// four pointers, each stored behind a write-barrier check, and write told the files apart by
// comparing names. A sync was an operation of its own, one more to plan and walk for nearly
// every Ready (kv/SnapshotRecoverManyClients3B: 0.8 M instructions of persist and write).
type fileOp struct {
	kind fileOpKind
	file peerFile // an opRename's is renamed over file.target()
	// sync: a Sync follows the operation, and the rest wait for its completion.
	sync   bool
	folded bool
	data   []byte
	tail   []byte // opWrite: written after data (WriteFileOwned's tail)
	// fold is data's records folded (foldRecords) if folded: an opAppend of the log
	// image's records, as persist made them, and a rewritten log's opWrite, as encodeLog
	// made them; write walks the others' headers.
	fold uint64
}

// peerFile is one of the files a peer keeps (fileHard and the rest), as a fileOp names it.
type peerFile uint8

// The temporary files come first, in the order of the files they are renamed over, which
// target's arithmetic relies on.
const (
	hardTmpFile peerFile = iota
	snapTmpFile
	logTmpFile
	hardFile
	snapshotFile
	logFile
)

// name is the file's name on the storage.
func (f peerFile) name() string {
	switch f {
	case hardTmpFile:
		return fileHardTmp
	case snapTmpFile:
		return fileSnapTmp
	case logTmpFile:
		return fileLogTmp
	case hardFile:
		return fileHard
	case snapshotFile:
		return fileSnapshot
	}
	return fileLog
}

// target is the file a temporary file is renamed over (opRename).
func (f peerFile) target() peerFile { return f + hardFile - hardTmpFile }

// digest is recordsDigest of what op writes, from the fold persist made if it made one.
func (op *fileOp) digest() uint64 {
	fold := op.fold
	if !op.folded {
		fold = foldRecords(fnvOffset, op.data)
	}
	return digestTotal(fold, len(op.data)+len(op.tail))
}

type fileOpKind uint8

const (
	opWrite  fileOpKind = iota // replace name's contents with data
	opAppend                   // append data to name
	opRename                   // rename file over file.target()
)

// persist plans the storage operations of rd in p.ops: batches of operations,
// each followed by a Sync whose completion starts the next (see write). Every
// byte is computed now, from the core as it is at Ready time; later steps
// change only what the next Ready will carry.
//
// A real file system, like the simulated one, may make unsynced operations
// durable in any order across files and between data and directory: a
// rename can survive a crash while the write it renames did not, leaving an
// empty file where the old one was. So a file is replaced by writing a
// temporary file, syncing, renaming it over the target and syncing again
// before relying on the rename, and files that must be durable in an order
// are synced one after the other:
//
//  1. every temporary file (hard state, snapshot, rewritten log), then sync;
//  2. rename the hard state into place, then sync: the term must be durable
//     before anything of that term (New refuses a log or snapshot holding a
//     term beyond the recovered hard state's, and would be right to: such a
//     log is one the peer never had);
//  3. rename the snapshot, then sync: a log compacted by it must not replace
//     the old log before it is durable, or the entries between would be lost;
//  4. rename the rewritten log, or append the Ready's log records, then sync.
//
// The last sync is left out for a Ready that is a snapshot and nothing else (no hard
// state, entries, truncate, messages or applies: the service's own snapshot, most of a
// snapshotting service's Readies with a snapshot). Its rewritten log holds no entry the
// old log does not: replayed after the snapshot, which is durable (3), the old log gives
// the same entries as the new one, so a crash that loses the rename loses nothing, and
// nothing in the Ready is sent or acknowledged. The next operation that needs the rename
// durable, an append to the new log, is synced before anything it carries is relied on,
// and that sync makes every earlier operation durable, the rename included; until then an
// append that survives without the rename is in a file recovery does not read, and was
// not acknowledged. A snapshot Ready cost three syncs, a third of a snapshotting kv
// service's disk events (kv/SnapshotRecoverManyClients3B: 1,164 of its 1,262 snapshot
// Readies, seed 1, were only that).
//
// A Ready with nothing to store has no operations: its messages go out at
// once (everything they acknowledge was made durable by earlier Readies,
// since only one is written at a time).
func (p *Peer) persist(rd *raft.Ready) {
	ops := p.ops[:0]
	logChanged := rd.Truncate > 0 || len(rd.Entries) > 0
	rewrite := rd.Snapshot != nil || (p.rewriteLog && logChanged)
	if rd.Hard != nil {
		ops = append(ops, fileOp{kind: opWrite, file: hardTmpFile, data: raft.EncodeHardState(*rd.Hard)})
	}
	if rd.Snapshot != nil {
		// The record's head, in an array the storage gave back if there is one
		// (fileBuffers), then the snapshot's data itself: the core and the service never
		// write to it (raft.Raft.Snapshot takes it over, ApplyMsg's is read-only), so the
		// storage may keep it rather than a copy.
		var head []byte
		if p.fileBufs != nil {
			head = p.fileBufs.heads.get(raft.MaxSnapshotRecordHead, p.fileBufs.done)
		}
		if head == nil {
			head = make([]byte, 0, raft.MaxSnapshotRecordHead)
		}
		head = raft.AppendSnapshotRecordHead(head, *rd.Snapshot)
		ops = append(ops, fileOp{kind: opWrite, file: snapTmpFile, data: head, tail: rd.Snapshot.Data})
	}
	var appended []byte // the log records rd appends, unless the log is rewritten
	var fold uint64     // their headers folded (foldRecords), if folded
	folded := false
	switch {
	case logChanged && p.image.ok:
		// The image folds each record's header as it encodes it (appendEntries), rather
		// than write walking the same headers again; the truncate record, encoded here,
		// is folded first, as it comes first in the file.
		fold = fnvOffset
		if rd.Truncate > 0 && !rewrite {
			p.appendBuf = raft.AppendTruncateRecord(p.appendBuf[:0], rd.Truncate)
			fold = foldRecords(fold, p.appendBuf)
		}
		start, entriesFold := p.image.appendReady(rd, fold)
		if !rewrite {
			appended, fold, folded = p.image.b[start:], entriesFold, true
			if rd.Truncate > 0 {
				appended = append(p.appendBuf, appended...)
				p.appendBuf = appended
			}
		}
	case logChanged && !rewrite:
		p.appendBuf = raft.AppendReadyRecords(p.appendBuf[:0], rd)
		appended = p.appendBuf
	}
	if len(p.image.b) > maxImage {
		p.image = logImage{} // appended keeps what it needs of it
	}
	if rewrite {
		data, fold := p.encodeLog()
		ops = append(ops, fileOp{kind: opWrite, file: logTmpFile, data: data, fold: fold, folded: true})
		p.rewriteLog = false
	}
	if p.cfg.UnsafeRenameUnsynced {
		for i, n := 0, len(ops); i < n; i++ {
			ops = append(ops, fileOp{kind: opRename, file: ops[i].file})
		}
		if logChanged && !rewrite {
			ops = append(ops, fileOp{kind: opAppend, file: logFile, data: appended, fold: fold, folded: folded})
		}
		if len(ops) > 0 {
			ops[len(ops)-1].sync = true
		}
		p.setPlan(ops)
		return
	}
	if len(ops) > 0 {
		ops[len(ops)-1].sync = true
	}
	if rd.Hard != nil {
		ops = append(ops, fileOp{kind: opRename, file: hardTmpFile, sync: true})
	}
	if rd.Snapshot != nil {
		ops = append(ops, fileOp{kind: opRename, file: snapTmpFile, sync: true})
	}
	switch {
	case rewrite && snapshotOnly(rd):
		ops = append(ops, fileOp{kind: opRename, file: logTmpFile})
	case rewrite:
		ops = append(ops, fileOp{kind: opRename, file: logTmpFile, sync: true})
	case logChanged:
		ops = append(ops, fileOp{kind: opAppend, file: logFile, data: appended, fold: fold, folded: folded, sync: true})
	}
	p.setPlan(ops)
}

// setPlan makes ops, which persist built in p.ops's array, the plan to write. The slots
// past it that the last plan used are cleared: a plan leaves its operations' data in them
// (see write), and a snapshot Ready's, a snapshot and a rewritten log, would otherwise stay
// alive behind the one-append plans of the Readies after it.
func (p *Peer) setPlan(ops []fileOp) {
	if n := len(p.ops); n > len(ops) {
		clear(p.ops[len(ops):n])
	}
	p.ops, p.next = ops, 0
}

// snapshotOnly reports whether rd is a snapshot and nothing else (see persist).
func snapshotOnly(rd *raft.Ready) bool {
	return rd.Snapshot != nil && rd.Hard == nil && rd.Truncate == 0 && len(rd.Entries) == 0 &&
		len(rd.Messages) == 0 && len(rd.Apply) == 0
}

// encodeLog returns the records of the whole log as the core holds it (without the entries
// a snapshot covers, or without a torn tail behind which appends would be lost), for the
// storage to keep (WriteFileOwned): a copy of the image (logImage), compacted to the
// snapshot, or rebuilt from the core if it does not hold the core's entries. A log shorter
// than minImage entries is encoded without building an image: one so short costs little to
// encode again, and raft/Swarm, whose peers restart often and keep a few entries or none at a
// rewrite, allocated 7% more for images it barely used. The buffer has room for the appends
// until the next rewrite, which fill it instead of moving the file to a larger array at the
// first of them: about as many bytes as the log file held at its last rewrites, before them
// (a service snapshots when its state reaches a size, so the log grows back to about that),
// and at least logSlack more than the records (logRoom). fold is the records' headers folded
// (foldRecords) for the write's digest, from the image's notes (logImage.fold) or as the
// records are encoded: walking the headers of the copy again was most of the digest's cost.
func (p *Peer) encodeLog() (_ []byte, fold uint64) {
	m := &p.image
	if m.ok {
		m.compact(p.core.FirstIndex())
	}
	records := m.b
	if !m.ok || !m.matches(p.core) {
		first, last := p.core.FirstIndex(), p.core.LastIndex()
		if last-first+1 >= minImage {
			m.rebuild(p.core, p.sizes.log+logSlack)
			records = m.b
		} else {
			*m = logImage{}
			// appendBuf is free: a Ready whose log is rewritten appends nothing.
			records, fold = p.appendBuf[:0], fnvOffset
			for i := first; i <= last; i++ {
				e, _ := p.core.Entry(i)
				var length, crc uint32
				records, length, crc = raft.AppendEntryRecordHeader(records, &e)
				fold = foldRecord(fold, length, crc)
			}
			p.appendBuf = records
		}
	}
	if m.ok {
		fold = m.fold()
	}
	room := p.logRoom(len(records))
	var b []byte
	if p.fileBufs != nil {
		b = p.fileBufs.get(room)
	}
	if b == nil {
		// Half as much again as the room: the buffer comes back (fileBuffers) for a later
		// rewrite, whose room, which follows the log's recent peaks, was more than the
		// capacity of the buffer that came back at a tenth of
		// kv/SnapshotRecoverManyClients3B's rewrites, and each of those allocated. With the
		// margin the run allocated 3.0% fewer bytes, raft/Swarm 1.9% and
		// raft/SnapshotBasic2D 3.7% (a quarter saved a little less, an eighth less again).
		b = make([]byte, 0, room+room/2)
	}
	return append(b, records...), fold
}

// logRoom returns the capacity of the buffer of a rewritten log that keeps records bytes
// (encodeLog), and notes the log file's size now as one of the last rewrites' (logPeaks). The
// log grows back to about the largest size it had at those rewrites: a service's log reaches
// its size limit one Ready at a time, overshooting it by a part of a Ready that varies from
// one snapshot to the next, and sized by the last rewrite alone a third of
// kv/SnapshotRecoverManyClients3B's rewritten logs outgrew their buffer, which AppendFile then
// moved to one a quarter larger. Not more than half again the size now, though: a log that was
// long once (a follower catching up) must not size the buffers of the short ones after it
// (raft/Swarm allocated more).
func (p *Peer) logRoom(records int) int {
	p.logPeaks[p.rewrites%len(p.logPeaks)] = p.sizes.log
	p.rewrites++
	peak := min(slices.Max(p.logPeaks[:]), p.sizes.log*3/2)
	return max(records+logSlack, peak+logSlack/4)
}

// minImage is the fewest entries a rewritten log must keep for the peer to build an image
// of it (see encodeLog).
const minImage = 8

// logSlack is the least room for appends after a rewritten log (encodeLog): a few records
// when the log is short or empty.
const logSlack = 256

// write issues the planned operations up to the next sync and returns; the
// sync's completion (onSync) calls it again for the rest. Once all are
// durable, synced finishes the Ready (at once if there were none). A crash
// cancels the chain: the rest never runs.
func (p *Peer) write() {
	w := p.node.World()
	// The plan and the position in locals, the position stored only where write returns: no
	// operation changes either (a Sync's done never runs inside Sync). An operation's data
	// stays in the plan until the next Ready's plan overwrites or clears it (setPlan), as
	// inflight's stay (see synced): clearing each as it was written was two write-barrier
	// checks per operation.
	ops, next := p.ops, p.next
	for next < len(ops) {
		op := &ops[next]
		next++
		switch op.kind {
		case opWrite:
			w.Digest(op.digest())
			p.store.WriteFileOwned(op.file.name(), op.data, op.tail) // a buffer of its own and immutable data (persist)
			switch op.file {
			case hardTmpFile:
				p.sizes.hardTmp = len(op.data) + len(op.tail)
			case snapTmpFile:
				if p.fileBufs != nil {
					p.fileBufs.heads.written(op.data) // persist's
				}
			case logTmpFile:
				p.sizes.logTmp = len(op.data) + len(op.tail)
				if p.fileBufs == nil {
					// Syncs are counted from now on (see fileBuffers); none is in flight.
					p.fileBufs = new(fileBuffers)
					p.onSync = p.syncDone
				}
				p.fileBufs.written(op.data) // encodeLog's
			}
		case opAppend:
			w.Digest(op.digest())
			p.store.AppendFile(fileLog, op.data) // op.file is logFile
			p.sizes.log += len(op.data)
		case opRename:
			to := op.file.target()
			p.store.Rename(op.file.name(), to.name())
			switch to {
			case hardFile:
				p.sizes.hard = p.sizes.hardTmp
			case logFile:
				p.sizes.log = p.sizes.logTmp
				if p.fileBufs != nil {
					p.fileBufs.renamed()
				}
			case snapshotFile:
				if p.fileBufs != nil {
					p.fileBufs.heads.renamed(p.fileBufs.issued)
				}
			}
		}
		if op.sync {
			if p.fileBufs != nil {
				p.fileBufs.issued++
			}
			p.next = next
			p.store.Sync(p.onSync)
			return
		}
	}
	p.next = next
	p.synced()
}

// syncDone is onSync once the peer has fileBufs: a Sync it issued completed.
func (p *Peer) syncDone() {
	p.fileBufs.done++
	p.write()
}

func (p *Peer) send(m *raft.Message) {
	if !m.Type.IsRequest() {
		k := respIndex(m.To, m.Type)
		q := p.responders[k]
		if len(q) == 0 {
			panic(fmt.Sprintf("raft: node %s: response %v with no request to answer", p.node.Name, m))
		}
		req := q[0]
		// Shift rather than reslice, so the queue reuses its array: it rarely
		// holds more than one or two.
		n := copy(q, q[1:])
		q[n] = nil
		p.responders[k] = q[:n]
		p.awaiting--
		req.Respond((*outgoing)(m))
		return
	}
	if m.Type == raft.MsgApp && len(m.Entries) > 0 {
		if p.crcs == nil {
			p.crcs = new(commandCRCs)
		}
		p.appOut = appendOut{m: m, crcs: p.crcs}
		p.ep.Call(p.cfg.Peers[m.To], methodOf(m.Type), &p.appOut, p.onReply)
		p.appOut.m = nil
		return
	}
	if m.Type == raft.MsgSnap && m.Entries == nil && len(m.Data) > 0 {
		p.snapOut = snapshotOut{m: m, data: p.sentSnap.copyOf(m.Data, m.Snapshot)}
		p.ep.Call(p.cfg.Peers[m.To], methodOf(m.Type), &p.snapOut, p.onReply)
		p.snapOut = snapshotOut{}
		return
	}
	p.ep.Call(p.cfg.Peers[m.To], methodOf(m.Type), (*outgoing)(m), p.onReply)
}

// receive is received for a request stepped into the core at once: an AppendEntries'
// entries are decoded into recvEntries rather than a slice of their own.
func (p *Peer) receive(x any) raft.Message {
	a := asAppend(x)
	if a == nil {
		return received(x)
	}
	m := a.message(p.recvEntries[:0])
	if n := len(m.Entries); n < len(p.recvEntries) {
		clear(p.recvEntries[n:]) // drop the commands of the previous message's further entries
	}
	p.recvEntries = m.Entries
	return m
}

// reply steps the reply to a request the peer sent. One method value serves every call
// (a closure per call was an allocation per message): the network runs it only on the
// instance of the node that made the call, never after a crash, so this is still the
// peer that sent the request.
func (p *Peer) reply(reply any, ok bool) {
	if !ok {
		return // lost: the next heartbeat or election retries
	}
	p.core.Step(p.clk.Since(), received(reply))
	p.drain()
	p.arm()
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
	p.timer = clock.AfterFuncLabel(p.clk, d-p.clk.Since(), p.core.Role(), p.onTick) // the trace shows "timer follower" etc.
}

func (p *Peer) tick() {
	p.timer = nil
	p.core.Tick(p.clk.Since())
	p.drain()
	p.arm()
}

var _ netsim.Digester = (*raft.Message)(nil)
