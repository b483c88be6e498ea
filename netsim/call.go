package netsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Request is a call as its handler sees it.
type Request struct {
	From int // caller's node ID
	Args any // the handler's own copy

	// Which dispatch of which call this is, for Respond: the call's
	// record, and in tag the record's use (call.gen), the method's index
	// (method.idx), whether the Request is recycled, and its Args with it,
	// and the copy's number (0-2), packed by requestTag. A Request is reused only once its
	// handler, registered with HandleRequestRecycled, has responded
	// (newRequest); any other names one dispatch for good, as a respond
	// closure of its own would. Packed so that a Request is 40 bytes, not
	// 64: there is one per delivered request.
	c   *call
	tag uint64
}

// The fields of Request.tag: the copy's number in its low copyBits bits,
// then recycledBit and recycledArgsBit, the method's index in the next
// methodBits, the record's use above them.
const (
	copyBits        = 2
	recycledBit     = 1 << copyBits
	recycledArgsBit = recycledBit << 1
	methodShift     = copyBits + 2
	methodBits      = 16
	maxMethods      = 1 << methodBits
	useShift        = methodShift + methodBits
)

// requestTag packs copy k of a call of method idx made in use gen of its
// record. Only gen's low 64-useShift bits are kept: a record is not reused
// 2^44 times in a run.
func requestTag(gen uint64, idx int, k uint8) uint64 {
	return gen<<useShift | uint64(idx)<<methodShift | uint64(k)
}

// Method is the name of the method called. The method's record is found
// through the call's network, which a call record keeps through every
// reuse (call.unref), so a Request kept after its call ended still names
// its own method.
func (r *Request) Method() string {
	return r.c.net.methods[r.tag>>methodShift&(maxMethods-1)].name
}

// Respond answers the request, as the respond function handed to a
// Handler does: it works once, and only for this dispatch. A handler may
// keep the Request and call Respond again, even after the call's record
// was freed and reused by another call, which does not hear it; unless it
// was registered with HandleRequestRecycled, whose Requests Respond gives
// back (and with HandleRequestRecycledArgs their Args too).
func (r *Request) Respond(reply Message) {
	c, k := r.c, r.tag&(1<<copyBits-1)
	if c == nil || c.gen<<useShift != r.tag>>useShift<<useShift || c.responded&(1<<k) != 0 {
		return
	}
	c.responded |= 1 << k
	n := c.net
	c.respond(reply)
	if r.tag&recycledArgsBit != 0 {
		c.to.spareArgs.Put(r.Args)
	}
	c.unref()
	if r.tag&recycledBit != 0 {
		// Cleared, so that a Respond that broke the promise finds no call
		// until a later dispatch takes r.
		*r = Request{}
		n.spareReqs.Put(r)
	}
}

// Handler serves one method. It must call respond exactly once, now or
// later (a KV server answers when its command commits); a second call is
// ignored. Until it responds, the call fails if the server dies or the link
// goes down, at the next multiple of 100 ms since the handler began, as
// labrpc's polling would find it (see watch.go).
type Handler func(req *Request, respond func(reply Message))

// RequestHandler is a Handler that responds with req.Respond, which costs
// no allocation per call where a Handler's respond function costs one.
type RequestHandler func(req *Request)

// Endpoint is a node's attachment to the network.
type Endpoint struct {
	net      *Network
	node     *sim.Node
	handlers []handler // by method.idx; none (nil) where this instance has none
	// waits are CallProc's finished waiters, for reuse.
	waits   sim.FreeList[*waiter]
	watched []*call // calls waiting on this node's handlers (see watch.go)
	pruneAt int     // the length of watched at which it is next pruned
	// lastMethod is the method this endpoint last called (nil before its
	// first call): a node mostly calls one method again and again (a clerk
	// its service's, a Raft leader AppendEntries), and one comparison with
	// its name is cheaper than the network's scan of every method.
	lastMethod *method
	// spareArgs are the copies of the requests to this node that its
	// handlers gave back (HandleRequestRecycledArgs), spareReplies those of
	// the replies to it that its callers gave back (RecycleReply): the
	// network copies a later request or reply to the node into one (see
	// Recopier), so a copy is only ever reused for the node it went to.
	spareArgs, spareReplies sim.FreeList[any]
}

// method returns the record of method name, as Network.method does.
func (e *Endpoint) method(name string) *method {
	if m := e.lastMethod; m != nil && m.name == name {
		return m
	}
	m := e.net.method(name)
	e.lastMethod = m
	return m
}

