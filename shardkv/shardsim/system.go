package shardsim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/shardkv/shardcheck"
	"github.com/lockstep-dst/lockstep/sim"
)

// Checks of the 4B scenarios, by name.
const (
	// CheckValue: a Get returned something other than what the script tracked.
	CheckValue = "shardkv/value"
	// CheckLogSize is checklogs(): Raft state <= 8*maxraftstate, or no snapshot at all
	// when maxraftstate is negative.
	CheckLogSize = "shardkv/log-size"
)

// System is the 6.824 shardkv test harness (shardkv/config.go) in virtual time: three
// controller servers, replica groups of n servers each (GIDs 100, 101, ...; server
// "server-<gid>-<i>"), clerks on client nodes of their own, and the Raft checkers on
// every Raft group. Its blocking helpers block the scenario's process P.
type System struct {
	P       *sim.Proc
	W       *sim.World
	Net     *netsim.Network
	Ctrlers *Ctrlers
	N       int // servers per group
	Groups  []*Group
	// MaxRaftState is the groups' snapshot threshold (negative: never).
	MaxRaftState int

	// Checker runs the shardkv checks (package shardcheck) on every command every
	// replica applies.
	Checker *shardcheck.Checker

	mck      *ctrler.Clerk // the harness's own controller clerk (join, leave)
	server   func(*shardkv.ServerConfig)
	probes   *probes
	addrs    map[string]int
	clerks   []*shardkv.Clerk
	rand     *sim.Rand
	unrel    bool
	reliable netsim.Conditions
}

// Group is one replica group.
type Group struct {
	GID     int
	Nodes   []*sim.Node
	Names   []string
	Checker *rafthost.Checker
	servers []*shardkv.Server
	addrs   []int
}

// Server returns server i's running instance, or nil while it is down.
func (g *Group) Server(i int) *shardkv.Server {
	if !g.Nodes[i].Up() {
		return nil
	}
	return g.servers[i]
}

// NewSystem is make_config(t, n, unreliable, maxraftstate) with ngroups groups.
func NewSystem(p *sim.Proc, setup Setup, ngroups, n int, unreliable bool, maxraftstate int) *System {
	w := p.World()
	net := reliableNet(w)
	s := &System{P: p, W: w, Net: net, N: n, MaxRaftState: maxraftstate, addrs: map[string]int{},
		rand: w.Rand("shardkv/harness"), reliable: net.Conditions(), Checker: shardcheck.New(), server: setup.Server, probes: newProbes(w)}
	s.Ctrlers = NewCtrlers(p, net, 3, setup)
	for gi := 0; gi < ngroups; gi++ {
		g := &Group{GID: 100 + gi, servers: make([]*shardkv.Server, n)}
		g.Checker = rafthost.NewChecker(w, n)
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("server-%d-%d", g.GID, i)
			node := w.AddNode(name, func(node *sim.Node) { s.boot(g, i, node) })
			net.Attach(node)
			g.Nodes, g.Names, g.addrs = append(g.Nodes, node), append(g.Names, name), append(g.addrs, node.ID)
			s.addrs[name] = node.ID
		}
		s.Groups = append(s.Groups, g)
	}
	for _, g := range s.Groups {
		for _, node := range g.Nodes {
			w.Start(node)
		}
	}
	s.mck = s.Ctrlers.MakeClient()
	s.SetReliable(!unreliable)
	if setup.System != nil {
		setup.System(s)
	}
	return s
}

func (s *System) boot(g *Group, i int, node *sim.Node) {
	cfg := shardkv.ServerConfig{
		GID: g.GID, ID: i, Peers: g.addrs, MaxRaftState: s.MaxRaftState, Ctrlers: s.Ctrlers.Addrs(),
		Addr: s.addr, Observer: g.Checker,
		OnApply: func(a shardkv.Applied) {
			s.probes.applied(a)
			if err := s.Checker.Applied(a); err != nil {
				check := "shardkv/checker"
				var v *shardcheck.Violation
				if errors.As(err, &v) {
					check = "shardkv/" + v.Check
				}
				s.W.Fail(check, node, err)
			}
		},
	}
	if s.server != nil {
		s.server(&cfg)
	}
	g.servers[i] = shardkv.StartServer(node, s.Net.Endpoint(node.ID), cfg)
	node.Instance = g.servers[i]
}

// addr is make_end: the address of the server named name.
func (s *System) addr(name string) int {
	a, ok := s.addrs[name]
	if !ok {
		panic(fmt.Sprintf("shardkv: no server named %q", name))
	}
	return a
}

// SetReliable switches the whole network (controllers and groups) between the reliable
// conditions and labrpc's unreliable ones, as net.Reliable does.
func (s *System) SetReliable(reliable bool) {
	if reliable {
		s.Net.SetConditions(s.reliable)
	} else {
		s.Net.SetConditions(netsim.Unreliable())
	}
}

// ShutdownServer crashes server i of group gi: calls in flight to it fail, and its
// storage keeps what it synced.
func (s *System) ShutdownServer(gi, i int) { s.W.Crash(s.Groups[gi].Nodes[i]) }

// StartServer restarts server i of group gi from its storage.
func (s *System) StartServer(gi, i int) { s.W.Restart(s.Groups[gi].Nodes[i]) }

