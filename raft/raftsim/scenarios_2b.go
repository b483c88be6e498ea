package raftsim

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func init() {
	register2B()
}

func register2B() {
	for _, s := range []def{
		{Name: "raft/BasicAgree2B", Run: basicAgree2B,
			Description: "6.824 TestBasicAgree2B: 3 peers agree on 3 commands at indexes 1, 2, 3"},
		{Name: "raft/RPCBytes2B", Run: rpcBytes2B,
			Description: "6.824 TestRPCBytes2B: each 5000-byte command is sent to each peer once (bytes <= 3*sent+50000)"},
		{Name: "raft/FailAgree2B", Run: failAgree2B,
			Description: "6.824 TestFailAgree2B: agreement despite a disconnected follower, which catches up on rejoining"},
		{Name: "raft/FailNoAgree2B", Run: failNoAgree2B,
			Description: "6.824 TestFailNoAgree2B: no commit without a majority; agreement after healing"},
		{Name: "raft/ConcurrentStarts2B", Run: concurrentStarts2B,
			Description: "6.824 TestConcurrentStarts2B: 5 concurrent Starts in one term all commit"},
		{Name: "raft/Rejoin2B", Run: rejoin2B,
			Description: "6.824 TestRejoin2B: a partitioned leader's uncommitted entries are overwritten when it rejoins"},
		{Name: "raft/Backup2B", Run: backup2B,
			Description: "6.824 TestBackup2B: a leader backs up quickly over 50 divergent entries (fast backup)"},
		{Name: "raft/Count2B", Run: count2B,
			Description: "6.824 TestCount2B: RPC counts for an election, 11 agreements and 1 s idle stay within bounds"},
	} {
		register(s)
	}
}

// procGroup joins processes as the originals' WaitGroup joins
// goroutines: Go spawns one, Wait blocks the caller until every one has
// returned (or been killed by a failing check). Only one process runs at a
// time, so the counter needs no lock.
type procGroup struct {
	w       *sim.World
	running int
	wake    func()
}

func newProcGroup(w *sim.World) *procGroup { return &procGroup{w: w} }

// Go runs fn as a new world-level process.
func (g *procGroup) Go(name string, fn func(q *sim.Proc)) {
	g.running++
	g.w.Spawn(nil, name, func(q *sim.Proc) {
		defer g.done()
		fn(q)
	})
}

func (g *procGroup) done() {
	g.running--
	if g.running == 0 && g.wake != nil {
		wake := g.wake
		g.wake = nil
		wake()
	}
}

// Wait blocks p until every process started with Go has returned.
func (g *procGroup) Wait(p *sim.Proc) {
	if g.running == 0 {
		return
	}
	p.Suspend("procGroup members to finish", func(resume func()) { g.wake = resume })
}

// randInt is the originals' Int() of math/rand: a non-negative int from the
// scenario's seeded stream.
func randInt(r *sim.Rand) int { return int(r.Uint64() >> 1) }

// randString fills b as the originals' randstring(len(b)): printable bytes, uniform over
// the 64 letters of base64, as the original's base64 encoding of random bytes makes them.
// Like base64 it takes six random bits a letter, ten letters from each draw: a draw for
// each letter made drawing a fifth of raft/RPCBytes2B's CPU, with its 5,000-byte
// commands. The caller allocates b, so that a command that does not outlive the caller
// can stay on its stack (the core copies what it is proposed).
func randString(r *sim.Rand, b []byte) {
	// Ten letters a draw, two at a time from a table of the 4,096 pairs (twelve bits of the
	// draw, the low six the first letter), into a fixed-size window of b: the pairs do not
	// wait on one another and the bounds are checked once a draw. Letter by letter,
	// shifting the draw and counting its letters, took 6-8 µs for 5,000 bytes; a letter
	// from each of ten shifts, 3-3.5 µs (13% of raft/RPCBytes2B's instructions).
	for ; len(b) >= 10; b = b[10:] {
		x := r.Uint64()
		w := (*[10]byte)(b)
		binary.LittleEndian.PutUint16(w[0:], base64Pairs[x&4095])
		binary.LittleEndian.PutUint16(w[2:], base64Pairs[x>>12&4095])
		binary.LittleEndian.PutUint16(w[4:], base64Pairs[x>>24&4095])
		binary.LittleEndian.PutUint16(w[6:], base64Pairs[x>>36&4095])
		binary.LittleEndian.PutUint16(w[8:], base64Pairs[x>>48&4095])
	}
	if len(b) > 0 {
		x := r.Uint64()
		for j := range b {
			b[j] = base64Letters[x&63]
			x >>= 6
		}
	}
}

