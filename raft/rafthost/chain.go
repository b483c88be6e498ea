package rafthost

import "github.com/lockstep-dst/lockstep/raft"

// AfterPersisted returns an observer that passes every call, the optional Writing and
// Halted included, on to next (nil: none), and then calls after with the peer once each
// Ready is persisted: how a service on Raft follows its peer's leadership behind the
// safety checkers, which must see the Ready first.
func AfterPersisted(next Observer, after func(*Peer)) Observer {
	return chained{next: next, after: after}
}

type chained struct {
	next  Observer
	after func(*Peer)
}

var (
	_ WritingObserver = chained{}
	_ HaltObserver    = chained{}
)

func (c chained) Booted(p *Peer, rec raft.Persistent) {
	if c.next != nil {
		c.next.Booted(p, rec)
	}
}

func (c chained) Writing(p *Peer, rd raft.Ready) {
	if w, ok := c.next.(WritingObserver); ok {
		w.Writing(p, rd)
	}
}

func (c chained) Halted(p *Peer, err error) {
	if h, ok := c.next.(HaltObserver); ok {
		h.Halted(p, err)
	}
}

func (c chained) Persisted(p *Peer, rd raft.Ready) {
	if c.next != nil {
		c.next.Persisted(p, rd)
	}
	c.after(p)
}
