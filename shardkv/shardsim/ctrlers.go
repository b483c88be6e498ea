// Package shardsim is the harness and the scenarios of the sharded key/value store (the
// 6.824 Lab 4 tests in virtual time): the controller cluster of 4A (Ctrlers) with its
// scenarios shardkv/CtrlerBasic4A and shardkv/CtrlerMulti4A, and the whole system of 4B
// (System: three controller servers and groups 100, 101, 102 of three servers each) with
// the 4B scenarios (shardkv/StaticShards4B ...). They register by name when the package
// loads; the services themselves (shardkv, shardkv/ctrler) register nothing.
package shardsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/sim"
)

// Network latency of the reliable network, as kv's scenarios take it (see
// kv.NetDelayMax): labrpc's reliable network adds no delay of its own, and in virtual time
// a zero delay would let a client loop forever at one instant; the reliable network here
// takes labrpc's one latency figure, the 0-26 ms of its unreliable network, without loss.
const (
	NetDelayMin = 0
	NetDelayMax = netsim.UnreliableDelay
)

// TestTimeout is the original's per-test limit (120 s): a scenario whose steps have not
// finished by then fails as the original would, by its checkTimeout.
const TestTimeout = 120 * time.Second

// Setup is what a run of a scenario is configured with, beyond its seed. Scenarios
// register with the zero Setup plus the original's constants; tests run the same
// scenario bodies with other setups (never through package variables).
type Setup struct {
	// CtrlerMaxRaftState is the controller servers' snapshot threshold; 0 means the
	// original's (no snapshots, -1).
	CtrlerMaxRaftState int
	// Ctrlers, if set, sees the controller cluster once it is built (tests).
	Ctrlers func(*Ctrlers)
	// System, if set, sees the 4B system once it is built (tests).
	System func(*System)
	// Server, if set, adjusts every group server's configuration (the deliberately
	// broken servers of broken_test.go).
	Server func(*shardkv.ServerConfig)
}

func (s Setup) ctrlerMaxRaftState() int {
	if s.CtrlerMaxRaftState == 0 {
		return -1
	}
	return s.CtrlerMaxRaftState
}

// Ctrlers is the 6.824 shardmaster test harness (shardmaster/config.go) in virtual time:
// n controller servers on a simulated network, clerks on client nodes of their own, and
// the Raft checkers on the controller group. Its blocking helpers block the scenario's
// process P; its assertions fail the run, as the original's t.Fatalf does.
type Ctrlers struct {
	P       *sim.Proc
	W       *sim.World
	Net     *netsim.Network
	N       int
	Nodes   []*sim.Node // the servers' nodes, by server index
	Checker *rafthost.Checker

	maxraftstate int
	servers      []*ctrler.Server
	addrs        []int
	clerks       []*ctrler.Clerk
	rand         *sim.Rand
}

// NewCtrlers builds and starts n connected controller servers on net, like the
// shardmaster's make_config(n, unreliable=false).
func NewCtrlers(p *sim.Proc, net *netsim.Network, n int, setup Setup) *Ctrlers {
	w := p.World()
	c := &Ctrlers{P: p, W: w, Net: net, N: n, maxraftstate: setup.ctrlerMaxRaftState(),
		servers: make([]*ctrler.Server, n), rand: w.Rand("shardkv/ctrlers")}
	c.Checker = rafthost.NewChecker(w, n)
	for i := 0; i < n; i++ {
		node := w.AddNode(fmt.Sprintf("ctrler%d", i), func(node *sim.Node) { c.boot(i, node) })
		net.Attach(node)
		c.Nodes = append(c.Nodes, node)
		c.addrs = append(c.addrs, node.ID)
	}
	for i := 0; i < n; i++ {
		w.Start(c.Nodes[i])
	}
	c.ConnectAll()
	if setup.Ctrlers != nil {
		setup.Ctrlers(c)
	}
	return c
}

// reliableNet returns a network with the scenarios' reliable conditions.
func reliableNet(w *sim.World) *netsim.Network {
	net := netsim.New(w, netsim.ZeroDelay())
	cond := netsim.Reliable()
	cond.DelayMin, cond.DelayMax = NetDelayMin, NetDelayMax
	net.SetConditions(cond)
	return net
}

func (c *Ctrlers) boot(i int, node *sim.Node) {
	cfg := ctrler.ServerConfig{ID: i, Peers: c.addrs, MaxRaftState: c.maxraftstate, Observer: c.Checker}
	c.servers[i] = ctrler.StartServer(node, c.Net.Endpoint(node.ID), cfg)
	node.Instance = c.servers[i]
}

// Server returns server i's running instance, or nil while it is down.
func (c *Ctrlers) Server(i int) *ctrler.Server {
	if !c.Nodes[i].Up() {
		return nil
	}
	return c.servers[i]
}

