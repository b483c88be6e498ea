package rafthost

import (
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// snapshotBuffers gives a service back the arrays of the snapshots it handed its peer
// (Peer.Snapshot), once nothing can read them any more, to encode later snapshots into
// (Peer.SnapshotBuffer): a kv server snapshots its whole store every few dozen commands, and
// a fresh array per snapshot was 36% of the bytes kv/SnapshotRecoverManyClients3B allocated.
//
// Who reads a snapshot's data after the service handed it over: the core, which keeps it
// (raft.Raft.Snapshot) until a later snapshot, taken or installed, replaces it, and puts it
// in every MsgSnap it queues meanwhile; the Ready that carries it, and the peer's writes of
// it to storage, which keeps the array (WriteFileOwned) as the temporary file's contents
// and, once renamed, the snapshot file's; ReadSnapshot, from the Ready's completion on. The
// core sets a new snapshot's data and its pending Ready.Snapshot together, so the first
// Ready taken after the replacement carries the new snapshot and every message queued
// before it. When that Ready has been persisted, the storage has replaced the snapshot file
// by the new one and synced after (the rename is synced before the Ready completes), so it
// has given the old array back (sim.Storage.WriteFileOwned); when its messages have been
// sent, the network holds copies of them
// (netsim clones at the call). From then on nothing reads the old array: the ReadSnapshot
// view is the new snapshot, and what the core and the peer still hold of it (stale message
// slots, the last Ready's copy) is never read again. A buffer the core ignored (a stale
// index) was never held, and goes the same way, as does one whose snapshot was superseded
// before any Ready carried it.
//
// A crash loses the peer and its buffers with it, while the node's storage may still hold
// them: nothing writes them after that.
type snapshotBuffers struct {
	// lent are the buffers handed over and possibly still read. superseded: a Ready carrying
	// a later snapshot has been taken; the buffer is free once that Ready is persisted and
	// sent (one Ready is written at a time, so that is the Ready in flight).
	lent []lentBuffer
	// free are buffers nothing reads, for SnapshotBuffer. (A peer makes its
	// snapshotBuffers when the service first asks for one: a service that never does
	// keeps no snapshot alive for it.)
	free sim.FreeList[[]byte]
}

type lentBuffer struct {
	b          []byte
	superseded bool
}

// maxFreeSnapshots is the most free buffers kept: a snapshot Ready frees the one or two
// before it, and a service takes one per snapshot.
const maxFreeSnapshots = 2

// lend notes that the service handed b over to the core.
func (s *snapshotBuffers) lend(b []byte) {
	if cap(b) > 0 {
		s.lent = append(s.lent, lentBuffer{b: b})
	}
}

// taken notes that rd, which carries a snapshot, is about to be written: every other buffer
// lent so far has been replaced in the core.
func (s *snapshotBuffers) taken(rd *raft.Ready) {
	for i := range s.lent {
		if !sameArray(s.lent[i].b, rd.Snapshot.Data) {
			s.lent[i].superseded = true
		}
	}
}

// persisted notes that rd, which carries a snapshot, is durable and its messages sent: the
// buffers superseded when it was taken are free.
func (s *snapshotBuffers) persisted() {
	kept := s.lent[:0]
	for _, l := range s.lent {
		switch {
		case !l.superseded:
			kept = append(kept, l)
		case s.free.Len() < maxFreeSnapshots:
			s.free.Put(l.b[:0])
		}
	}
	clear(s.lent[len(kept):])
	s.lent = kept
}

// get returns a free buffer, empty, or nil if there is none.
func (s *snapshotBuffers) get() []byte { return s.free.Get() }

// sameArray reports whether a and b start at the same place in memory (a has capacity).
func sameArray(a, b []byte) bool { return cap(b) > 0 && &a[:1][0] == &b[:1][0] }