// ShutdownGroup crashes every server of group gi.
func (s *System) ShutdownGroup(gi int) {
	for i := 0; i < s.N; i++ {
		s.ShutdownServer(gi, i)
	}
}

// StartGroup restarts every server of group gi.
func (s *System) StartGroup(gi int) {
	for i := 0; i < s.N; i++ {
		s.StartServer(gi, i)
	}
}

// Join is join(gi): group gi joins with its servers.
func (s *System) Join(gi int) { s.Joinm(gi) }

// Joinm is joinm(gis): the groups join in one Join.
func (s *System) Joinm(gis ...int) {
	m := map[int][]string{}
	for _, gi := range gis {
		m[s.Groups[gi].GID] = s.Groups[gi].Names
	}
	s.Ctrlers.Join(s.mck, m)
}

// Leave is leave(gi).
func (s *System) Leave(gi int) { s.Leavem(gi) }

// Leavem is leavem(gis): the groups leave in one Leave.
func (s *System) Leavem(gis ...int) {
	var gids []int
	for _, gi := range gis {
		gids = append(gids, s.Groups[gi].GID)
	}
	s.Ctrlers.Leave(s.mck, gids)
}

// MakeClient is makeClient(): a clerk on a client node of its own, with a controller
// clerk beside it.
func (s *System) MakeClient() *shardkv.Clerk {
	k := len(s.clerks)
	node := s.W.AddNode(fmt.Sprintf("clerk%d", k), func(*sim.Node) {})
	ep := s.Net.Attach(node)
	s.W.Start(node)
	// Controller clerk ids 1..: the Ctrlers' own clerks count from 1 too, but a shardkv
	// clerk only queries, which the controller does not deduplicate.
	mck := ctrler.NewClerk(ep, int64(1000+k), s.Ctrlers.Addrs())
	ck := shardkv.NewClerk(ep, int64(k+1), mck, s.addr)
	s.clerks = append(s.clerks, ck)
	return ck
}

// Clerks returns every clerk made so far.
func (s *System) Clerks() []*shardkv.Clerk { return s.clerks }

// On runs fn as a process on ck's node and blocks the scenario's process until it returns.
func (s *System) On(ck *shardkv.Clerk, fn func(q *sim.Proc)) {
	s.P.Suspend("clerk "+ck.Node().Name+" to finish", func(resume func()) {
		s.W.Spawn(ck.Node(), ck.Node().Name, func(q *sim.Proc) {
			fn(q)
			resume()
		})
	})
}

// Get, Put and Append are the script's own calls through ck.
func (s *System) Get(ck *shardkv.Clerk, key string) string {
	var v string
	s.On(ck, func(q *sim.Proc) { v = ck.Get(q, key) })
	return v
}

func (s *System) Put(ck *shardkv.Clerk, key, value string) {
	s.On(ck, func(q *sim.Proc) { ck.Put(q, key, value) })
}

func (s *System) Append(ck *shardkv.Clerk, key, value string) {
	s.On(ck, func(q *sim.Proc) { ck.Append(q, key, value) })
}

// Check is check(t, ck, key, value).
func (s *System) Check(ck *shardkv.Clerk, key, value string) {
	if v := s.Get(ck, key); v != value {
		s.P.Fatalf(CheckValue, "Get(%v): expected:\n%v\nreceived:\n%v", key, value, v)
	}
}

// CheckLogs is checklogs(): every server's Raft state within 8*maxraftstate, or, with
// maxraftstate negative, no snapshot anywhere. Down servers count too (their storage).
func (s *System) CheckLogs() {
	for _, g := range s.Groups {
		for i, srv := range g.servers {
			raft, snap := srv.Peer().StateSize(), srv.Peer().SnapshotSize()
			if s.MaxRaftState >= 0 && raft > 8*s.MaxRaftState {
				s.P.Fatalf(CheckLogSize, "persister.RaftStateSize() %v, but maxraftstate %v (%s)", raft, s.MaxRaftState, g.Names[i])
			}
			if s.MaxRaftState < 0 && snap > 0 {
				s.P.Fatalf(CheckLogSize, "maxraftstate is -1, but snapshot is non-empty (%s)", g.Names[i])
			}
		}
	}
}

// RandString is randstring(n): n random letters from the run's seeded stream.
func (s *System) RandString(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	if n == 1 {
		// A letter of the constant, not a new string: Challenge1Concurrent4B's appenders
		// draw thousands of one-letter values.
		i := s.rand.IntN(len(letters))
		return letters[i : i+1]
	}
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(letters[s.rand.IntN(len(letters))])
	}
	return b.String()
}

// limit fails the run with CheckLiveness if it is still going TestTimeout from now,
// naming the clerks' pending operations.
func (s *System) limit() {
	s.W.AfterFunc(TestTimeout, "shardkv test limit", func() {
		pending := ""
		for _, ck := range s.clerks {
			if p := ck.Pending(); p != "" {
				pending += "; " + p
			}
		}
		s.W.Fail(CheckLiveness, nil, fmt.Errorf("test not finished within the original's %v limit%s", TestTimeout, pending))
	})
}
