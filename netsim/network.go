// Package netsim is Lockstep's simulated network: endpoints on simulated
// nodes, request/reply RPC on virtual time, a latency model, loss,
// duplication, long reordering of replies, long holds and late duplicates of
// requests, symmetric and one-way partitions per directed link, and per-node
// and per-method counters. Where the 6.824 tests depend on labrpc's behaviour
// it behaves as labrpc does (see conditions.go, call.go). Each call's fate is
// drawn from a stream keyed by its link and its number on that link (see
// link), and every delivered message's digest goes into the trace hash (see
// Digester).
package netsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Message is anything sent over the network. Every message that crosses from
// one node to another is a Clone, so a sender that mutates after sending
// cannot change what the receiver sees.
type Message interface {
	// Size is the message's size on the wire in bytes, for byte accounting.
	Size() int
	// Clone returns a deep copy sharing no memory with the original, itself
	// a Message (a duplicate delivery clones it again).
	Clone() any
}

// Recopier is a Message that can be copied into an earlier copy that
// nothing uses any more: the copies of the requests and replies to a node
// that its handlers (HandleRequestRecycledArgs) or callers (RecycleReply)
// gave back, which the network reuses rather than allocating a copy per
// message.
type Recopier interface {
	// CloneInto is Clone into dst, an earlier copy of a message to the same
	// node: it returns dst, or a new copy if dst is not of its type (and
	// dst is dropped).
	CloneInto(dst any) any
}

// clone is m.Clone(), made into a copy from spare, the copies given back by
// the node m goes to, if there is one and m is a Recopier. A copy taken for a
// message that is none is dropped, so that a list that gets copies of a type
// no message recopies (a handler or caller that gives back what no Recopier
// made) holds no more of them than there are messages in flight.
func clone(m Message, spare *sim.FreeList[any]) any {
	if dst := spare.Get(); dst != nil {
		if r, ok := m.(Recopier); ok {
			return r.CloneInto(dst)
		}
	}
	return m.Clone()
}

// Digester is a Message that can digest its contents. The network folds the
// digest of every request and reply it delivers into the trace hash, so two
// runs that differ only in a value carried by a message differ in hash (and
// -check-determinism names the delivery where they part). A message that
// does not implement it contributes its Size.
type Digester interface {
	// Digest is a hash of the message's contents: equal contents, equal
	// digest, on every machine (see sim.HashBytes).
	Digest() uint64
}

// digest is what a delivered message contributes to the trace hash: its Digest,
// or its size (m.Size()) if it has none. The network takes it from the message
// the sender or handler hands over, when it clones it, not from the clone when it
// is delivered: a clone is a deep copy, with the same contents and so the same
// digest (Digester), and the senders' messages are of fewer types than their
// clones (a Raft peer sends one, whose clones take one of several compact forms).
// Each type a type assertion meets is cached at its site only on about one miss
// in a thousand, and the clones' many types kept one site taking the runtime's
// slow path for ~2% of kv/Concurrent3A's instructions over seeds 1-3.
func digest(m Message, size int) uint64 {
	if d, ok := m.(Digester); ok {
		return d.Digest()
	}
	return uint64(size)
}