const base64Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// base64Pairs[v] is the letters of v's low and high six bits, the first in the low byte
// (randString). It is computed once and only read.
var base64Pairs = func() (t [4096]uint16) {
	for v := range t {
		t[v] = uint16(base64Letters[v&63]) | uint16(base64Letters[v>>6])<<8
	}
	return t
}()

func basicAgree2B(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	const iters = 3
	for index := 1; index < iters+1; index++ {
		if nd, _ := c.NCommitted(index); nd > 0 {
			c.Fatalf("some have committed before Start()")
		}
		if xindex := c.One(Cmd(index*100), servers, false); xindex != index {
			c.Fatalf("got index %d but expected %d", xindex, index)
		}
	}
	c.End()
	return nil
}

// rpcBytes2B checks, based on counting bytes of RPCs, that each command is
// sent to each peer just once.
func rpcBytes2B(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	r := p.World().Rand("raft/RPCBytes2B")
	c.One(Cmd(99), servers, false)
	bytes0 := c.BytesTotal()
	const iters = 10
	sent := 0
	for index := 2; index < iters+2; index++ {
		cmd := make([]byte, 5000)
		randString(r, cmd)
		if xindex := c.One(cmd, servers, false); xindex != index {
			c.Fatalf("got index %d but expected %d", xindex, index)
		}
		sent += len(cmd)
	}
	got := c.BytesTotal() - bytes0
	expected := servers * sent
	if got > expected+50000 {
		c.Fatalf("too many RPC bytes; got %d, expected %d", got, expected)
	}
	c.End()
	return nil
}

func failAgree2B(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	c.One(Cmd(101), servers, false)
	// Disconnect one follower from the network.
	leader := c.CheckOneLeader()
	c.Disconnect((leader + 1) % servers)
	// The leader and remaining follower should be able to agree despite the
	// disconnected follower.
	c.One(Cmd(102), servers-1, false)
	c.One(Cmd(103), servers-1, false)
	p.Sleep(RaftElectionTimeout)
	c.One(Cmd(104), servers-1, false)
	c.One(Cmd(105), servers-1, false)
	// Re-connect.
	c.Connect((leader + 1) % servers)
	// The full set of servers should preserve previous agreements, and be
	// able to agree on new commands.
	c.One(Cmd(106), servers, true)
	p.Sleep(RaftElectionTimeout)
	c.One(Cmd(107), servers, true)
	c.End()
	return nil
}

func failNoAgree2B(p *sim.Proc, setup Setup) error {
	const servers = 5
	c := NewCluster(p, setup, servers, false, false)
	c.One(Cmd(10), servers, false)
	// 3 of 5 followers disconnect.
	leader := c.CheckOneLeader()
	c.Disconnect((leader + 1) % servers)
	c.Disconnect((leader + 2) % servers)
	c.Disconnect((leader + 3) % servers)
	index, _, ok := c.Peer(leader).Start(Cmd(20))
	if !ok {
		c.Fatalf("leader rejected Start()")
	}
	if index != 2 {
		c.Fatalf("expected index 2, got %d", index)
	}
	p.Sleep(2 * RaftElectionTimeout)
	if n, _ := c.NCommitted(index); n > 0 {
		c.Fatalf("%d committed but no majority", n)
	}
	// Repair.
	c.Connect((leader + 1) % servers)
	c.Connect((leader + 2) % servers)
	c.Connect((leader + 3) % servers)
	// The disconnected majority may have chosen a leader from among their own
	// ranks, forgetting index 2.
	leader2 := c.CheckOneLeader()
	index2, _, ok2 := c.Peer(leader2).Start(Cmd(30))
	if !ok2 {
		c.Fatalf("leader2 rejected Start()")
	}
	if index2 < 2 || index2 > 3 {
		c.Fatalf("unexpected index %d", index2)
	}
	c.One(Cmd(1000), servers, true)
	c.End()
	return nil
}

