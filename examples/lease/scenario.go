package lease

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Probes: the states a sweep must reach for its passing runs to mean
// something. A sweep that never hands a lease over at expiry never tested
// the drift margin; one that never fences a stale write never tested the
// fence.
var (
	probeHandoffAtExpiry = sim.NewProbe("example/lease-handoff-at-expiry",
		"the lock server granted the lease after the previous holder's ran out (not released)")
	probeRestartGrace = sim.NewProbe("example/lease-restart-grace",
		"a restarted lock server held back a grant until any lease of its previous instance was over")
	probeGrantTooLate = sim.NewProbe("example/lease-grant-arrived-expired",
		"a grant reached its client after the lease, counted from the request, was over")
	probeLeaseRanOut = sim.NewProbe("example/lease-ran-out-mid-job",
		"a client stopped writing because its lease ran out by its own clock")
	probeStaleRejected = sim.NewProbe("example/lease-stale-token-fenced",
		"the storage refused a write whose token was older than one it had applied")
	probeHalted = sim.NewProbe("example/lease-halted-on-corrupt-state",
		"a lock server or storage node restarted with a corrupt state file and refused to serve")
)

// Node indices in the cluster, which are also the fault plan's target
// indices: a plan's "node 0" is the lock server.
const (
	serverIndex  = 0
	storageIndex = 1
	clients      = 3
)

// Cluster is one run's world: the lock server, the storage service and the
// clients, every one a target of the fault plan.
type Cluster struct {
	World   *sim.World
	Net     *netsim.Network
	Nodes   []*sim.Node // lockserver, storage, client1..client3
	Checker *Checker
	Plan    faults.Plan
}

// BaseNetwork is the network's fault conditions when nothing is wrong:
// none. Its latency is netsim.New's default, a datacenter's
// (netsim.Datacenter: 0.1-0.4 ms one way per link, jitter, now and then a
// message 1-10 ms slower), on requests and replies alike, so a crash or a
// clock can land between a request and what it causes. Fault plans restore
// these conditions when they heal.
func BaseNetwork() netsim.Conditions { return netsim.Reliable() }

// NewCluster builds the nodes, starts them, and installs the fault plan the
// run's options ask for over [0, faultWindow).
func NewCluster(w *sim.World, cfg Config, faultWindow time.Duration) (*Cluster, error) {
	c := &Cluster{World: w, Net: netsim.New(w), Checker: &Checker{}}
	obs := worldObserver{w, c.Checker}
	add := func(name string, boot func(n *sim.Node, ep *netsim.Endpoint) any) {
		var ep *netsim.Endpoint
		n := w.AddNode(name, func(n *sim.Node) { n.Instance = boot(n, ep) })
		ep = c.Net.Attach(n)
		c.Nodes = append(c.Nodes, n)
	}
	add("lockserver", func(n *sim.Node, ep *netsim.Endpoint) any { return bootServer(n, ep, cfg, obs) })
	add("storage", func(n *sim.Node, ep *netsim.Endpoint) any { return bootStore(n, ep, cfg, obs) })
	server, storage := c.Nodes[serverIndex].ID, c.Nodes[storageIndex].ID
	for i := 1; i <= clients; i++ {
		add(fmt.Sprintf("client%d", i), func(n *sim.Node, ep *netsim.Endpoint) any {
			return bootClient(n, ep, cfg, obs, server, storage)
		})
	}
	for _, n := range c.Nodes {
		w.Start(n)
	}
	plan, err := faults.FromOptions(w, faults.Shape{Nodes: len(c.Nodes), Duration: faultWindow, Base: BaseNetwork()})
	if err != nil {
		return nil, err
	}
	c.Plan = plan
	return c, faults.Install(faults.Target{World: w, Net: c.Net, Nodes: c.Nodes}, plan)
}

// checkDurable is the end-of-run check: the storage's state file holds the
// last write it acknowledged, or a later one. A storage node that found its
// state corrupt and refused to serve is not judged: the disk lost data the
// node had made durable, which no system survives alone, and it said so
// rather than serve older data.
func (c *Cluster) checkDurable() error {
	n := c.Nodes[storageIndex]
	if s, ok := n.Instance.(*store); ok && s.halted {
		return nil
	}
	b, ok := n.Disk.ReadFile(dataFile)
	if !ok {
		return c.Checker.Durable(0, 0)
	}
	fields, err := decode(b, 4)
	if err != nil {
		return sim.Checkf(CheckDurable, "the storage's state file is damaged although the storage serves: %v", err)
	}
	return c.Checker.Durable(fields[0], fields[1])
}

// Main returns the Main of a lease scenario with the given config: faults
// for 10 s, then 2 s more of work on a healed cluster.
func Main(cfg Config) func(p *sim.Proc) error {
	return func(p *sim.Proc) error {
		const faultWindow = 10 * time.Second
		c, err := NewCluster(p.World(), cfg, faultWindow)
		if err != nil {
			return err
		}
		p.World().AtEnd(CheckDurable, c.checkDurable)
		p.Sleep(faultWindow)
		// Liveness: the plan has healed everything by now, so within a
		// grace period, a lease and a few writes, some client must store
		// a write again.
		healed := c.Checker.Applies()
		p.Sleep(2 * time.Second)
		if c.Checker.Applies() == healed && !c.halted() {
			return sim.Checkf(CheckProgress, "no write was stored in the 2 s after the faults ended at %v (%d before)", faultWindow, healed)
		}
		return nil
	}
}

// halted reports whether the lock server or the storage refuses to serve,
// having found its synced state corrupt: then nothing can make progress
// until an operator restores it, and no liveness is promised.
func (c *Cluster) halted() bool {
	if s, ok := c.Nodes[serverIndex].Instance.(*lockServer); ok && s.halted {
		return true
	}
	s, ok := c.Nodes[storageIndex].Instance.(*store)
	return ok && s.halted
}

func init() {
	for _, sc := range []struct{ name, profile, what string }{
		{"example/Lease", "crashes", "crashes of any node, two at most at once"},
		{"example/LeaseUnreliable", "unreliable-plus", "lost, long-delayed and late-duplicated messages (unreliable-plus)"},
		{"example/LeaseSwarm", "swarm", "the swarm profile: clock drift and jumps, pauses, partitions, storage faults"},
	} {
		sim.Register(sim.Scenario{
			Name:        sc.name,
			Description: "example system: a lease lock with fencing tokens under " + sc.what,
			Faults:      sc.profile,
			Main:        Main(Config{}),
		})
	}
}