// Node returns the endpoint's node.
func (e *Endpoint) Node() *sim.Node { return e.node }

// ID is the endpoint's address: its node's ID.
func (e *Endpoint) ID() int { return e.node.ID }

// Handle registers h for method on this instance of the node.
func (e *Endpoint) Handle(method string, h Handler) {
	e.HandleRequest(method, func(req *Request) { h(req, req.Respond) })
}

// HandleRequest registers h for method on this instance of the node: Handle
// for a handler that responds with req.Respond.
func (e *Endpoint) HandleRequest(method string, h RequestHandler) {
	e.handle(method, handler{serve: h})
}

// HandleRequestRecycled is HandleRequest for a handler that uses a Request
// no more once it has responded to it (what it took from the Request, such
// as its Args, stays its own): Respond gives the Request back to the
// network, which hands it to a later dispatch, instead of a new one per
// call. (The Requests of kv/SnapshotRecoverManyClients3B's servers, kv and
// Raft, were 0.51 MB of the 6.1 MB a run allocated.)
func (e *Endpoint) HandleRequestRecycled(method string, h RequestHandler) {
	e.handle(method, handler{serve: h, tagBits: recycledBit})
}

// HandleRequestRecycledArgs is HandleRequestRecycled for a handler that
// uses the Request's Args no more either once it has responded (nor
// anything that shares memory with them, as a slice of theirs would):
// Respond gives them back too, and the network copies a later request to
// this node into them, if it is a Recopier, instead of a new copy. (The kv
// servers' requests were 0.55 MB of the 5.2 MB
// kv/SnapshotRecoverManyClients3B allocated a run, their replies 0.27 MB.)
func (e *Endpoint) HandleRequestRecycledArgs(method string, h RequestHandler) {
	e.handle(method, handler{serve: h, tagBits: recycledBit | recycledArgsBit})
}

func (e *Endpoint) handle(method string, h handler) {
	m := e.net.method(method)
	for len(e.handlers) <= m.idx {
		e.handlers = append(e.handlers, handler{})
	}
	e.handlers[m.idx] = h
}

// handler is one method's handler on an instance of a node.
type handler struct {
	serve RequestHandler
	// tagBits are set in the tag of each Request it is handed: recycledBit
	// if registered with HandleRequestRecycled, and recycledArgsBit too
	// with HandleRequestRecycledArgs.
	tagBits uint64
}

// handler returns this instance's handler for m; its serve is nil if it has
// none.
func (e *Endpoint) handler(m *method) handler {
	if m.idx < len(e.handlers) {
		return e.handlers[m.idx]
	}
	return handler{}
}

// Done receives the outcome of a call: the reply and true, or nil and false
// if the network reports failure (lost, partitioned, server dead, timeout).
type Done func(reply any, ok bool)

// call is one RPC in flight. Its small fields sit in the gaps the larger
// ones leave, so that a record is 192 bytes, three cache lines, rather than
// 208, which most records straddle four of: each step of an RPC (send,
// delivery, response, reply) touches most of the record, and often finds it
// cold.
type call struct {
	net      *Network
	from, to *Endpoint
	fromInc  uint32 // the caller's instance: only it may hear the outcome
	toInc    uint32
	dest     int32 // the address called, for the trace
	copies   int32 // deliveries scheduled but not yet dispatched
	labels   *method
	args     any    // the request's Clone, a Message (asserted only to clone it again, see dispatch)
	digest   uint64 // the request's digest (see digest)
	done     Done
	rand     sim.Rand      // by value: one allocation less per call
	back     time.Duration // the reply's one-way latency (see Latency)
	id       uint64        // the trace's ID of the request (first copy); 0 unless tracing
	answered bool          // the caller has been told (reply, failure or timeout)
	served   bool          // a handler has responded

	// refs counts what may still use the call: its scheduled events and the
	// Requests handed to handlers that have not yet responded.
	// When it drops to zero nothing can reach the call any more, and unref
	// puts it on the network's free list. An event that never runs (its
	// node crashed) or a handler that never responds keeps the call off the
	// list for good, which only costs the garbage collector.
	refs int32

	// The watch over the server while a handler has not responded (see
	// watch.go).
	waitFrom time.Duration // when the wait began: the server is checked at waitFrom + k*ServerDeadPoll
	watchIdx int           // the call's index in to.watched, while listed
	waiting  bool          // the wait has begun (set once)
	listed   bool          // in to.watched
	checking bool          // a check is scheduled

	// dispatched numbers the copies handed to handlers (at most three: the
	// request, a duplicate and a late duplicate); bit k of responded is set
	// once copy k's handler has responded.
	dispatched, responded uint8

	// The reply in flight (at most one per call: respond sets served before
	// it schedules one), read by replyArrives.
	reply       any
	replySize   int
	replyDigest uint64 // see digest
	replyID     uint64 // its trace ID; 0 unless tracing

	// gen numbers the record's uses: it grows each time the record is
	// freed, so a Request of an earlier call (which a handler may keep and
	// respond to again) knows the record is no longer its call's.
	gen uint64
}