func concurrentStarts2B(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	success := false
loop:
	for try := 0; try < 5; try++ {
		if try > 0 {
			// Give the solution some time to settle.
			p.Sleep(3 * time.Second)
		}
		leader := c.CheckOneLeader()
		_, term, ok := c.Peer(leader).Start(Cmd(1))
		if !ok {
			// Leader moved on really quickly.
			continue
		}
		// The original starts 5 goroutines that call Start at once; here 5
		// processes at the same virtual instant, in a seeded order.
		const iters = 5
		var is []int // indexes of the accepted Starts, in the order they returned
		g := newProcGroup(p.World())
		for ii := 0; ii < iters; ii++ {
			g.Go("start", func(q *sim.Proc) {
				peer := c.Peer(leader)
				if peer == nil {
					return
				}
				i, term1, ok := peer.Start(Cmd(100 + ii))
				if term1 != term || !ok {
					return
				}
				is = append(is, i)
			})
		}
		g.Wait(p)
		for j := 0; j < servers; j++ {
			if t, _ := c.Peer(j).GetState(); t != term {
				// Term changed: can't expect low RPC counts.
				continue loop
			}
		}
		var cmds [][]byte
		for _, index := range is {
			cmd := c.Wait(index, servers, term)
			if cmd == nil {
				// Peers have moved on to later terms, so we can't expect all
				// Start()s to have succeeded.
				continue loop
			}
			cmds = append(cmds, cmd)
		}
		for ii := 0; ii < iters; ii++ {
			x := Cmd(100 + ii)
			found := false
			for _, cmd := range cmds {
				found = found || bytes.Equal(cmd, x)
			}
			if !found {
				c.Fatalf("cmd %s missing in %q", x, cmds)
			}
		}
		success = true
		break
	}
	if !success {
		c.Fatalf("term changed too often")
	}
	c.End()
	return nil
}

func rejoin2B(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	c.One(Cmd(101), servers, true)
	// Leader network failure.
	leader1 := c.CheckOneLeader()
	c.Disconnect(leader1)
	// Make the old leader try to agree on some entries.
	c.Peer(leader1).Start(Cmd(102))
	c.Peer(leader1).Start(Cmd(103))
	c.Peer(leader1).Start(Cmd(104))
	// New leader commits, also for index=2.
	c.One(Cmd(103), 2, true)
	// New leader network failure.
	leader2 := c.CheckOneLeader()
	c.Disconnect(leader2)
	// Old leader connected again.
	c.Connect(leader1)
	c.One(Cmd(104), 2, true)
	// All together now.
	c.Connect(leader2)
	c.One(Cmd(105), servers, true)
	c.End()
	return nil
}

