package lease

import (
	"time"

	"github.com/lockstep-dst/lockstep/clock"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// counterFile holds the lock server's durable state: the newest token it
// may have granted.
const counterFile = "tokens"

// lockServer grants one lease at a time. Its only durable state is the token
// counter; who holds the lease and until when is volatile, which is why a
// restarted server waits out a whole lease before granting (see bootServer).
type lockServer struct {
	node *sim.Node
	clk  clock.Clock
	cfg  Config
	obs  Observer
	// counter is the newest token that may have been granted: every token
	// granted is durable in counterFile before the grant leaves (unless
	// Config.NoCounterSync).
	counter uint64
	// holder is the client holding the lease until expiry (on clk.Since,
	// the monotonic clock), -1 if none.
	holder int
	token  uint64
	expiry time.Duration
	// graceUntil: no grant before this (clk.Since) after a restart.
	graceUntil time.Duration
	waiters    []waiter // acquires not yet answered, oldest first
	busy       bool     // a grant is being made durable
	wake       clock.Timer
	halted     bool
}

type waiter struct {
	client  int
	arrived time.Duration // clk.Since when the request arrived
	respond func(netsim.Message)
}

func bootServer(node *sim.Node, ep *netsim.Endpoint, cfg Config, obs Observer) *lockServer {
	s := &lockServer{node: node, clk: clock.NewSim(node), cfg: cfg.withDefaults(), obs: obs, holder: -1}
	ep.Handle("Lock.Acquire", s.acquire)
	ep.Handle("Lock.Release", s.release)
	fields, err := load(node.Disk, counterFile, 1)
	if err != nil {
		// A damaged counter could be older than a token already granted;
		// granting from it could hand the same token out twice. Refuse to
		// serve until an operator restores it.
		node.World().Logf(node, "lock server: refusing to serve: %v", err)
		node.World().Sometimes(probeHalted, true)
		s.halted = true
		return s
	}
	if fields != nil {
		s.counter = fields[0]
	}
	// A previous instance may have granted a lease that is still running:
	// the holder is not known any more, so wait until any such lease has
	// certainly expired. The crash came after the grant and this boot after
	// the crash, so a whole lease, on this node's clock, from now is enough.
	// A server that never granted anything (counter 0) has nothing to wait
	// for.
	if s.counter > 0 && !s.cfg.NoRestartGrace {
		s.graceUntil = s.cfg.Lease
	}
	return s
}

// acquire queues the caller and answers when it can have the lease.
//
// A client that asks while it holds the lease waits for its own lease to
// end like anyone else, and then gets a new token. Both shortcuts are
// wrong, as sweeps of this example found:
//   - giving it its lease back (same token, what remains of it): a release
//     of that lease may still be in the network and end it while the client
//     writes (example/LeaseUnreliable seed 95: client2 released token 7,
//     asked again, got token 7 back, and its delayed release then freed the
//     lock for client1);
//   - giving it a new lease at once: the request may be an old one, held or
//     duplicated by the network, that reaches the server while the client
//     writes under the lease its newer request got (seed 37: client1 wrote
//     under token 9 after a copy of its old request got token 10).
func (s *lockServer) acquire(req *netsim.Request, respond func(netsim.Message)) {
	if s.halted {
		respond(&grantReply{})
		return
	}
	for i, wt := range s.waiters {
		if wt.client == req.From {
			// An older acquire of the same client, which gave up on it:
			// answer it (nobody listens) and queue the new one at its place.
			wt.respond(&grantReply{})
			s.waiters[i] = waiter{req.From, s.clk.Since(), respond}
			s.grantNext()
			return
		}
	}
	s.waiters = append(s.waiters, waiter{req.From, s.clk.Since(), respond})
	s.grantNext()
}

// release ends the caller's lease early, if it is still the current one.
func (s *lockServer) release(req *netsim.Request, respond func(netsim.Message)) {
	args := req.Args.(*releaseArgs)
	if s.holder == req.From && s.token == args.Token {
		s.holder = -1
		s.grantNext()
	}
	respond(&ackReply{})
}

// grantNext grants the lease to the oldest waiter if nobody holds it, or
// arms a timer for when it can.
//
// A grant says how long the lease lasts counted from when the request
// arrived, not from the grant: the client counts it from when it sent the
// request, before that, and knows nothing of the time the request spent
// queued here. Saying "a whole lease" after a wait in the queue would let
// the client act for that long after the grant, while this server would
// end the lease earlier. A request that waited half a lease is refused
// instead (the client asks again), so that a grant leaves the client
// a useful lease.
func (s *lockServer) grantNext() {
	if s.busy {
		return
	}
	now := s.clk.Since()
	for len(s.waiters) > 0 && now-s.waiters[0].arrived >= s.cfg.Lease/2 {
		s.waiters[0].respond(&grantReply{})
		s.waiters = s.waiters[1:]
	}
	if len(s.waiters) == 0 {
		return
	}
	free := max(s.graceUntil, now)
	if s.holder >= 0 {
		free = max(free, s.expiry)
	}
	if free > now {
		s.node.World().Sometimes(probeRestartGrace, s.graceUntil > now && (s.holder < 0 || s.expiry < s.graceUntil))
		if s.wake != nil {
			s.wake.Stop()
		}
		s.wake = clock.AfterFuncLabel(s.clk, min(free, s.waiters[0].arrived+s.cfg.Lease/2)-now, "lease next grant",
			func() { s.wake = nil; s.grantNext() })
		return
	}
	s.node.World().Sometimes(probeHandoffAtExpiry, s.holder >= 0)
	wt := s.waiters[0]
	s.waiters = s.waiters[1:]
	s.holder = -1
	s.counter++
	token := s.counter
	grant := func() {
		s.busy = false
		// The lease runs until a lease after the request arrived, on this
		// clock.
		s.holder, s.token, s.expiry = wt.client, token, wt.arrived+s.cfg.Lease
		if s.obs != nil {
			s.obs.Granted(s.node, wt.client, token)
		}
		wt.respond(&grantReply{OK: true, Token: token, Valid: s.cfg.Lease})
		s.grantNext()
	}
	if s.cfg.NoCounterSync {
		// The bug: the counter goes to the page cache and the grant leaves
		// at once, trusting the operating system to write it out. A crash
		// loses what was not synced, and the restarted server hands the same
		// tokens out again.
		s.node.Disk.WriteFile(counterFile, encode(token))
		grant()
		return
	}
	s.busy = true
	persist(s.node.Disk, counterFile, grant, token)
}
