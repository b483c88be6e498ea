package register

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Cluster is a primary (node 0), backups and one client, with a fault plan on
// the replicas.
type Cluster struct {
	World    *sim.World
	Net      *netsim.Network
	Replicas []*sim.Node
	Client   *sim.Node
	Plan     faults.Plan
}

// NewCluster builds the world of one run and installs the fault plan the
// run's options ask for over faultWindow.
func NewCluster(w *sim.World, replicas int, cfg Config, faultWindow time.Duration) (*Cluster, error) {
	c := &Cluster{World: w, Net: netsim.New(w)}
	var backups []int
	for i := 1; i < replicas; i++ {
		backups = append(backups, i)
	}
	for i := 0; i < replicas; i++ {
		var ep *netsim.Endpoint
		var mine []int
		if i == 0 {
			mine = backups
		}
		n := w.AddNode(fmt.Sprintf("replica%d", i), func(n *sim.Node) {
			n.Instance = boot(n, ep, cfg, mine)
		})
		ep = c.Net.Attach(n)
		c.Replicas = append(c.Replicas, n)
	}
	c.Client = w.AddNode("client", func(*sim.Node) {})
	c.Net.Attach(c.Client)
	for _, n := range w.Nodes() {
		w.Start(n)
	}
	plan, err := faults.FromOptions(w, faults.Shape{Nodes: replicas, Duration: faultWindow, Base: netsim.Reliable()})
	if err != nil {
		return nil, err
	}
	c.Plan = plan
	return c, faults.Install(faults.Target{World: w, Net: c.Net, Nodes: c.Replicas}, plan)
}

// history tracks what a single sequential client may read. Writes carry
// increasing versions; a write whose call failed is in doubt: it may still be
// applied later, but never after a newer version was applied, because the
// primary applies only newer versions.
type history struct {
	acked   int   // version of the newest write known applied
	inDoubt []int // versions of failed writes newer than acked
}

func (h *history) allowed(v int) bool {
	if v == h.acked {
		return true
	}
	for _, d := range h.inDoubt {
		if v == d {
			return true
		}
	}
	return false
}

// settle records that version v was applied: older in-doubt writes can no
// longer be.
func (h *history) settle(v int) {
	h.acked = v
	kept := h.inDoubt[:0]
	for _, d := range h.inDoubt {
		if d > v {
			kept = append(kept, d)
		}
	}
	h.inDoubt = kept
}

func value(version int) string { return fmt.Sprintf("v%d", version) }

// workload writes and reads through the primary for d, checking every read.
// It is the scenario's check: a read must return the latest acknowledged
// write or a newer write that is still in doubt.
func workload(p *sim.Proc, c *Cluster, d time.Duration) error {
	ep := c.Net.Endpoint(c.Client.ID)
	r := p.World().Rand("register/client")
	h := &history{}
	version := 0
	deadline := p.Now() + d
	for p.Now() < deadline {
		if r.Chance(0.5) {
			version++
			rep, ok := ep.CallProc(p, 0, "Register.Put", &putArgs{Version: version, Value: value(version)}, 500*time.Millisecond)
			if ok && rep.(*reply).OK {
				h.settle(version)
			} else {
				h.inDoubt = append(h.inDoubt, version)
			}
		} else {
			rep, ok := ep.CallProc(p, 0, "Register.Get", &getArgs{}, 500*time.Millisecond)
			if ok && rep.(*reply).OK { // a halted replica refuses
				got := rep.(*reply)
				if !h.allowed(got.Version) || (got.Version > 0 && got.Value != value(got.Version)) {
					return sim.Checkf("register/reads", "read version %d (%q), but the last acknowledged write was version %d (in doubt: %v)",
						got.Version, got.Value, h.acked, h.inDoubt)
				}
				h.settle(got.Version)
			}
		}
		p.Sleep(r.Duration(time.Millisecond, 10*time.Millisecond))
	}
	return nil
}

// Main returns the Main of a register scenario with the given config.
func Main(cfg Config) func(p *sim.Proc) error {
	return func(p *sim.Proc) error {
		const faultWindow = 10 * time.Second
		c, err := NewCluster(p.World(), 3, cfg, faultWindow)
		if err != nil {
			return err
		}
		return workload(p, c, faultWindow+2*time.Second)
	}
}

func init() {
	sim.Register(sim.Scenario{
		Name:        "example/Register",
		Description: "example system: a primary-backup register under crashes; reads see every acknowledged write",
		Faults:      "crashes",
		Main:        Main(Config{}),
	})
	sim.Register(sim.Scenario{
		Name:        "example/RegisterSwarm",
		Description: "example system: the register under the swarm fault profile (storage faults included)",
		Faults:      "swarm",
		Main:        Main(Config{}),
	})
}