// Network connects endpoints on the nodes of one world.
type Network struct {
	w    *sim.World
	rand *sim.Rand
	cond Conditions
	lat  Latency
	eps  []*Endpoint // by node ID; nil where no endpoint is attached
	// size is the side of the link matrix: the directed links between
	// addresses below it (every node attached, every address a partition
	// named) are the matrix's, any other is a stray (see link).
	size int
	// links[from][to] is the matrix link from -> to, for the to's below
	// len(links[from]): a row is made only as far as calls from that node
	// reach (see link), so a client node that calls three servers keeps
	// three links, not one per node of the run (kv/SnapshotRecoverManyClients3B
	// makes 63 client nodes, and their full matrix was 3% of its allocation).
	links [][]link
	// cut has bit to set of row from (cutRow) when the matrix link
	// from -> to is down (partition.go): every row is a full bitset of the
	// matrix's side, words long, and the rows are one array, so that
	// LinkUp, asked about every message several times, reads one word
	// where rows of their own cost it a row's header first.
	cut   []uint64
	words int // the length of a row of cut: (size+63)/64
	// cutSome is false while every bit of cut is known to be clear (no link
	// was cut since the network began or last healed): LinkUp, asked about
	// every message several times, then need not read the matrix, as in a
	// run that never cuts a link.
	cutSome bool
	stray   map[[2]int]*link
	free    sim.FreeList[*call] // call records nothing refers to any more (see call.refs)
	reqs    sim.Slab[Request]   // newRequest's Requests
	// spareReqs are the Requests recycling handlers responded to (see
	// HandleRequestRecycled), for newRequest.
	spareReqs sim.FreeList[*Request]
	stats     Stats
	methods   []*method // by index (method.idx), in order of first use
	byName    map[string]*method
	tr        tracer // what the trace needs remembered; untouched unless tracing
}

// link is one directed link's calls: how many were sent on it, and the
// random stream they draw their fates from (whether it is up is its bit of
// Network.cut). Each call's stream is keyed by the link and
// the call's sequence number on that link, so the fates of calls on one link
// do not depend on how much traffic other links carried: removing a fault
// that changes traffic between nodes 3 and 4 leaves every loss, delay and
// duplicate between nodes 0 and 1 as it was, which is what lets a failing
// plan be shrunk one action at a time.
type link struct {
	seq  uint64   // calls sent on the link so far
	rand sim.Rand // keyed by (from, to); each call's stream is keyed from it by seq
}

// method is what the network keeps per RPC method: its trace labels and
// CallProc's wait reason, built once rather than per call, its call count,
// and its index into the methods and every endpoint's handlers.
type method struct {
	name                                string
	req, rep, fail, timeout, poll, wait string
	calls                               int
	idx                                 int
}

// New returns a network on w with every link up, no faults (Reliable
// conditions) and the latency of one datacenter (Datacenter), unless an
// option says otherwise: New(w, ZeroDelay()) is labrpc's network, on which
// messages take no time.
func New(w *sim.World, opts ...Option) *Network {
	n := &Network{w: w, rand: w.Rand("netsim"), cond: Reliable(), lat: Datacenter(), byName: map[string]*method{}}
	for _, o := range opts {
		o(n)
	}
	w.OnCrash(n.crashed)
	if w.Tracing() {
		w.Logf(nil, "net latency %s", n.lat)
	}
	return n
}

// World returns the network's world.
func (n *Network) World() *sim.World { return n.w }

// SetConditions replaces the network's fault rates.
func (n *Network) SetConditions(c Conditions) {
	n.cond = c
	if n.w.Tracing() {
		n.w.Mark(sim.Mark{Kind: sim.MarkLink, Text: "net conditions " + c.String()})
	}
}

// Conditions returns the current fault rates.
func (n *Network) Conditions() Conditions { return n.cond }

// SetReliable switches between labrpc's reliable and unreliable rates (delay,
// loss and duplication), keeping the fail delay, the long reordering of
// replies and the long holds and late duplicates of requests as they are.
func (n *Network) SetReliable(reliable bool) {
	c := Unreliable()
	if reliable {
		c = Reliable()
	}
	c.FailDelay, c.LongReordering = n.cond.FailDelay, n.cond.LongReordering
	c.LongDelayRequest, c.LateDuplicate = n.cond.LongDelayRequest, n.cond.LateDuplicate
	n.SetConditions(c)
}

// SetLongReordering turns labrpc's long reordering of replies on or off.
func (n *Network) SetLongReordering(on bool) {
	c := n.cond
	c.LongReordering = on
	n.SetConditions(c)
}

