package kvsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// ElectionTimeout is the 6.824 kvraft harness's electionTimeout: the sleeps it takes to
// let a new term start.
const ElectionTimeout = 1 * time.Second

// Network latency of the KV scenarios' reliable network. labrpc's reliable network adds
// no delay of its own: a message takes the tens of microseconds of real time its channels
// and goroutines cost, and the originals' clients were paced by that and by the students'
// Raft. In virtual time a zero delay would let a client loop forever at one instant, so
// the reliable network here takes labrpc's one latency figure, the 0-26 ms of its
// unreliable network, without the loss: reliable and unreliable scenarios differ only in
// loss, as in the original. A client then completes an operation every 25-30 ms: a
// 5-client generic test makes about 2,600 operations (the handout's TestConcurrent3A run:
// 3,666), a 1-client test about 550 (TestBasic3A: 2,435). Shorter delays make more
// operations per run but cost wall time in proportion, and seeds are cheap; this keeps
// the whole 3A/3B suite under half a second per seed.
const (
	NetDelayMin = 0
	NetDelayMax = netsim.UnreliableDelay
)

// Cluster is the 6.824 kvraft test harness (config.go) in virtual time: n servers on a
// simulated network, clerks on client nodes of their own connected to chosen servers, the
// Raft checkers on every server, and the history of every clerk call. Its blocking helpers
// block the scenario's process P and fail the run, as the original's t.Fatalf does.
type Cluster struct {
	P            *sim.Proc
	W            *sim.World
	Net          *netsim.Network
	N            int
	Nodes        []*sim.Node // the servers' nodes, by server index
	MaxRaftState int
	Checker      *rafthost.Checker
	// History is every completed clerk call of the run, for CheckLinearizableAtEnd: nil
	// unless the scenario called RecordHistory before making its clerks. A run that
	// does not check linearizability keeps no history: it is the largest structure a
	// run holds (kilobyte values that Gets returned), and the garbage collector would
	// scan it all the run long for nothing.
	History *History
	// Scenario names the run, for the linearizability failure's visualization file.
	Scenario string

	servers    []*kv.Server
	addrs      []int
	clerks     []*Clerk
	nextClient int64
	rand       *sim.Rand
	reliable   netsim.Conditions
	cfg        Config
}

// NewCluster builds and starts n connected servers, like make_config(n, unreliable,
// maxraftstate), configured by cfg.
func NewCluster(p *sim.Proc, cfg Config, scenario string, n int, unreliable bool, maxraftstate int) *Cluster {
	w := p.World()
	c := &Cluster{P: p, W: w, Net: netsim.New(w, netsim.ZeroDelay()), N: n, MaxRaftState: maxraftstate,
		Scenario: scenario, servers: make([]*kv.Server, n),
		rand: w.Rand("kv/harness"), cfg: cfg}
	c.Checker = rafthost.NewChecker(w, n)
	c.reliable = netsim.Reliable()
	c.reliable.DelayMin, c.reliable.DelayMax = NetDelayMin, NetDelayMax
	for i := 0; i < n; i++ {
		i := i
		node := w.AddNode(fmt.Sprintf("kv%d", i), func(node *sim.Node) { c.boot(i, node) })
		c.Net.Attach(node)
		c.Nodes = append(c.Nodes, node)
		c.addrs = append(c.addrs, node.ID)
	}
	for i := 0; i < n; i++ {
		w.Start(c.Nodes[i])
	}
	c.ConnectAll()
	c.SetReliable(!unreliable)
	if cfg.OnCluster != nil {
		cfg.OnCluster(c)
	}
	return c
}

func (c *Cluster) boot(i int, node *sim.Node) {
	cfg := kv.ServerConfig{ID: i, Peers: c.addrs, MaxRaftState: c.MaxRaftState, Observer: c.Checker,
		Applied:         c.applied,
		UnsafeLocalGets: c.cfg.UnsafeLocalGets, UnsafeVolatileDedup: c.cfg.UnsafeVolatileDedup}
	c.servers[i] = kv.StartServer(node, c.Net.Endpoint(node.ID), cfg)
	node.Instance = c.servers[i]
}

// applied notes, for the linearizability check's witness order (see witness), the log
// index at which the operation a clerk is waiting for took effect, as a server that
// answers it OK reports (kv.ServerConfig.Applied). A Get answered twice (its first reply
// lost, its retry applied again) read at each index, and the clerk records the value of
// the reply it receives, usually the last: the last known index is kept. It is harness
// bookkeeping, like the Raft checkers' observers: it changes nothing in the run.
func (c *Cluster) applied(client, seq int64, index int) {
	if c.History == nil || index == 0 || client < 1 || client > int64(len(c.clerks)) {
		return
	}
	ck := c.clerks[client-1] // MakeClient numbers clerks from 1, in order
	if ck.busy && ck.args.Seq == seq {
		ck.pending.at = index
	}
}

