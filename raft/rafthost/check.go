package rafthost

import (
	"errors"

	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/raftcheck"
	"github.com/lockstep-dst/lockstep/sim"
)

// Observer sees a peer's durable transitions. The safety checkers implement
// it; a peer calls it after each Ready is persisted and synced, before
// anything in it is sent or applied. The Ready is the peer's, handed by pointer
// (a Ready is a dozen words, and a chain of observers copied it at every link, on
// every Ready): an observer reads it during the call and must not modify it.
type Observer interface {
	Booted(p *Peer, recovered raft.Persistent)
	Persisted(p *Peer, rd *raft.Ready)
}

// Checker runs Raft's safety checks (package raftcheck) continuously, on
// every persisted Ready and every boot, and fails the run at the first
// violation as "raft/<check>", naming the node and the virtual time. One
// Checker watches one Raft group; every scenario that runs Raft (kv too)
// installs one.
type Checker struct {
	w     *sim.World
	check *raftcheck.Checker
}

var _ Observer = (*Checker)(nil)

// NewChecker returns the checkers for a group of n peers in w.
func NewChecker(w *sim.World, n int) *Checker {
	return &Checker{w: w, check: raftcheck.New(n)}
}

func (c *Checker) fail(p *Peer, err error) {
	if err == nil {
		return
	}
	var v *raftcheck.Violation
	if errors.As(err, &v) {
		c.w.Fail("raft/"+v.Check, p.node, v.Err)
		return
	}
	c.w.Fail("raft/checker", p.node, err)
}

// Booted checks a restarted peer recovered what it had synced.
func (c *Checker) Booted(p *Peer, rec raft.Persistent) {
	c.fail(p, c.check.Booted(p.cfg.Raft.ID, rec))
}

// Persisted checks one Ready of peer p.
func (c *Checker) Persisted(p *Peer, rd *raft.Ready) {
	if err := c.check.Persisted(p.cfg.Raft.ID, p.core, rd); err != nil {
		c.fail(p, err)
	}
}

// Writing tells the checks that p hands rd to its storage: until Persisted(rd),
// a crash may leave any part of it there (raftcheck.Checker.Writing).
func (c *Checker) Writing(p *Peer, rd *raft.Ready) {
	c.check.Writing(p.cfg.Raft.ID, rd)
}

// Halted tells the checks that p refused to run on corrupt storage: what its
// disk lost is not held against its next boot (raftcheck.Checker.Halted).
func (c *Checker) Halted(p *Peer, err error) {
	c.check.Halted(p.cfg.Raft.ID)
}

// Committed returns the command committed at index as the checkers saw it
// applied, and whether any peer applied it.
func (c *Checker) Committed(index int) ([]byte, bool) { return c.check.Committed(index) }

// MaxCommitted returns the highest index any peer applied a command at.
func (c *Checker) MaxCommitted() int { return c.check.MaxCommitted() }
