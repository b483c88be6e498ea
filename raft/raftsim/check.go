package raftsim

import (
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// Observer sees a peer's durable transitions. The safety checkers implement
// it; a peer calls it after each Ready is persisted and synced, before
// anything in it is sent or applied.
type Observer interface {
	Booted(p *Peer, recovered raft.Persistent)
	Persisted(p *Peer, rd raft.Ready)
}

// Checker runs Raft's safety checks continuously, on every persisted Ready
// and every boot, and fails the run at the first violation, naming the
// check, the node and the virtual time. One Checker watches one Raft group;
// every scenario that runs Raft (kv and shardkv too) installs one.
type Checker struct {
	w            *sim.World
	election     electionSafety
	votes        oneVotePerTerm
	matching     logMatching
	completeness leaderCompleteness
	machine      stateMachineSafety
	durability   durability
}

var _ Observer = (*Checker)(nil)

// NewChecker returns the checkers for a group of n peers in w.
func NewChecker(w *sim.World, n int) *Checker {
	return &Checker{
		w:            w,
		election:     electionSafety{leaders: map[int]int{}},
		votes:        oneVotePerTerm{votes: map[voteKey]int{}},
		matching:     logMatching{seen: map[entryKey]entryFacts{}},
		completeness: leaderCompleteness{checked: map[int]bool{}},
		machine:      stateMachineSafety{committed: map[int]committedEntry{}, applied: make([]int, n)},
		durability:   durability{synced: make([]durableState, n), known: make([]bool, n)},
	}
}

func (c *Checker) fail(name string, p *Peer, err error) {
	if err != nil {
		c.w.Fail("raft/"+name, p.node, err)
	}
}

// Booted checks a restarted peer recovered exactly what it had synced.
func (c *Checker) Booted(p *Peer, rec raft.Persistent) {
	id := p.cfg.Raft.ID
	c.fail("durability", p, c.durability.booted(id, rec))
	c.machine.booted(id, rec)
}

// Persisted checks one Ready of peer p.
func (c *Checker) Persisted(p *Peer, rd raft.Ready) {
	id := p.cfg.Raft.ID
	core := p.core
	term, leader := core.State()
	c.fail("votes", p, c.votes.check(id, rd))
	c.fail("log-matching", p, c.matching.check(core, rd))
	if leader {
		c.fail("election-safety", p, c.election.check(id, term))
		c.fail("leader-completeness", p, c.completeness.check(core, term, &c.machine))
	}
	c.fail("state-machine-safety", p, c.machine.check(id, term, rd))
	c.durability.persisted(id, core)
}

// Committed returns the command committed at index as the checkers saw it
// applied, and whether any peer applied it.
func (c *Checker) Committed(index int) ([]byte, bool) {
	e, ok := c.machine.committed[index]
	return e.command, ok
}

// hashBytes is FNV-1a, inline: the checkers hash every persisted and applied
// command, and hash/fnv's interface value costs an allocation each time.
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}