func backup2B(p *sim.Proc, setup Setup) error {
	const servers = 5
	c := NewCluster(p, setup, servers, false, false)
	r := p.World().Rand("raft/Backup2B")
	c.One(Cmd(randInt(r)), servers, true)
	// Put leader and one follower in a partition.
	leader1 := c.CheckOneLeader()
	c.Disconnect((leader1 + 2) % servers)
	c.Disconnect((leader1 + 3) % servers)
	c.Disconnect((leader1 + 4) % servers)
	// Submit lots of commands that won't commit.
	for i := 0; i < 50; i++ {
		c.Peer(leader1).Start(Cmd(randInt(r)))
	}
	p.Sleep(RaftElectionTimeout / 2)
	c.Disconnect((leader1 + 0) % servers)
	c.Disconnect((leader1 + 1) % servers)
	// Allow the other partition to recover.
	c.Connect((leader1 + 2) % servers)
	c.Connect((leader1 + 3) % servers)
	c.Connect((leader1 + 4) % servers)
	// Lots of successful commands to the new group.
	for i := 0; i < 50; i++ {
		c.One(Cmd(randInt(r)), 3, true)
	}
	// Now another partitioned leader and one follower.
	leader2 := c.CheckOneLeader()
	other := (leader1 + 2) % servers
	if leader2 == other {
		other = (leader2 + 1) % servers
	}
	c.Disconnect(other)
	// Lots more commands that won't commit.
	for i := 0; i < 50; i++ {
		c.Peer(leader2).Start(Cmd(randInt(r)))
	}
	p.Sleep(RaftElectionTimeout / 2)
	// Bring the original leader back to life.
	for i := 0; i < servers; i++ {
		c.Disconnect(i)
	}
	c.Connect((leader1 + 0) % servers)
	c.Connect((leader1 + 1) % servers)
	c.Connect(other)
	// Lots of successful commands to the new group.
	for i := 0; i < 50; i++ {
		c.One(Cmd(randInt(r)), 3, true)
	}
	// Now everyone.
	for i := 0; i < servers; i++ {
		c.Connect(i)
	}
	c.One(Cmd(randInt(r)), servers, true)
	c.End()
	return nil
}

func count2B(p *sim.Proc, setup Setup) error {
	const servers = 3
	c := NewCluster(p, setup, servers, false, false)
	r := p.World().Rand("raft/Count2B")
	// RPCs dispatched to the peers' handlers, summed: labrpc's GetCount.
	rpcs := func() (n int) {
		for j := 0; j < servers; j++ {
			n += c.RPCCount(j)
		}
		return n
	}
	leader := c.CheckOneLeader()
	total1 := rpcs()
	if total1 > 30 || total1 < 1 {
		c.Fatalf("too many or few RPCs (%d) to elect initial leader", total1)
	}
	var total2 int
	success := false
loop:
	for try := 0; try < 5; try++ {
		if try > 0 {
			// Give the solution some time to settle.
			p.Sleep(3 * time.Second)
		}
		leader = c.CheckOneLeader()
		total1 = rpcs()
		const iters = 10
		starti, term, ok := c.Peer(leader).Start(Cmd(1))
		if !ok {
			// Leader moved on really quickly.
			continue
		}
		var cmds [][]byte
		for i := 1; i < iters+2; i++ {
			x := Cmd(r.IntN(1 << 31))
			cmds = append(cmds, x)
			index1, term1, ok := c.Peer(leader).Start(x)
			if term1 != term || !ok {
				// Term changed while starting, or no longer the leader.
				continue loop
			}
			if starti+i != index1 {
				c.Fatalf("Start() failed")
			}
		}
		for i := 1; i < iters+1; i++ {
			cmd := c.Wait(starti+i, servers, term)
			if cmd == nil {
				// Term changed: try again.
				continue loop
			}
			if !bytes.Equal(cmd, cmds[i-1]) {
				c.Fatalf("wrong value %s committed for index %d; expected %q", cmd, starti+i, cmds)
			}
		}
		failed := false
		total2 = 0
		for j := 0; j < servers; j++ {
			if t, _ := c.Peer(j).GetState(); t != term {
				// Term changed: can't expect low RPC counts. Keep going to
				// update total2.
				failed = true
			}
			total2 += c.RPCCount(j)
		}
		if failed {
			continue loop
		}
		if total2-total1 > (iters+1+3)*3 {
			c.Fatalf("too many RPCs (%d) for %d entries", total2-total1, iters)
		}
		success = true
		break
	}
	if !success {
		c.Fatalf("term changed too often")
	}
	p.Sleep(RaftElectionTimeout)
	total3 := rpcs()
	if total3-total2 > 3*20 {
		c.Fatalf("too many RPCs (%d) for 1 second of idleness", total3-total2)
	}
	c.End()
	return nil
}