// Server returns server i's running instance, or nil while it is down.
func (c *Cluster) Server(i int) *kv.Server {
	if !c.Nodes[i].Up() {
		return nil
	}
	return c.servers[i]
}

// All returns every server index.
func (c *Cluster) All() []int {
	all := make([]int, c.N)
	for i := range all {
		all[i] = i
	}
	return all
}

// SetReliable switches between the reliable network (NetDelayMin-Max, no loss) and
// labrpc's unreliable one (0-26 ms, 10% of requests and of replies lost).
func (c *Cluster) SetReliable(reliable bool) {
	cond := netsim.Unreliable()
	if reliable {
		cond = c.reliable
	}
	c.Net.SetConditions(cond)
}

// link sets both directions between servers i and j.
func (c *Cluster) link(i, j int, up bool) {
	c.Net.SetLink(c.addrs[i], c.addrs[j], up)
	c.Net.SetLink(c.addrs[j], c.addrs[i], up)
}

// connect joins server i with the servers in to; disconnect cuts it from them. Client
// links are not touched, as in the original (a clerk's links are its own).
func (c *Cluster) connect(i int, to []int) {
	for _, j := range to {
		c.link(i, j, true)
	}
}

func (c *Cluster) disconnect(i int, from []int) {
	for _, j := range from {
		if j != i {
			c.link(i, j, false)
		}
	}
}

// ConnectAll connects every server with every other.
func (c *Cluster) ConnectAll() {
	for i := 0; i < c.N; i++ {
		c.connect(i, c.All())
	}
}

// Partition splits the servers into p1 and p2, connected inside each side.
func (c *Cluster) Partition(p1, p2 []int) {
	for _, i := range p1 {
		c.disconnect(i, p2)
		c.connect(i, p1)
	}
	for _, i := range p2 {
		c.disconnect(i, p1)
		c.connect(i, p2)
	}
	c.W.Logf(nil, "kv partition %v %v", p1, p2)
}

// ShutdownServer disconnects server i from the others and crashes it: calls in flight to
// it fail (no positive reply can come from the dead instance), and its storage keeps the
// Raft state and snapshot it synced.
func (c *Cluster) ShutdownServer(i int) {
	c.disconnect(i, c.All())
	c.W.Crash(c.Nodes[i])
}

// StartServer restarts server i from its storage, still disconnected from the other
// servers (the caller connects it); its clerks' links are as they were.
func (c *Cluster) StartServer(i int) {
	c.W.Restart(c.Nodes[i])
}

// Leader returns a server that thinks it is the leader (the lowest index), like the
// original's Leader().
func (c *Cluster) Leader() (bool, int) {
	for i := 0; i < c.N; i++ {
		if s := c.Server(i); s != nil {
			if _, leader := s.Peer().GetState(); leader {
				return true, i
			}
		}
	}
	return false, 0
}

// MakePartition is make_partition: a majority without the leader, and a minority holding
// one other server and the current leader.
func (c *Cluster) MakePartition() (p1, p2 []int) {
	_, l := c.Leader()
	p1 = make([]int, c.N/2+1)
	p2 = make([]int, c.N/2)
	j := 0
	for i := 0; i < c.N; i++ {
		if i != l {
			if j < len(p1) {
				p1[j] = i
			} else {
				p2[j-len(p1)] = i
			}
			j++
		}
	}
	p2[len(p2)-1] = l
	return p1, p2
}

// LogSize is the largest persisted Raft state of a running server (6.824's LogSize, the
// persister's RaftStateSize).
func (c *Cluster) LogSize() int {
	size := 0
	for i := 0; i < c.N; i++ {
		if s := c.Server(i); s != nil {
			size = max(size, s.Peer().StateSize())
		}
	}
	return size
}

// SnapshotSize is the largest persisted snapshot of a running server.
func (c *Cluster) SnapshotSize() int {
	size := 0
	for i := 0; i < c.N; i++ {
		if s := c.Server(i); s != nil {
			size = max(size, s.Peer().SnapshotSize())
		}
	}
	return size
}

// MakeClient is makeClient(to): a clerk on a client node of its own, holding every server
// in a shuffled order but connected only to the servers in to.
func (c *Cluster) MakeClient(to []int) *Clerk {
	k := len(c.clerks)
	node := c.W.AddNode(fmt.Sprintf("clerk%d", k), func(*sim.Node) {})
	ep := c.Net.Attach(node)
	c.W.Start(node)
	c.nextClient++
	ck := &Clerk{ID: c.nextClient, node: node, ep: ep, hist: c.History, histID: k}
	ck.servers = append([]int(nil), c.addrs...)
	c.rand.Shuffle(len(ck.servers), func(i, j int) { ck.servers[i], ck.servers[j] = ck.servers[j], ck.servers[i] }) //lockstep:allow (seeded stream, not math/rand)
	c.clerks = append(c.clerks, ck)
	c.ConnectClient(ck, to)
	return ck
}