// Attach gives node an endpoint. Handlers are per instance: a crash removes
// them, and the node's boot registers them again.
func (n *Network) Attach(node *sim.Node) *Endpoint {
	for len(n.eps) <= node.ID {
		n.eps = append(n.eps, nil)
	}
	if n.eps[node.ID] != nil {
		panic(fmt.Sprintf("netsim: node %s attached twice", node.Name))
	}
	ep := &Endpoint{net: n, node: node}
	n.eps[node.ID] = ep
	n.grow(node.ID + 1)
	return ep
}

// Endpoint returns the endpoint of node id, or nil.
func (n *Network) Endpoint(id int) *Endpoint {
	if id < 0 || id >= len(n.eps) {
		return nil
	}
	return n.eps[id]
}

// grow makes the link matrix's side at least size.
func (n *Network) grow(size int) {
	if size <= n.size {
		return
	}
	if words := (size + 63) / 64; words != n.words { // longer rows: lay them out anew
		cut := make([]uint64, n.size*words, size*words)
		for from := range n.size {
			copy(cut[from*words:], n.cutRow(from))
		}
		n.cut, n.words = cut, words
	}
	for ; n.size < size; n.size++ {
		n.cut = append(n.cut, make([]uint64, n.words)...)
		n.links = append(n.links, nil)
	}
}

// cutRow is the row of cut of the links from node from.
func (n *Network) cutRow(from int) []uint64 {
	return n.cut[from*n.words : (from+1)*n.words]
}

// growRow makes the links from -> k for every k up to to that the row of
// from lacks, and returns the row.
func (n *Network) growRow(from, to int) []link {
	row := n.links[from]
	for k := len(row); k <= to; k++ {
		row = append(row, link{rand: *n.rand.Keyed(linkKey(from, k))})
	}
	n.links[from] = row
	return row
}

func linkKey(from, to int) uint64 { return uint64(uint32(from))<<32 | uint64(uint32(to)) }

// link returns the directed link from -> to. A call to an address no node
// was ever attached at gets a link of its own, outside the matrix, so that a
// stray address cannot grow it.
func (n *Network) link(from, to int) *link {
	if uint(from) < uint(n.size) && uint(to) < uint(n.size) {
		row := n.links[from]
		if to >= len(row) {
			row = n.growRow(from, to)
		}
		return &row[to]
	}
	k := [2]int{from, to}
	l, ok := n.stray[k]
	if !ok {
		if n.stray == nil {
			n.stray = map[[2]int]*link{}
		}
		l = &link{rand: *n.rand.Keyed(linkKey(from, to))}
		n.stray[k] = l
	}
	return l
}

func (n *Network) crashed(node *sim.Node) {
	if ep := n.Endpoint(node.ID); ep != nil {
		clear(ep.handlers)
		n.serverCrashed(ep)
	}
	if n.w.Tracing() {
		n.tr.crashed(n.w, node)
	}
}

// scanMethods is how many methods method looks through before it asks the
// map: a system has a handful, and comparing a constant name with the
// (usually identical) string it was registered under is cheaper than hashing
// it.
const scanMethods = 8

// method returns the record of method name, made on first use.
func (n *Network) method(name string) *method {
	if len(n.methods) <= scanMethods {
		for _, m := range n.methods {
			if m.name == name {
				return m
			}
		}
	} else if m, ok := n.byName[name]; ok {
		return m
	}
	if len(n.methods) == maxMethods {
		panic(fmt.Sprintf("netsim: more than %d RPC methods", maxMethods)) // Request.tag has room for no more
	}
	m := &method{name: name, req: "req " + name, rep: "rep " + name, fail: "fail " + name,
		timeout: "timeout " + name, poll: "poll " + name, wait: "reply to " + name, idx: len(n.methods)}
	n.methods = append(n.methods, m)
	n.byName[name] = m
	return m
}

// failAfter draws the delay after which a call that cannot be delivered is
// reported failed.
func (n *Network) failAfter(r *sim.Rand) time.Duration {
	if n.cond.FailDelay <= 0 {
		return 0
	}
	return time.Duration(r.Int64N(int64(n.cond.FailDelay)))
}
