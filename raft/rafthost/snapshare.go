package rafthost

import (
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
)

// snapshotOut is a MsgSnap as a peer hands it to the network: outgoing, but its Clone
// carries a copy of the snapshot's data that the peer made at the first send of that
// snapshot and shares with every receiver of it, instead of a copy per send. A copy per
// send was 7% of the bytes kv/SnapshotRecoverManyClients3B allocated: a leader may send the
// same snapshot more than once to a follower that is down or behind, before it takes its
// next one (of 207 MsgSnaps in seeds 1-3, 49 carried a snapshot sent before).
//
// The copy is the peer's, and nothing writes it: the peer only hands it to the network,
// and each receiver only reads it (its core keeps it, its storage holds it as a file,
// clipped so that appends cannot reach into it, and corruption copies a file first; its
// service decodes it, and a kv store that keeps its values as slices of it copies one
// before changing it). Sharing the sender's own array instead would have taken it from the
// service's recycled buffers (snapshotBuffers), and the fresh arrays the service then
// encoded into cost more than the copies.
type snapshotOut struct {
	m    *raft.Message
	data []byte // m.Data's copy
}

// Size is the message's (raft.Message.Size).
func (o *snapshotOut) Size() int { return o.m.Size() }

// Digest is the message's (raft.Message.Digest).
func (o *snapshotOut) Digest() uint64 { return o.m.Digest() }

// String is the message's (raft.Message.String), for traces.
func (o *snapshotOut) String() string { return o.m.String() }

// Clone returns a copy of the message that holds the shared copy of its data.
func (o *snapshotOut) Clone() any {
	c := *o.m
	c.Data = o.data
	return &c
}

// sentSnapshot is the copy of the data of the snapshot a peer last sent, and what it is a
// copy of.
type sentSnapshot struct {
	src  []byte // the core's data, kept so its array cannot be freed and reused meanwhile
	meta raft.SnapshotMeta
	data []byte // the copy, of its length in capacity
}

// copyOf returns the copy of data, a snapshot with meta, making one unless data is what
// the last copy was made of. The core's snapshot data changes only by being replaced, and
// an array replaced in it is written again only if the peer gives it back to the service
// (SnapshotBuffer), which forgets the copy of it first (reused).
func (s *sentSnapshot) copyOf(data []byte, meta raft.SnapshotMeta) []byte {
	if s.data == nil || len(data) != len(s.src) || !sameArray(s.src, data) || meta != s.meta {
		s.src, s.meta = data, meta
		s.data = make([]byte, len(data)) // its length its capacity: nothing can append into it
		copy(s.data, data)
	}
	return s.data
}

// reused notes that b's array is being given back to the service, which will write it.
func (s *sentSnapshot) reused(b []byte) {
	if s.data != nil && sameArray(s.src, b) {
		*s = sentSnapshot{}
	}
}

var (
	_ netsim.Digester = (*snapshotOut)(nil)
	_ netsim.Message  = (*snapshotOut)(nil)
)