// A call's events are sim.Actions on the record itself, one type per
// event, so that scheduling them allocates nothing and a new record needs
// no bound method values.
type (
	deliverAction  call
	replyAction    call
	checkAction    call
	failedAction   call
	timedOutAction call
)

func (a *deliverAction) Run()  { (*call)(a).deliverUntraced() }
func (a *replyAction) Run()    { (*call)(a).replyArrives() }
func (a *checkAction) Run()    { (*call)(a).check() }
func (a *failedAction) Run()   { (*call)(a).failed() }
func (a *timedOutAction) Run() { (*call)(a).timedOut() }

// newCall returns a zeroed call record, reused from the free list (which
// unref fills with zeroed records) when one is there.
func (n *Network) newCall() *call {
	if c := n.free.Get(); c != nil {
		return c
	}
	return &call{}
}

// unref drops one reference; the last one puts the record on the free list.
// It must be the last thing an event or Respond does with c.
func (c *call) unref() {
	c.refs--
	if c.refs != 0 {
		return
	}
	n := c.net
	// Holds no messages, callbacks or endpoints while free; its network it
	// keeps, for the Requests of its earlier uses (Request.Method).
	*c = call{net: n, gen: c.gen + 1}
	n.free.Put(c)
}

func (c *call) failed()   { c.fail("failed"); c.unref() }
func (c *call) timedOut() { c.fail("timed out"); c.unref() }

// newRequest returns a Request of its own for one dispatch: one a recycling
// handler responded to (HandleRequestRecycled), or a new one. A handler
// registered otherwise may keep its *Request for as long as it likes, so
// its Requests are never reused; they come from a sim.Slab, so a Request a
// handler keeps keeps its chunk alive.
func (n *Network) newRequest() *Request {
	if r := n.spareReqs.Get(); r != nil {
		return r
	}
	return n.reqs.New()
}

// Call sends args to node to's method; done runs on the caller's node (never
// after the caller crashed) once the outcome is known. As in labrpc there is
// no timeout: a call always ends, because the network reports failure.
func (e *Endpoint) Call(to int, method string, args Message, done Done) {
	e.CallTimeout(to, method, args, 0, done)
}

// CallTimeout is Call that gives up after timeout (0: never).
//
// Only a running node sends: code of a crashed node that calls fails the run
// with the check "down-node" (sim.Node.CheckUp), and nothing is sent.
func (e *Endpoint) CallTimeout(to int, method string, args Message, timeout time.Duration, done Done) {
	if !e.node.Up() {
		e.node.CheckUp(fmt.Sprintf("send %s to node %d", method, to))
		return
	}
	e.call(to, e.method(method), args, timeout, done)
}

