package netsim_test

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// msg is a test message: an ID and a payload whose bytes are its size.
type msg struct {
	ID   int
	Data []byte
}

func (m *msg) Size() int { return 8 + len(m.Data) }

func (m *msg) Clone() any { return &msg{ID: m.ID, Data: append([]byte(nil), m.Data...)} }

// cluster is a world with n nodes, each with an endpoint; boot registers the
// handlers of each instance.
type cluster struct {
	w     *sim.World
	net   *netsim.Network
	nodes []*sim.Node
	eps   []*netsim.Endpoint
}

func newCluster(seed uint64, n int, boot func(i int, ep *netsim.Endpoint)) *cluster {
	return newClusterWith(sim.Options{Seed: seed, MaxTime: time.Hour}, n, boot)
}

// newClusterWith is newCluster on a world with options opts.
func newClusterWith(opts sim.Options, n int, boot func(i int, ep *netsim.Endpoint)) *cluster {
	c := &cluster{w: sim.NewWorld(opts)}
	c.net = netsim.New(c.w, netsim.ZeroDelay())
	for i := 0; i < n; i++ {
		i := i
		node := c.w.AddNode(fmt.Sprint("n", i), func(*sim.Node) {
			if boot != nil {
				boot(i, c.eps[i])
			}
		})
		c.nodes = append(c.nodes, node)
		c.eps = append(c.eps, c.net.Attach(node))
	}
	for _, node := range c.nodes {
		c.w.Start(node)
	}
	return c
}

// echo answers every call at once with a copy of its args.
func echo(req *netsim.Request, respond func(netsim.Message)) {
	respond(req.Args.(*msg))
}

// outcome is what a caller saw of one call.
type outcome struct {
	reply *msg
	ok    bool
	at    time.Duration // when the caller was told
	times int           // how many times done ran
}

// call sends args from node from to node to and records the outcome.
func (c *cluster) call(from, to int, method string, args netsim.Message) *outcome {
	o := &outcome{}
	c.eps[from].Call(to, method, args, func(reply any, ok bool) {
		o.times++
		o.ok, o.at = ok, c.w.Now()
		if reply != nil {
			o.reply = reply.(*msg)
		}
	})
	return o
}
