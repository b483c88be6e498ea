package lease

import (
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// client is one user of the lock: over and over, it takes the lease, writes
// a job of values to the storage service under it, and gives it back. A job
// may take longer than the lease; the client then stops writing when its
// lease runs out by its own clock, and starts over.
type client struct {
	node    *sim.Node
	ep      *netsim.Endpoint
	clk     clock.Clock
	cfg     Config
	obs     Observer
	server  int // node IDs
	storage int
	rand    *sim.Rand
}

func bootClient(node *sim.Node, ep *netsim.Endpoint, cfg Config, obs Observer, server, storage int) *client {
	c := &client{node: node, ep: ep, clk: clock.NewSim(node), cfg: cfg.withDefaults(), obs: obs,
		server: server, storage: storage, rand: node.Rand("lease/client")}
	node.World().Spawn(node, node.Name, c.run)
	return c
}

func (c *client) run(p *sim.Proc) {
	for {
		token, deadline, ok := c.acquire(p)
		if !ok {
			p.Sleep(c.rand.Duration(10*time.Millisecond, 50*time.Millisecond))
			continue
		}
		c.job(p, token, deadline)
		c.ep.CallProc(p, c.server, "Lock.Release", &releaseArgs{Token: token}, 100*time.Millisecond)
		p.Sleep(c.rand.Duration(0, 50*time.Millisecond))
	}
}

// acquire asks for the lease and returns its token and the local time
// (clk.Since) until which this client may act on it.
//
// The lease is counted from the moment the request left, not from the
// moment the grant arrived: the server counts it from the moment the
// request reached it, between the two, and a grant may then spend long in
// the server's queue and in the network (a reply held 2 s, with a 1 s
// lease, arrives after the lease is over). And it is shortened by the
// drift margin: the server measures the lease on its clock and this client
// on its own; if this clock runs 1% slow and the server's 1% fast, a lease
// of L on the server's clock ends after about 0.98 L on this one.
func (c *client) acquire(p *sim.Proc) (token uint64, deadline time.Duration, ok bool) {
	sent := c.clk.Since()
	rep, ok := c.ep.CallProc(p, c.server, "Lock.Acquire", &acquireArgs{}, 2*time.Second)
	if !ok || !rep.(*grantReply).OK {
		return 0, 0, false
	}
	g := rep.(*grantReply)
	start := sent
	if c.cfg.CountFromReply {
		start = c.clk.Since() // the bug: counts the time the grant spent travelling as lease
	}
	valid := time.Duration(float64(g.Valid) * (1 - c.cfg.DriftMargin))
	if c.cfg.NoDriftMargin {
		valid = g.Valid // the bug: trusts the whole lease, as if every clock ran at the same rate
	}
	deadline = start + valid
	if c.clk.Since() >= deadline {
		// The grant came too late to use: the lease may be over already.
		p.World().Sometimes(probeGrantTooLate, true)
		return 0, 0, false
	}
	return g.Token, deadline, true
}

// job writes a few values under the lease. Before each write it checks the
// lease is still valid by its own clock; once the storage says a newer lease
// wrote, it stops at once: it has lost the lock whatever its clock says.
func (c *client) job(p *sim.Proc, token uint64, deadline time.Duration) {
	writes := 1 + c.rand.IntN(c.cfg.MaxJob)
	for seq := uint64(1); seq <= uint64(writes); seq++ {
		if c.clk.Since() >= deadline {
			p.World().Sometimes(probeLeaseRanOut, true)
			return
		}
		if c.obs != nil {
			c.obs.Acting(c.node, token)
		}
		value := c.rand.Uint64()
		rep, ok := c.ep.CallProc(p, c.storage, "Store.Write", &writeArgs{Token: token, Seq: seq, Value: value}, 500*time.Millisecond)
		if ok && rep.(*writeReply).Stale {
			return
		}
		p.Sleep(c.rand.Duration(c.cfg.Think/2, c.cfg.Think*3/2))
	}
}
