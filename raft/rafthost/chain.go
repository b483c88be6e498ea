package rafthost

import "github.com/lockstep-dst/lockstep/raft"

// AfterPersisted returns an observer that passes every call, the optional Writing and
// Halted included, on to next (nil: none), and then calls after with the peer once each
// Ready is persisted: how a service on Raft follows its peer's leadership behind the
// safety checkers, which must see the Ready first.
func AfterPersisted(next Observer, after func(*Peer)) Observer {
	c := &chained{next: next, after: after}
	c.writing, _ = next.(WritingObserver)
	c.halted, _ = next.(HaltObserver)
	return c
}

// chained is AfterPersisted's observer. It is called on every Ready of a service's peer
// (twice: Writing and Persisted), so next's optional interfaces are asserted once, here,
// and its methods take a pointer: a value receiver behind an interface is called through
// a wrapper that copies the receiver first.
type chained struct {
	next    Observer
	writing WritingObserver // next as one, or nil
	halted  HaltObserver    // next as one, or nil
	after   func(*Peer)
}

var (
	_ WritingObserver = (*chained)(nil)
	_ HaltObserver    = (*chained)(nil)
)

func (c *chained) Booted(p *Peer, rec raft.Persistent) {
	if c.next != nil {
		c.next.Booted(p, rec)
	}
}

func (c *chained) Writing(p *Peer, rd *raft.Ready) {
	if c.writing != nil {
		c.writing.Writing(p, rd)
	}
}

func (c *chained) Halted(p *Peer, err error) {
	if c.halted != nil {
		c.halted.Halted(p, err)
	}
}

func (c *chained) Persisted(p *Peer, rd *raft.Ready) {
	if c.next != nil {
		c.next.Persisted(p, rd)
	}
	c.after(p)
}