// call is CallTimeout of method m, from a node that is up.
func (e *Endpoint) call(to int, m *method, args Message, timeout time.Duration, done Done) {
	n := e.net
	n.stats.Calls++
	m.calls++
	method := m.name
	c := n.newCall()
	c.net, c.from, c.fromInc, c.dest, c.labels, c.done = n, e, e.node.Incarnation(), int32(to), m, done
	// Each call draws from its own stream, keyed by its link and its
	// sequence number on that link (see link), so calls on other links do
	// not shift its fate.
	l := n.link(e.node.ID, to)
	c.rand = *l.rand.Keyed(l.seq)
	l.seq++
	size := args.Size()
	n.stats.Bytes += size
	n.stats.sentBy(e.node.ID, size)
	tracing := n.w.Tracing()
	if timeout > 0 {
		c.refs++
		e.node.AfterAction(timeout, m.timeout, (*timedOutAction)(c))
	}
	target := n.Endpoint(to)
	if target == nil || !target.node.Up() || !n.LinkUp(e.node.ID, to) {
		if tracing {
			c.id = n.traceSend(e.node.ID, to, method, false, summary(args), "undeliverable")
			n.traceDrop(c.id, undeliverable(target))
		}
		c.failLater(n.failAfter(&c.rand))
		return
	}
	c.to, c.toInc = target, target.node.Incarnation()
	cond := &n.cond
	delay := c.rand.Duration(cond.DelayMin, cond.DelayMax)
	if !n.lat.Zero() {
		// Latency draws from a stream of its own, so that the call's fates
		// below are drawn as they would be without it.
		lr := *c.rand.Keyed(latencyKey)
		delay += n.oneWay(l, &lr)
		c.back = n.oneWay(n.link(to, e.node.ID), &lr) // l stays valid: this grows another row, or none
	}
	if c.rand.Chance(cond.DropRequest) {
		if tracing {
			c.id = n.traceSend(e.node.ID, to, method, false, summary(args), "lost")
			n.traceDrop(c.id, "lost in the network")
		}
		c.failLater(delay)
		return
	}
	held := ""
	if cond.LongDelayRequest > 0 && c.rand.Chance(cond.LongDelayRequest) {
		delay += longDelay(&c.rand)
		held = "held long"
	}
	// Copied only now: a request to a peer that is down or cut off, or that is dropped,
	// is never delivered, and a Raft leader sends whole backlogs to such peers.
	c.args = clone(args, &target.spareArgs)
	c.digest = digest(args, size)
	c.copies = 1
	if tracing {
		c.id = n.traceSend(e.node.ID, to, method, false, summary(c.args), arrives(delay, held))
	}
	c.schedule(delay, c.id)
	if c.rand.Chance(cond.Duplicate) {
		c.copies++
		d := delay + c.rand.Duration(0, cond.DelayMax+time.Millisecond)
		var id uint64
		if tracing {
			id = n.traceSend(e.node.ID, to, method, false, "", arrives(d, fmt.Sprintf("duplicate of #%d", c.id)))
		}
		c.schedule(d, id)
	}
	if cond.LateDuplicate > 0 && c.rand.Chance(cond.LateDuplicate) {
		// A copy held long in the network: it reaches the handler again,
		// typically after the caller has had its reply. The caller hears
		// one outcome only; whichever run of the handler responds second
		// has its reply dropped (respond: served).
		c.copies++
		d := delay + longDelay(&c.rand)
		var id uint64
		if tracing {
			id = n.traceSend(e.node.ID, to, method, false, "", arrives(d, fmt.Sprintf("late duplicate of #%d", c.id)))
		}
		c.schedule(d, id)
	}
}

// schedule delivers a copy of the request after delay; id is the copy's
// trace ID (0 unless tracing).
func (c *call) schedule(delay time.Duration, id uint64) {
	c.refs++
	if id == 0 {
		c.net.w.ScheduleAction(delay, c.labels.req, (*deliverAction)(c))
		return
	}
	c.net.w.Schedule(delay, c.labels.req, func() { c.deliver(id); c.unref() })
}

func (c *call) deliverUntraced() { c.deliver(0); c.unref() }

// undeliverable says why a call could not be sent at all.
func undeliverable(target *Endpoint) string {
	switch {
	case target == nil:
		return "no node at that address"
	case !target.node.Up():
		return "receiver is down"
	}
	return "link down"
}

// longDelay is labrpc's long reordering hold: 200 + rand(1 + rand(2000)) ms,
// that is 200-2199 ms skewed towards short holds.
func longDelay(r *sim.Rand) time.Duration {
	return 200*time.Millisecond + time.Duration(r.Int64N(1+r.Int64N(2000)))*time.Millisecond
}

// linkDigest mixes the endpoints of a delivered message into its digest.
func linkDigest(d uint64, from, to int) uint64 {
	return d ^ linkKey(from, to)*0x9e3779b97f4a7c15
}

// fail tells the caller the call failed, once; why is for the trace.
func (c *call) fail(why string) {
	if c.answered || c.callerGone() {
		return
	}
	if n := c.net; n.w.Tracing() {
		n.w.Logf(c.from.node, "call #%d %s → %s %s %s", c.id, c.from.node.Name, n.name(int(c.dest)), c.labels.name, why)
	}
	c.finish(nil, false)
}

