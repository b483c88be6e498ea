package rafthost

import "github.com/lockstep-dst/lockstep/raft"

// commandCRCs remembers the CRC-32C of the commands a leader sends, so that an entry sent
// to each follower (and again when resent) is checksummed once for the messages' digests,
// not once per message: a five-peer leader digested every command four times or more.
//
// 64 slots hold what a leader sends to its followers in one round and resends soon after; a
// table per leader of 256 (8 KiB) cost raft/Swarm, whose leaders change often, more in
// allocation than it saved. A slot is taken by the entry's index and holds the command itself, not only its CRC: a
// hit needs the very same bytes (same first byte in memory, same length), which a command
// keeps for as long as the slot holds it (commands are immutable once proposed, see
// raft.Entry), so no other command, however buggy the core that made it, can be taken for it.
type commandCRCs struct{ slots [64]commandCRC }

type commandCRC struct {
	cmd []byte
	crc uint32
}

// of returns raft.Checksum(cmd) for the command of the entry at index (cmd not empty).
func (c *commandCRCs) of(index int, cmd []byte) uint32 {
	s := c.slot(index)
	if !s.holds(cmd) {
		s.fill(cmd)
	}
	return s.crc
}

// slot is the slot of the entry at index. slot, holds and fill are of in parts that the
// loop packing a leader's entries (packAppend) calls in line, where a call to of, not
// inlined, cost 2.1M instructions in kv/SnapshotRecoverManyClients3B (seeds 1-3).
func (c *commandCRCs) slot(index int) *commandCRC {
	return &c.slots[uint(index)%uint(len(c.slots))]
}

// holds reports whether s holds the very command cmd (not empty).
func (s *commandCRC) holds(cmd []byte) bool {
	return len(s.cmd) == len(cmd) && &s.cmd[0] == &cmd[0]
}

// fill makes s hold cmd and its CRC.
func (s *commandCRC) fill(cmd []byte) { s.cmd, s.crc = cmd, raft.Checksum(cmd) }

// messageDigest is m.Digest() (raft.Message.Digest), with the commands' CRCs from crcs if
// not nil (TestAppendOutIsTheMessage).
func messageDigest(m *raft.Message, crcs *commandCRCs) uint64 {
	if crcs == nil {
		return m.Digest()
	}
	return m.DigestWith(crcs.of)
}

// appendOut is an AppendEntries with entries as a peer hands it to the network: outgoing,
// whose Clone digests the commands with the peer's CRCs. The network uses what it is handed
// only during the call (it sends its Clone), so one per peer serves every send.
type appendOut struct {
	m    *raft.Message
	crcs *commandCRCs
	// digest is m's, if digested: the network digests the message it is handed right after
	// cloning it (netsim's digest), and Clone computes the digest as it packs the entries.
	// A peer sets a fresh appendOut for each send.
	digest   uint64
	digested bool
}

// Size is the message's (raft.Message.Size).
func (o *appendOut) Size() int { return o.m.Size() }

// Digest is the message's (raft.Message.Digest).
func (o *appendOut) Digest() uint64 {
	if !o.digested {
		o.digest, o.digested = messageDigest(o.m, o.crcs), true
	}
	return o.digest
}

// String is the message's (raft.Message.String), for traces.
func (o *appendOut) String() string { return o.m.String() }

// Clone returns the message in its wire form (outgoing.Clone).
func (o *appendOut) Clone() any {
	form := wireForm(o.m, o.crcs)
	if a := asAppend(form); a != nil {
		o.digest, o.digested = a.head().digest, true
	}
	return form
}
