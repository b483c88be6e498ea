package kvsim

import (
	"strconv"

	"github.com/lockstep-dst/lockstep/sim"
)

// MaxRaftState3B is the 3B tests' maxraftstate.
const MaxRaftState3B = 1000

func register3B(add func(def)) {
	add(def{Scenario: sim.Scenario{
		Name:        "kv/SnapshotRPC3B",
		Description: "6.824 TestSnapshotRPC3B: a majority trims its log (LogSize <= 8*1000); the lagging server catches up by InstallSnapshot",
		MaxTime:     scenarioMaxTime,
	}, main: snapshotRPC3B})
	add(def{Scenario: sim.Scenario{
		Name:        "kv/SnapshotSize3B",
		Description: "6.824 TestSnapshotSize3B: 800 operations on one key; LogSize <= 8*1000 and snapshot <= 500 bytes",
		MaxTime:     scenarioMaxTime,
	}, main: snapshotSize3B})
	m := MaxRaftState3B
	add(genericDef("SnapshotRecover3B", generic{clients: 1, crash: true, maxraftstate: m}))
	add(genericDef("SnapshotRecoverManyClients3B", generic{clients: 20, crash: true, maxraftstate: m}))
	add(genericDef("SnapshotUnreliable3B", generic{clients: 5, unreliable: true, maxraftstate: m}))
	add(genericDef("SnapshotUnreliableRecover3B", generic{clients: 5, unreliable: true, crash: true, maxraftstate: m}))
	add(genericDef("SnapshotUnreliableRecoverConcurrentPartition3B", generic{clients: 5, unreliable: true, crash: true,
		partitions: true, maxraftstate: m}))
	add(genericDef("SnapshotUnreliableRecoverConcurrentPartitionLinearizable3B", generic{servers: 7, clients: 15,
		unreliable: true, crash: true, partitions: true, maxraftstate: m, linearizable: true}))
}

// snapshotRPC3B: 50 Puts into the majority {0,1} while 2 is cut off; then {0,2} must make
// progress, which needs 2 to catch up from 0's snapshot.
func snapshotRPC3B(p *sim.Proc, cfg Config) error {
	const nservers = 3
	c := NewCluster(p, cfg, "kv/SnapshotRPC3B", nservers, false, MaxRaftState3B)
	ck := c.MakeClient(c.All())
	c.Put(ck, "a", "A")
	c.Check(ck, "a", "A")

	// A bunch of puts into the majority partition.
	c.Partition([]int{0, 1}, []int{2})
	{
		ck1 := c.MakeClient([]int{0, 1})
		for i := 0; i < 50; i++ {
			c.Put(ck1, strconv.Itoa(i), strconv.Itoa(i))
		}
		p.Sleep(ElectionTimeout)
		c.Put(ck1, "b", "B")
	}

	// The majority partition has thrown away most of its log entries.
	c.CheckLogSize()

	// A group that requires participation of the lagging server, so it has to catch up.
	c.Partition([]int{0, 2}, []int{1})
	{
		ck1 := c.MakeClient([]int{0, 2})
		c.Put(ck1, "c", "C")
		c.Put(ck1, "d", "D")
		c.Check(ck1, "a", "A")
		c.Check(ck1, "b", "B")
		c.Check(ck1, "1", "1")
		c.Check(ck1, "49", "49")
	}

	// Now everybody.
	c.Partition([]int{0, 1, 2}, []int{})
	c.Put(ck, "e", "E")
	c.Check(ck, "c", "C")
	c.Check(ck, "e", "E")
	c.Check(ck, "1", "1")
	return nil
}

// snapshotSize3B: 200 rounds of Put x=0, check, Put x=1, check; the snapshot holds one key
// and must stay small.
func snapshotSize3B(p *sim.Proc, cfg Config) error {
	const (
		nservers         = 3
		maxsnapshotstate = 500
	)
	c := NewCluster(p, cfg, "kv/SnapshotSize3B", nservers, false, MaxRaftState3B)
	ck := c.MakeClient(c.All())
	c.On(ck, func(q *sim.Proc) {
		for i := 0; i < 200; i++ {
			ck.Put(q, "x", "0")
			if v := ck.Get(q, "x"); v != "0" {
				q.Fatalf("kv/value", "get(x): expected:\n0\nreceived:\n%v", v)
			}
			ck.Put(q, "x", "1")
			if v := ck.Get(q, "x"); v != "1" {
				q.Fatalf("kv/value", "get(x): expected:\n1\nreceived:\n%v", v)
			}
		}
	})
	// The servers have thrown away most of their log entries.
	c.CheckLogSize()
	// The snapshots are not unreasonably large.
	if ssz := c.SnapshotSize(); ssz > maxsnapshotstate {
		c.Fatalf("kv/snapshot-size", "snapshot too large (%v > %v)", ssz, maxsnapshotstate)
	}
	return nil
}