// finish tells the caller, once.
func (c *call) finish(reply any, ok bool) {
	if c.answered || c.callerGone() {
		return
	}
	c.answered = true
	c.done(reply, ok)
}

// callerGone reports whether the instance that made the call crashed: its
// callback belongs to volatile state the crash discarded, and must not run in
// a restarted successor.
func (c *call) callerGone() bool {
	return !c.from.node.Up() || c.from.node.Incarnation() != c.fromInc
}

// failLater reports failure to the caller after delay, as an event of the
// caller's node. Nothing is scheduled for a caller that was already told or
// is gone: the network must not act for a crashed node.
func (c *call) failLater(delay time.Duration) {
	if c.answered || c.callerGone() {
		return
	}
	c.refs++
	c.from.node.AfterAction(delay, c.labels.fail, (*failedAction)(c))
}

// serverGone reports whether the instance the call was sent to is gone or
// unreachable: labrpc's isServerDead plus the enabled check.
func (c *call) serverGone() bool {
	return !c.to.node.Up() || c.to.node.Incarnation() != c.toInc || !c.net.LinkUp(c.from.node.ID, c.to.node.ID)
}

// deliver runs at the server when copy id (the trace's ID, 0 unless
// tracing) of the request arrives.
func (c *call) deliver(id uint64) {
	n := c.net
	// A caller that gave up (timeout) does not stop the request: it still
	// arrives and runs, as a late packet would.
	if c.serverGone() {
		if id != 0 {
			n.traceDrop(id, c.goneWhy())
		}
		c.failLater(n.failAfter(&c.rand))
		return
	}
	if c.to.node.Paused() {
		// Held with the node's events until it resumes; meanwhile watched
		// so that a crash or partition of the paused node still fails the
		// call.
		if id != 0 {
			n.traceBind(id)
			n.w.Logf(c.to.node, "#%d held: %s is paused", id, c.to.node.Name)
		}
		c.refs++
		c.to.node.After(0, c.labels.req, func() { c.dispatch(id); c.unref() })
		c.watch()
		return
	}
	c.dispatch(id)
}

// goneWhy says why serverGone holds, for the trace.
func (c *call) goneWhy() string {
	if !c.to.node.Up() || c.to.node.Incarnation() != c.toInc {
		return "receiver crashed"
	}
	return "link down"
}

func (c *call) dispatch(id uint64) {
	n := c.net
	h := c.to.handler(c.labels)
	if h.serve == nil {
		panic(fmt.Sprintf("netsim: node %s has no handler for %q (called by node %d)",
			c.to.node.Name, c.labels.name, c.from.node.ID))
	}
	n.stats.Delivered++
	n.stats.bump(&n.stats.perServer, c.to.node.ID, 1)
	n.w.Digest(linkDigest(c.digest, c.from.node.ID, c.to.node.ID))
	if id != 0 {
		n.traceDeliver(id)
	}
	// The handler owns its args. c.args is already the network's private
	// copy, so only a delivery that another (duplicate) one follows needs a
	// fresh copy: the handler may mutate what it was given.
	args := c.args
	c.copies--
	if c.copies > 0 {
		args = c.args.(Message).Clone()
	}
	req := n.newRequest()
	k := c.dispatched
	*req = Request{From: c.from.node.ID, Args: args, c: c, tag: requestTag(c.gen, c.labels.idx, k) | h.tagBits}
	c.dispatched++
	c.refs++ // held by the request (its Respond) until the handler responds
	h.serve(req)
	// c is still this call's (the event running dispatch holds a reference).
	if c.responded&(1<<k) == 0 {
		c.watch()
	}
}