// Addrs returns the servers' addresses (node ids), by server index.
func (c *Ctrlers) Addrs() []int { return c.addrs }

func (c *Ctrlers) link(i, j int, up bool) {
	c.Net.SetLink(c.addrs[i], c.addrs[j], up)
	c.Net.SetLink(c.addrs[j], c.addrs[i], up)
}

// ConnectAll connects every server with every other.
func (c *Ctrlers) ConnectAll() {
	for i := 0; i < c.N; i++ {
		for j := 0; j < c.N; j++ {
			c.link(i, j, true)
		}
	}
}

// ShutdownServer disconnects server i from the others and crashes it: calls in flight to
// it fail (no positive reply can come from the dead instance), and its storage keeps the
// Raft state and snapshot it synced.
func (c *Ctrlers) ShutdownServer(i int) {
	for j := 0; j < c.N; j++ {
		if j != i {
			c.link(i, j, false)
		}
	}
	c.W.Crash(c.Nodes[i])
}

// StartServer restarts server i from its storage, still disconnected from the others
// (the caller connects it, as the original's StartServer leaves to ConnectAll).
func (c *Ctrlers) StartServer(i int) { c.W.Restart(c.Nodes[i]) }

// MakeClient is makeClient(cfg.All()): a clerk on a client node of its own, holding every
// server in a shuffled order and connected to all of them.
func (c *Ctrlers) MakeClient() *ctrler.Clerk {
	k := len(c.clerks)
	node := c.W.AddNode(fmt.Sprintf("ctrlerclerk%d", k), func(*sim.Node) {})
	ep := c.Net.Attach(node)
	c.W.Start(node)
	servers := append([]int(nil), c.addrs...)
	c.rand.Shuffle(len(servers), func(i, j int) { servers[i], servers[j] = servers[j], servers[i] }) //lockstep:allow (seeded stream, not math/rand)
	ck := ctrler.NewClerk(ep, int64(k+1), servers)
	for _, addr := range c.addrs {
		c.Net.SetLink(node.ID, addr, true)
		c.Net.SetLink(addr, node.ID, true)
	}
	c.clerks = append(c.clerks, ck)
	return ck
}

// Clerks returns every clerk made so far.
func (c *Ctrlers) Clerks() []*ctrler.Clerk { return c.clerks }

// Ops is the number of operations the clerks completed.
func (c *Ctrlers) Ops() int {
	n := 0
	for _, ck := range c.clerks {
		n += ck.Ops()
	}
	return n
}

// On runs fn as a process on ck's node and blocks the scenario's process until it returns.
func (c *Ctrlers) On(ck *ctrler.Clerk, fn func(q *sim.Proc)) {
	c.P.Suspend("clerk "+ck.Node().Name+" to finish", func(resume func()) {
		c.W.Spawn(ck.Node(), ck.Node().Name, func(q *sim.Proc) {
			fn(q)
			resume()
		})
	})
}

// Parallel runs fn(i, q) for every clerk i of cks at once, each on its clerk's node, and
// blocks the scenario's process until all have returned (the original's goroutines and
// channel or WaitGroup).
func (c *Ctrlers) Parallel(cks []*ctrler.Clerk, fn func(i int, q *sim.Proc)) {
	left := len(cks)
	c.P.Suspend(fmt.Sprintf("%d clerks to finish", len(cks)), func(resume func()) {
		for i, ck := range cks {
			c.W.Spawn(ck.Node(), ck.Node().Name, func(q *sim.Proc) {
				fn(i, q)
				if left--; left == 0 {
					resume()
				}
			})
		}
	})
}

// Query is ck.Query from the scenario's process.
func (c *Ctrlers) Query(ck *ctrler.Clerk, num int) ctrler.Config {
	var cf ctrler.Config
	c.On(ck, func(q *sim.Proc) { cf = ck.Query(q, num) })
	return cf
}

// Join is ck.Join from the scenario's process.
func (c *Ctrlers) Join(ck *ctrler.Clerk, servers map[int][]string) {
	c.On(ck, func(q *sim.Proc) { ck.Join(q, servers) })
}

// Leave is ck.Leave from the scenario's process.
func (c *Ctrlers) Leave(ck *ctrler.Clerk, gids []int) {
	c.On(ck, func(q *sim.Proc) { ck.Leave(q, gids) })
}

// Move is ck.Move from the scenario's process.
func (c *Ctrlers) Move(ck *ctrler.Clerk, shard, gid int) {
	c.On(ck, func(q *sim.Proc) { ck.Move(q, shard, gid) })
}

// Fatalf fails the scenario from its script, naming the check.
func (c *Ctrlers) Fatalf(check, format string, args ...any) { c.P.Fatalf(check, format, args...) }
