package rsm

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft/rafthost"
	"github.com/lockstep-dst/lockstep/sim"
)

// counter is a state machine whose commands add their byte to a sum and whose result is
// the sum after the command.
type counter struct {
	sum     int
	applied int
}

func (c *counter) Apply(cmd []byte) any {
	c.applied++
	c.sum += int(cmd[0])
	return c.sum
}

func (c *counter) Snapshot() []byte { return binary.AppendUvarint(nil, uint64(c.sum)) }

func (c *counter) Restore(b []byte) error {
	v, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) {
		return fmt.Errorf("bad snapshot %x", b)
	}
	c.sum = int(v)
	return nil
}

type group struct {
	w       *sim.World
	net     *netsim.Network
	nodes   []*sim.Node
	rsms    []*RSM
	sms     []*counter
	checker *rafthost.Checker
}

// newGroup starts three replicas of a counter in a world of its own.
func newGroup(t *testing.T, seed uint64, maxraftstate int) *group {
	w := sim.NewWorld(sim.Options{Seed: seed, MaxTime: time.Minute})
	net := netsim.New(w)
	g := &group{w: w, net: net, rsms: make([]*RSM, 3), sms: make([]*counter, 3), checker: rafthost.NewChecker(w, 3)}
	var addrs []int
	for i := 0; i < 3; i++ {
		node := w.AddNode(fmt.Sprintf("r%d", i), func(node *sim.Node) {
			g.sms[i] = &counter{}
			g.rsms[i] = Start(node, net.Endpoint(node.ID), Config{ID: i, Peers: addrs, MaxRaftState: maxraftstate,
				Observer: g.checker, Name: "test"}, g.sms[i])
		})
		net.Attach(node)
		g.nodes = append(g.nodes, node)
		addrs = append(addrs, node.ID)
	}
	for _, n := range g.nodes {
		w.Start(n)
	}
	return g
}

func (g *group) leader() int {
	for i, r := range g.rsms {
		if g.nodes[i].Up() {
			if _, l := r.Peer().GetState(); l {
				return i
			}
		}
	}
	return -1
}

// submit proposes cmd on replica i from a process on its node and returns the answer.
func (g *group) submit(p *sim.Proc, i int, cmd byte) (res any, ok bool, answers int) {
	done := false
	g.w.Spawn(g.nodes[i], "submit", func(q *sim.Proc) {
		q.Suspend("the command to apply", func(resume func()) {
			g.rsms[i].Submit([]byte{cmd}, func(r any, o bool) {
				answers++
				res, ok = r, o
				resume()
			})
		})
		done = true
	})
	p.WaitUntil(func() bool { return done }, time.Millisecond, 0)
	return res, ok, answers
}

// TestSubmitAndSnapshots: commands submitted to the leader are answered once each with
// their result, a follower refuses at once, and after every replica restarts (from
// snapshots, maxraftstate being small) the state is what the commands made.
func TestSubmitAndSnapshots(t *testing.T) {
	g := newGroup(t, 1, 200)
	var fail error
	g.w.Spawn(nil, "test", func(p *sim.Proc) {
		defer g.w.Stop()
		p.WaitUntil(func() bool { return g.leader() >= 0 }, 10*time.Millisecond, 0)
		l := g.leader()
		want := 0
		for k := 1; k <= 40; k++ {
			want += k
			res, ok, answers := g.submit(p, l, byte(k))
			if !ok || res != want || answers != 1 {
				fail = fmt.Errorf("command %d: got %v ok=%v after %d answers, want %d", k, res, ok, answers, want)
				return
			}
		}
		follower := (l + 1) % 3
		if _, ok, answers := g.submit(p, follower, 1); ok || answers != 1 {
			fail = fmt.Errorf("a follower answered ok=%v (%d answers)", ok, answers)
			return
		}
		p.Sleep(time.Second) // every replica applies everything
		for i := range g.nodes {
			if g.rsms[i].Peer().SnapshotSize() == 0 {
				fail = fmt.Errorf("replica %d never snapshotted", i)
				return
			}
			g.w.Crash(g.nodes[i])
		}
		for i := range g.nodes {
			g.w.Restart(g.nodes[i])
		}
		p.WaitUntil(func() bool { return g.leader() >= 0 }, 10*time.Millisecond, 0)
		l = g.leader()
		if res, ok, _ := g.submit(p, l, 0); !ok || res != want {
			fail = fmt.Errorf("after restarting all: got %v ok=%v, want %d", res, ok, want)
			return
		}
		for i, sm := range g.sms {
			if sm.applied >= 40 {
				fail = fmt.Errorf("replica %d re-applied %d commands after restarting: its snapshot was not used", i, sm.applied)
				return
			}
		}
	})
	require.Nil(t, g.w.Run())
	require.NoError(t, fail)
}

// TestLostLeadershipFailsWaiters: a leader cut off from its majority answers ok=false to
// the command it accepted (within WaiterTimeout, or sooner when it learns of a new term),
// never leaving the request open.
func TestLostLeadershipFailsWaiters(t *testing.T) {
	g := newGroup(t, 2, -1)
	var fail error
	g.w.Spawn(nil, "test", func(p *sim.Proc) {
		defer g.w.Stop()
		p.WaitUntil(func() bool { return g.leader() >= 0 }, 10*time.Millisecond, 0)
		l := g.leader()
		// Cut the leader off both ways.
		for j := range g.nodes {
			if j != l {
				g.net.SetLink(g.nodes[l].ID, g.nodes[j].ID, false)
				g.net.SetLink(g.nodes[j].ID, g.nodes[l].ID, false)
			}
		}
		start := p.Now()
		_, ok, answers := g.submit(p, l, 7)
		if ok || answers != 1 {
			fail = fmt.Errorf("the cut-off leader answered ok=%v (%d answers)", ok, answers)
			return
		}
		if took := p.Now() - start; took > WaiterTimeout+WaiterTimeout/2 {
			fail = fmt.Errorf("answered after %v", took)
		}
	})
	require.Nil(t, g.w.Run())
	require.NoError(t, fail)
}