// respond carries a handler's reply back. After the handler returns labrpc
// checks again: a server that died (or was cut off) meanwhile gives no
// positive reply, so an acknowledgement can never come from state that a
// crash discarded.
func (c *call) respond(reply Message) {
	n := c.net
	tracing := n.w.Tracing()
	if c.served {
		c.unsent(reply, "a duplicate's reply (the caller hears only the first)")
		return
	}
	c.served = true
	c.unwatch() // the Request's reference is still held
	if c.serverGone() {
		c.unsent(reply, c.goneWhy())
		c.failLater(n.failAfter(&c.rand))
		return
	}
	if c.answered || c.callerGone() {
		c.unsent(reply, "no one waits for it (the caller was told or crashed)")
		return
	}
	if c.rand.Chance(n.cond.DropReply) {
		if tracing {
			n.traceDrop(n.traceSend(c.to.node.ID, c.from.node.ID, c.labels.name, true, summary(reply), "lost"), "lost in the network")
		}
		c.failLater(0)
		return
	}
	delay := c.back
	held := ""
	if n.cond.LongReordering && c.rand.Chance(LongReorderChance) {
		delay += longDelay(&c.rand)
		held = "held long (reordering)"
	}
	c.reply = clone(reply, &c.from.spareReplies)
	c.replySize = reply.Size()
	c.replyDigest = digest(reply, c.replySize)
	if tracing {
		c.replyID = n.traceSend(c.to.node.ID, c.from.node.ID, c.labels.name, true, summary(reply), arrives(delay, held))
		n.traceBind(c.replyID) // the reply's arrival is an event of the caller
	}
	c.refs++
	c.from.node.AfterAction(delay, c.labels.rep, (*replyAction)(c))
}

// unsent traces a reply the network discards before it leaves the server.
// A method rather than a closure in respond: building the closure cost every
// reply, though only a traced run uses it.
func (c *call) unsent(reply Message, why string) {
	if n := c.net; n.w.Tracing() {
		n.traceDrop(n.traceSend(c.to.node.ID, c.from.node.ID, c.labels.name, true, summary(reply), "not sent"), why)
	}
}

// replyArrives runs at the caller when the reply respond sent arrives.
func (c *call) replyArrives() {
	n, id := c.net, c.replyID
	if c.answered {
		if id != 0 {
			n.traceDrop(id, "the caller was told first (timeout or failure)")
		}
		c.unref()
		return
	}
	n.stats.Bytes += c.replySize
	n.stats.Replies++
	n.w.Digest(linkDigest(c.replyDigest, c.to.node.ID, c.from.node.ID))
	if id != 0 {
		n.traceDeliver(id)
	}
	c.finish(c.reply, true)
	c.unref()
}

// CallProc is Call for sequential code: it blocks process p (which must run
// on this endpoint's node) until the call ends, and returns its outcome.
func (e *Endpoint) CallProc(p *sim.Proc, to int, method string, args Message, timeout time.Duration) (any, bool) {
	if !e.node.Up() {
		// Code of a down node: CallTimeout fails the run, and the process
		// waits for an outcome that never comes, as any of its waits would.
		p.Suspend("reply to "+method, func(func()) { e.CallTimeout(to, method, args, timeout, nil) })
		return nil, false
	}
	m := e.method(method)
	wt := e.waiter()
	// Suspend, with the process and its wait kept in the reused waiter
	// instead of a resume closure per call.
	wt.p, wt.wait = p, p.BeginWait(m.wait)
	e.call(to, m, args, timeout, wt.done)
	p.Park()
	reply, ok := wt.reply, wt.ok
	// The call told its outcome, and tells it only once (call.finish), so
	// nothing will use wt again: it is free for the next CallProc. A
	// process killed while it waits never gets here, and its waiter is
	// left to the garbage collector.
	*wt = waiter{done: wt.done}
	e.waits.Put(wt)
	return reply, ok
}

// RecycleReply gives back reply, which a call from this endpoint returned
// (CallProc) or handed to its Done, and which the caller uses no more, nor
// anything that shares memory with it (a string read from it stays the
// caller's, being immutable): the network copies a later reply to this
// node into it, if that reply is a Recopier, instead of a new copy.
func (e *Endpoint) RecycleReply(reply any) {
	if reply != nil {
		e.spareReplies.Put(reply)
	}
}

// waiter is one CallProc's wait: where the outcome goes and the process
// waiting for it.
type waiter struct {
	reply any
	ok    bool
	p     *sim.Proc
	wait  sim.Wait
	done  Done // wt.finish, bound once per waiter rather than per call
}

func (wt *waiter) finish(reply any, ok bool) {
	wt.reply, wt.ok = reply, ok
	// The outcome's own event (the reply's arrival, the failure, the
	// timeout) is an event of the caller's node, so the process goes on
	// inside it rather than in a resume event of its own.
	wt.p.WakeHere(wt.wait)
}

// waiter returns a cleared waiter, reused when the endpoint has one.
func (e *Endpoint) waiter() *waiter {
	if wt := e.waits.Get(); wt != nil {
		return wt
	}
	wt := &waiter{}
	wt.done = wt.finish
	return wt
}
