package lease

import (
	"errors"

	"github.com/lockstep-dst/lockstep/sim"
)

// The checks. Each is named "lease/<what>" and fails a run the moment its
// property breaks, so the failure's virtual time and node are where the bug
// showed, not where a later symptom did.
const (
	// CheckTokens: every grant carries a token greater than every token
	// granted before it, across restarts of the lock server. A token granted
	// twice lets two holders pass the storage's fence together.
	CheckTokens = "lease/tokens"
	// CheckExclusion: a client acts on a lease (decides to write under it)
	// only while it is the newest lease the lock server granted. Leases alone
	// promise this, under the clock-drift bound the system assumes.
	CheckExclusion = "lease/exclusion"
	// CheckFencing: the storage applies writes in strictly increasing (token,
	// seq) order: never one under an older lease than one it applied, never
	// an earlier write of the same lease after a later one. This is what
	// keeps the data safe when leases alone fail (a paused client, a write
	// delayed in the network past its lease's end).
	CheckFencing = "lease/fencing"
	// CheckDurable: at the end of the run, the storage's state holds the last
	// write it acknowledged, or a later one.
	CheckDurable = "lease/durable"
	// CheckProgress: once the faults end, some client stores a write again
	// within 2 s (unless a node halted on corrupt state). A liveness check:
	// it catches a lock that is never granted again, or a storage that
	// refuses every writer.
	CheckProgress = "lease/progress"
)

// Observer is told what the system does at the moments the checks judge.
// Servers and clients call it; it must never feed anything back into them
// (it is an observer outside the simulated machines, not a channel between
// them). A nil Observer observes nothing.
type Observer interface {
	// Granted: the lock server granted client a new lease with token.
	Granted(server *sim.Node, client int, token uint64)
	// Acting: client decided, now, that its lease of token is valid and is
	// about to write under it.
	Acting(client *sim.Node, token uint64)
	// Applied: the storage made client's write (token, seq) durable and is
	// acknowledging it.
	Applied(storage *sim.Node, client int, token, seq uint64)
}

// Checker holds the state the checks need: a function of what was
// observed, with no reference to any node or world, so that it can be fed
// hand-built histories in tests. The zero value is ready (no grant yet).
type Checker struct {
	holder   string // client of the newest grant, valid when token > 0
	token    uint64 // token of the newest grant (0: none yet)
	applied  writeID
	nApplied int
}

type writeID struct{ token, seq uint64 }

func (a writeID) less(b writeID) bool {
	return a.token < b.token || (a.token == b.token && a.seq < b.seq)
}

// Granted records a grant; it fails CheckTokens if the token is not newer
// than every token granted before.
func (c *Checker) Granted(client string, token uint64) error {
	if token <= c.token {
		return sim.Checkf(CheckTokens, "granted token %d to %s, but token %d was already granted (to %s)",
			token, client, c.token, c.holder)
	}
	c.holder, c.token = client, token
	return nil
}

// Acting fails CheckExclusion unless the lease client acts on is the newest
// one granted.
func (c *Checker) Acting(client string, token uint64) error {
	if c.token != token || c.holder != client {
		return sim.Checkf(CheckExclusion, "%s acts on its lease of token %d, but the lock server has since granted token %d to %s",
			client, token, c.token, c.holder)
	}
	return nil
}

// Applied fails CheckFencing if (token, seq) is not after every write the
// storage applied before.
func (c *Checker) Applied(client string, token, seq uint64) error {
	w := writeID{token, seq}
	if c.nApplied > 0 && !c.applied.less(w) {
		return sim.Checkf(CheckFencing, "storage applied %s's write (token %d, seq %d) after (token %d, seq %d)",
			client, token, seq, c.applied.token, c.applied.seq)
	}
	c.applied, c.nApplied = w, c.nApplied+1
	return nil
}

// Durable fails CheckDurable if the storage's state (token, seq) is older
// than the last write it acknowledged.
func (c *Checker) Durable(token, seq uint64) error {
	if c.nApplied > 0 && (writeID{token, seq}).less(c.applied) {
		return sim.Checkf(CheckDurable, "storage holds (token %d, seq %d), but it acknowledged (token %d, seq %d)",
			token, seq, c.applied.token, c.applied.seq)
	}
	return nil
}

// Applies returns how many writes the storage acknowledged.
func (c *Checker) Applies() int { return c.nApplied }

// worldObserver feeds a Checker and fails the run at the first violation,
// naming the check and the node whose action broke it.
type worldObserver struct {
	w *sim.World
	c *Checker
}

func (o worldObserver) fail(n *sim.Node, err error) {
	var ce *sim.CheckError
	if errors.As(err, &ce) {
		o.w.Fail(ce.Check, n, ce.Err)
	}
}

func (o worldObserver) Granted(server *sim.Node, client int, token uint64) {
	o.fail(server, o.c.Granted(o.w.Nodes()[client].Name, token))
}

func (o worldObserver) Acting(client *sim.Node, token uint64) {
	o.fail(client, o.c.Acting(client.Name, token))
}

func (o worldObserver) Applied(storage *sim.Node, client int, token, seq uint64) {
	o.fail(storage, o.c.Applied(o.w.Nodes()[client].Name, token, seq))
}
