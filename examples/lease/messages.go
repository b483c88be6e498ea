package lease

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Messages with contents digest them (netsim.Digester): the network folds
// the digest of every message it delivers into the trace hash, so two runs
// that differ only in a token or a value differ in hash, and
// -check-determinism names the delivery where they part.
func digest(fields ...uint64) uint64 { return sim.HashBytes(encode(fields...)) }

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// acquireArgs asks the lock server for the lease. The caller is the
// request's sender (netsim.Request.From).
type acquireArgs struct{}

func (*acquireArgs) Size() int      { return 1 }
func (*acquireArgs) Clone() any     { return &acquireArgs{} }
func (*acquireArgs) String() string { return "acquire" }

// grantReply answers an acquire. Valid is how long the lease lasts from the
// moment the request reached the server, measured on the server's clock:
// the client counts it from when it sent the request, which was earlier.
type grantReply struct {
	OK    bool
	Token uint64
	Valid time.Duration
}

func (m *grantReply) Size() int      { return 17 }
func (m *grantReply) Digest() uint64 { return digest(b2u(m.OK), m.Token, uint64(m.Valid)) }
func (m *grantReply) Clone() any     { c := *m; return &c }
func (m *grantReply) String() string {
	if !m.OK {
		return "refused"
	}
	return fmt.Sprintf("granted token=%d valid=%v", m.Token, m.Valid)
}

// releaseArgs gives the lease of Token back early.
type releaseArgs struct{ Token uint64 }

func (m *releaseArgs) Size() int      { return 8 }
func (m *releaseArgs) Digest() uint64 { return digest(m.Token) }
func (m *releaseArgs) Clone() any     { c := *m; return &c }
func (m *releaseArgs) String() string { return fmt.Sprintf("release token=%d", m.Token) }

// writeArgs asks the storage service to store Value, the Seq-th write made
// under the lease of Token.
type writeArgs struct {
	Token, Seq uint64
	Value      uint64
}

func (m *writeArgs) Size() int      { return 24 }
func (m *writeArgs) Digest() uint64 { return digest(m.Token, m.Seq, m.Value) }
func (m *writeArgs) Clone() any     { c := *m; return &c }
func (m *writeArgs) String() string {
	return fmt.Sprintf("write token=%d seq=%d value=%d", m.Token, m.Seq, m.Value)
}

// writeReply answers a write: stored, or refused because a write under a
// newer lease (or a later write under the same one) was stored first.
type writeReply struct {
	OK    bool
	Stale bool
}

func (m *writeReply) Size() int      { return 2 }
func (m *writeReply) Digest() uint64 { return digest(b2u(m.OK), b2u(m.Stale)) }
func (m *writeReply) Clone() any     { c := *m; return &c }
func (m *writeReply) String() string {
	switch {
	case m.OK:
		return "stored"
	case m.Stale:
		return "stale token"
	}
	return "refused"
}

// ackReply answers a release.
type ackReply struct{}

func (*ackReply) Size() int      { return 1 }
func (*ackReply) Clone() any     { return &ackReply{} }
func (*ackReply) String() string { return "ok" }
