// Package netsim is Lockstep's simulated network: endpoints on simulated
// nodes, request/reply RPC on virtual time, a latency model, loss,
// duplication, long reordering, symmetric and one-way partitions per directed
// link, and per-node and per-method counters. Where the 6.824 tests depend on
// labrpc's behaviour it behaves as labrpc does (see conditions.go, call.go).
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
	// Clone returns a deep copy sharing no memory with the original.
	Clone() any
}

// Network connects endpoints on the nodes of one world.
type Network struct {
	w       *sim.World
	rand    *sim.Rand
	cond    Conditions
	eps     []*Endpoint // by node ID; nil where no endpoint is attached
	down    [][]bool    // down[from][to]: directed link disabled
	stats   Stats
	methods map[string]*method
}

// method is what the network keeps per RPC method: its trace labels, built
// once rather than per call, and its call count.
type method struct {
	req, rep, fail, timeout, poll string
	calls                         int
}

// New returns a network on w with reliable conditions and every link up.
func New(w *sim.World) *Network {
	n := &Network{w: w, rand: w.Rand("netsim"), cond: Reliable(), methods: map[string]*method{}}
	w.OnCrash(n.crashed)
	return n
}

// World returns the network's world.
func (n *Network) World() *sim.World { return n.w }

// SetConditions replaces the network's fault rates.
func (n *Network) SetConditions(c Conditions) {
	n.cond = c
	n.w.Logf(nil, "net conditions %+v", c)
}

// Conditions returns the current fault rates.
func (n *Network) Conditions() Conditions { return n.cond }

// SetReliable switches between labrpc's reliable and unreliable rates,
// keeping the fail delay and long reordering as they are.
func (n *Network) SetReliable(reliable bool) {
	c := Unreliable()
	if reliable {
		c = Reliable()
	}
	c.FailDelay, c.LongReordering = n.cond.FailDelay, n.cond.LongReordering
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
	ep := &Endpoint{net: n, node: node, handlers: map[string]Handler{}}
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

func (n *Network) grow(size int) {
	for len(n.down) < size {
		n.down = append(n.down, nil)
	}
	for i := range n.down {
		for len(n.down[i]) < size {
			n.down[i] = append(n.down[i], false)
		}
	}
}

func (n *Network) crashed(node *sim.Node) {
	if ep := n.Endpoint(node.ID); ep != nil {
		ep.handlers = map[string]Handler{}
	}
}

func (n *Network) method(name string) *method {
	m, ok := n.methods[name]
	if !ok {
		m = &method{req: "req " + name, rep: "rep " + name, fail: "fail " + name,
			timeout: "timeout " + name, poll: "poll " + name}
		n.methods[name] = m
	}
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