// ConnectClient connects ck to exactly the servers in to.
func (c *Cluster) ConnectClient(ck *Clerk, to []int) {
	in := make([]bool, c.N)
	for _, i := range to {
		in[i] = true
	}
	for i, addr := range c.addrs {
		c.Net.SetLink(ck.node.ID, addr, in[i])
		c.Net.SetLink(addr, ck.node.ID, in[i])
	}
}

// Clerks returns every clerk made so far.
func (c *Cluster) Clerks() []*Clerk { return c.clerks }

// Ops is the number of completed clerk operations.
func (c *Cluster) Ops() int {
	n := 0
	for _, ck := range c.clerks {
		n += ck.ops
	}
	return n
}

// RecordHistory makes the clerks made from now on record their calls in History, which
// CheckLinearizableAtEnd checks. Call it before making any clerk.
func (c *Cluster) RecordHistory() {
	if len(c.clerks) > 0 {
		panic("kv: RecordHistory after clerks were made: their calls would be missing from the history")
	}
	c.History = &History{}
}

// On runs fn as a process on ck's node and blocks the scenario's process until it returns:
// the harness's own calls (the original's Get/Put/check on its clerk ck).
func (c *Cluster) On(ck *Clerk, fn func(q *sim.Proc)) {
	c.P.Suspend("clerk "+ck.node.Name+" to finish", func(resume func()) {
		c.W.Spawn(ck.node, ck.node.Name, func(q *sim.Proc) {
			fn(q)
			resume()
		})
	})
}

// Get is the harness's Get through ck.
func (c *Cluster) Get(ck *Clerk, key string) string {
	var v string
	c.On(ck, func(q *sim.Proc) { v = ck.Get(q, key) })
	return v
}

// Put is the harness's Put through ck.
func (c *Cluster) Put(ck *Clerk, key, value string) {
	c.On(ck, func(q *sim.Proc) { ck.Put(q, key, value) })
}

// Check is check(): Get key through ck and require value.
func (c *Cluster) Check(ck *Clerk, key, value string) {
	if v := c.Get(ck, key); v != value {
		c.Fatalf("kv/value", "get(%v): %s", key, diff(value, v))
	}
}

// Fatalf fails the scenario from its script, naming the check.
func (c *Cluster) Fatalf(check, format string, args ...any) { c.P.Fatalf(check, format, args...) }

// CheckLogSize is the original's log-trimming assertion: LogSize <= 8*maxraftstate.
func (c *Cluster) CheckLogSize() {
	if sz := c.LogSize(); sz > 8*c.MaxRaftState {
		c.Fatalf("kv/log-size", "logs were not trimmed (%v > 8*%v)", sz, c.MaxRaftState)
	}
}

// CheckLinearizableAtEnd checks the whole history with porcupine once the run ends (an
// end check: it runs outside the simulation, after every event). The scenario must have
// called RecordHistory before it made its clerks.
func (c *Cluster) CheckLinearizableAtEnd() {
	if c.History == nil {
		panic("kv: CheckLinearizableAtEnd without RecordHistory: no history to check")
	}
	c.W.AtEnd("kv/linearizability", func() error {
		return checkLinearizable(c.W, c.History.prepared(), c.History.Operations, c.Scenario, c.W.Seed(), c.cfg.Bounds)
	})
}

// InstallFaults applies the fault plan the run's options ask for (simrun -faults) to the
// servers over [now, now+d), and returns it (its times count from now).
func (c *Cluster) InstallFaults(d time.Duration) faults.Plan {
	plan, err := faults.FromOptions(c.W, faults.Shape{Nodes: c.N, Duration: d, Base: c.reliable})
	if err != nil {
		c.Fatalf("faults", "%w", err)
	}
	err = faults.Install(faults.Target{World: c.W, Net: c.Net, Nodes: c.Nodes, Leader: c.leaderNow}, plan)
	if err != nil {
		c.Fatalf("faults", "%w", err)
	}
	return plan
}

// leaderNow returns the leader of the highest term among running servers, or -1: the
// target of isolate-leader faults.
func (c *Cluster) leaderNow() int {
	best, bestTerm := -1, -1
	for i := 0; i < c.N; i++ {
		if s := c.Server(i); s != nil {
			if term, leader := s.Peer().GetState(); leader && term > bestTerm {
				best, bestTerm = i, term
			}
		}
	}
	return best
}

// waitBy polls cond every 10 ms until it holds or the virtual deadline passes, and reports
// whether it held.
func waitBy(p *sim.Proc, cond func() bool, deadline time.Duration) bool {
	timeout := deadline - p.Now()
	if timeout <= 0 {
		return cond()
	}
	return p.WaitUntil(cond, 10*time.Millisecond, timeout)
}
