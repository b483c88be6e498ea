package kvsim

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func genericDef(stem string, g generic) def {
	g.name = "kv/" + stem
	if g.servers == 0 {
		g.servers = 5
	}
	return def{Scenario: sim.Scenario{
		Name:        g.name,
		Description: g.description("Test" + stem),
		MaxTime:     scenarioMaxTime,
	}, main: g.run}
}

func register3A(add func(def)) {
	add(genericDef("Basic3A", generic{clients: 1, maxraftstate: -1}))
	add(genericDef("Concurrent3A", generic{clients: 5, maxraftstate: -1}))
	add(genericDef("Unreliable3A", generic{clients: 5, unreliable: true, maxraftstate: -1}))
	add(def{Scenario: sim.Scenario{
		Name:        "kv/UnreliableOneKey3A",
		Description: "6.824 TestUnreliableOneKey3A: 5 clerks x 10 Appends to one key on 3 servers, unreliable; all 50 present once, in each clerk's order",
		MaxTime:     scenarioMaxTime,
	}, main: unreliableOneKey3A})
	add(def{Scenario: sim.Scenario{
		Name:        "kv/OnePartition3A",
		Description: "6.824 TestOnePartition3A: progress in the majority; a minority Put and Get do not complete within 1 s; the Put completes within 3 s of healing",
		MaxTime:     scenarioMaxTime,
	}, main: onePartition3A})
	add(genericDef("ManyPartitionsOneClient3A", generic{clients: 1, partitions: true, maxraftstate: -1}))
	add(genericDef("ManyPartitionsManyClients3A", generic{clients: 5, partitions: true, maxraftstate: -1}))
	add(genericDef("PersistOneClient3A", generic{clients: 1, crash: true, maxraftstate: -1}))
	add(genericDef("PersistConcurrent3A", generic{clients: 5, crash: true, maxraftstate: -1}))
	add(genericDef("PersistConcurrentUnreliable3A", generic{clients: 5, unreliable: true, crash: true, maxraftstate: -1}))
	add(genericDef("PersistPartition3A", generic{clients: 5, crash: true, partitions: true, maxraftstate: -1}))
	add(genericDef("PersistPartitionUnreliable3A", generic{clients: 5, unreliable: true, crash: true, partitions: true, maxraftstate: -1}))
	add(genericDef("PersistPartitionUnreliableLinearizable3A", generic{servers: 7, clients: 15, unreliable: true, crash: true,
		partitions: true, maxraftstate: -1, linearizable: true}))
}

// unreliableOneKey3A: 5 clerks append 10 values each to one key over an unreliable
// network; checkConcurrentAppends on the result.
func unreliableOneKey3A(p *sim.Proc, cfg Config) error {
	const (
		nservers = 3
		nclient  = 5
		upto     = 10
	)
	w := p.World()
	c := NewCluster(p, cfg, "kv/UnreliableOneKey3A", nservers, true, -1)
	ck := c.MakeClient(c.All())
	c.Put(ck, "k", "")
	finished := 0
	for me := 0; me < nclient; me++ {
		me := me
		myck := c.MakeClient(c.All())
		w.Spawn(myck.Node(), myck.Node().Name, func(q *sim.Proc) {
			for n := 0; n < upto; n++ {
				myck.Append(q, "k", appendValue(me, n))
			}
			finished++
		})
	}
	if !waitBy(p, func() bool { return finished == nclient }, TestTimeout) {
		c.Fatalf("kv/liveness", "%d of %d clients not done within the original's %v test limit", nclient-finished, nclient, TestTimeout)
	}
	counts := make([]int, nclient)
	for i := range counts {
		counts[i] = upto
	}
	vx := c.Get(ck, "k")
	if err := CheckConcurrentAppends(vx, counts); err != nil {
		c.Fatalf("kv/appends", "%v", err)
	}
	return nil
}

// flag is a one-shot event a process can wait for with a timeout, the select of the
// original's channel waits.
type flag struct {
	set  bool
	wake func()
}

func (f *flag) Set() {
	f.set = true
	if f.wake != nil {
		f.wake()
	}
}

// waitAny blocks p until one of the flags is set or timeout passes; it reports whether
// one was set.
func waitAny(p *sim.Proc, timeout time.Duration, flags ...*flag) bool {
	any := func() bool {
		for _, f := range flags {
			if f.set {
				return true
			}
		}
		return false
	}
	if any() {
		return true
	}
	p.Suspend("a flag or the timeout", func(resume func()) {
		for _, f := range flags {
			f.wake = resume
		}
		p.World().Schedule(timeout, "timeout "+p.Name, resume)
	})
	for _, f := range flags {
		f.wake = nil
	}
	return any()
}

// onePartition3A: the leader and one server in a minority, clerks pinned to each side.
func onePartition3A(p *sim.Proc, cfg Config) error {
	const nservers = 5
	w := p.World()
	c := NewCluster(p, cfg, "kv/OnePartition3A", nservers, false, -1)
	ck := c.MakeClient(c.All())
	c.Put(ck, "1", "13")

	// Test: progress in majority.
	p1, p2 := c.MakePartition()
	c.Partition(p1, p2)
	ckp1 := c.MakeClient(p1)  // connect ckp1 to p1
	ckp2a := c.MakeClient(p2) // connect ckp2a to p2
	ckp2b := c.MakeClient(p2) // connect ckp2b to p2
	c.Put(ckp1, "1", "14")
	c.Check(ckp1, "1", "14")

	// Test: no progress in minority.
	var done0, done1 flag
	w.Spawn(ckp2a.Node(), ckp2a.Node().Name, func(q *sim.Proc) {
		ckp2a.Put(q, "1", "15")
		done0.Set()
	})
	w.Spawn(ckp2b.Node(), ckp2b.Node().Name, func(q *sim.Proc) {
		ckp2b.Get(q, "1") // different clerk in p2
		done1.Set()
	})
	if waitAny(p, time.Second, &done0, &done1) {
		if done0.set {
			c.Fatalf("kv/minority", "Put in minority completed")
		}
		c.Fatalf("kv/minority", "Get in minority completed")
	}
	c.Check(ckp1, "1", "14")
	c.Put(ckp1, "1", "16")
	c.Check(ckp1, "1", "16")

	// Test: completion after heal.
	c.ConnectAll()
	c.ConnectClient(ckp2a, c.All())
	c.ConnectClient(ckp2b, c.All())
	p.Sleep(ElectionTimeout)
	if !waitAny(p, 30*100*time.Millisecond, &done0) {
		c.Fatalf("kv/heal", "Put did not complete")
	}
	if !done1.set { // the original's non-blocking select
		c.Fatalf("kv/heal", "Get did not complete")
	}
	c.Check(ck, "1", "15")
	return nil
}
