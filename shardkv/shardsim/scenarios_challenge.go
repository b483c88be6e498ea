package shardsim

import (
	"strconv"
	"time"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// CheckDeleted: TestChallenge1Delete's bound on what the groups store.
const CheckDeleted = "shardkv/challenge1-size"

// Unreliable3 is TestUnreliable3.
func Unreliable3(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, true, 100)
	s.limit()
	hist := &History{W: s.W}
	ck := s.MakeClient()
	s.Join(0)
	const n = 10
	ka, va := make([]string, n), make([]string, n)
	for i := 0; i < n; i++ {
		ka[i] = strconv.Itoa(i) // ensure multiple shards
		va[i] = s.RandString(5)
		start := hist.Stamp(p.Now())
		s.Put(ck, ka[i], va[i])
		hist.Add(0, KVInput{Op: shardkv.OpPut, Key: ka[i], Value: va[i]}, KVOutput{}, start, hist.Stamp(p.Now()))
	}

	stopped, finished := false, 0
	for i := 0; i < n; i++ {
		ck1 := s.MakeClient()
		r := s.W.Rand("shardkv/unreliable3/" + strconv.Itoa(i))
		s.W.Spawn(ck1.Node(), ck1.Node().Name, func(q *sim.Proc) {
			for !stopped {
				ki := r.IntN(n)
				nv := s.RandString(5)
				var in KVInput
				var out KVOutput
				start := hist.Stamp(q.Now())
				if r.IntN(1000) < 500 {
					ck1.Append(q, ka[ki], nv)
					in = KVInput{Op: shardkv.OpAppend, Key: ka[ki], Value: nv}
				} else if r.IntN(1000) < 100 {
					ck1.Put(q, ka[ki], nv)
					in = KVInput{Op: shardkv.OpPut, Key: ka[ki], Value: nv}
				} else {
					out.Value = ck1.Get(q, ka[ki])
					in = KVInput{Op: shardkv.OpGet, Key: ka[ki]}
				}
				hist.Add(i, in, out, start, hist.Stamp(q.Now()))
			}
			finished++
		})
	}

	p.Sleep(150 * time.Millisecond)
	s.Join(1)
	p.Sleep(500 * time.Millisecond)
	s.Join(2)
	p.Sleep(500 * time.Millisecond)
	s.Leave(0)
	p.Sleep(500 * time.Millisecond)
	s.Leave(1)
	p.Sleep(500 * time.Millisecond)
	s.Join(1)
	s.Join(0)

	p.Sleep(2 * time.Second)
	stopped = true
	s.SetReliable(true)
	p.WaitUntil(func() bool { return finished == n }, 10*time.Millisecond, 0)
	s.W.AtEnd(CheckLinearizability, hist.CheckLinearizable)
	return nil
}

// Challenge1Delete is TestChallenge1Delete.
func Challenge1Delete(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, 1)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	// 30,000 bytes of total values.
	ka, va := s.putKeys(ck, 30, 1000)
	checkFirst3 := func() {
		for i := 0; i < 3; i++ {
			s.Check(ck, ka[i], va[i])
		}
	}
	checkFirst3()

	for iters := 0; iters < 2; iters++ {
		s.Join(1)
		s.Leave(0)
		s.Join(2)
		p.Sleep(3 * time.Second)
		checkFirst3()
		s.Leave(1)
		s.Join(0)
		s.Leave(2)
		p.Sleep(3 * time.Second)
		checkFirst3()
	}

	s.Join(1)
	s.Join(2)
	for i := 0; i < 3; i++ {
		p.Sleep(1 * time.Second)
		checkFirst3()
	}

	total := 0
	for _, g := range s.Groups {
		for _, srv := range g.servers {
			total += srv.Peer().StateSize() + srv.Peer().SnapshotSize()
		}
	}
	// 27 keys should be stored once; 3 keys should also be stored in client dup tables;
	// everything on 3 replicas; plus slop. (This implementation's duplicate tables hold
	// sequence numbers, not values.)
	expected := 3 * (((len(ka) - 3) * 1000) + 2*3*1000 + 6000)
	p.World().Logf(nil, "shardkv/Challenge1Delete: %d bytes of Raft state and snapshots on 9 servers (bound %d)", total, expected)
	if total > expected {
		p.Fatalf(CheckDeleted, "snapshot + persisted Raft state are too big: %v > %v", total, expected)
	}
	s.checkAll(ck, ka, va)
	return nil
}

// Challenge1Concurrent is TestChallenge1Concurrent.
func Challenge1Concurrent(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, 300)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	ka, va := s.putKeys(ck, 10, 1)
	stop, wait := s.appenders(ka, va, 1, 0)

	r := s.W.Rand("shardkv/challenge1")
	t0 := p.Now()
	for p.Now()-t0 < 12*time.Second {
		s.Join(2)
		s.Join(1)
		p.Sleep(time.Duration(r.IntN(900)) * time.Millisecond)
		s.ShutdownGroup(0)
		s.ShutdownGroup(1)
		s.ShutdownGroup(2)
		s.StartGroup(0)
		s.StartGroup(1)
		s.StartGroup(2)
		p.Sleep(time.Duration(r.IntN(900)) * time.Millisecond)
		s.Leave(1)
		s.Leave(2)
		p.Sleep(time.Duration(r.IntN(900)) * time.Millisecond)
	}

	p.Sleep(2 * time.Second)
	stop()
	wait()
	s.checkAll(ck, ka, va)
	return nil
}

// Challenge2Unaffected is TestChallenge2Unaffected.
func Challenge2Unaffected(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, true, 100)
	s.limit()
	ck := s.MakeClient()

	// JOIN 100, and Put to keys in all shards.
	s.Join(0)
	const n = 10
	ka, va := make([]string, n), make([]string, n)
	for i := 0; i < n; i++ {
		ka[i] = strconv.Itoa(i) // ensure multiple shards
		va[i] = "100"
		s.Put(ck, ka[i], va[i])
	}

	// JOIN 101, and find the shards it now owns.
	s.Join(1)
	c := s.Ctrlers.Query(s.mck, -1)
	owned := make(map[int]bool, n)
	for sh, gid := range c.Shards {
		owned[sh] = gid == s.Groups[1].GID
	}

	// Wait for the migration to complete and for clients to use the new configuration.
	p.Sleep(1 * time.Second)
	// As in the original, owned is indexed here by the key's number, not its shard (the
	// keys "0".."9" are in shards 8, 9, 0, ..., 7); the values are tracked either way.
	for i := 0; i < n; i++ {
		if owned[i] {
			va[i] = "101"
			s.Put(ck, ka[i], va[i])
		}
	}

	// KILL 100, then LEAVE 100: 101 gets no chance to migrate what 100 owned.
	s.ShutdownGroup(0)
	s.Leave(0)
	// Wait to make sure clients see the new configuration.
	p.Sleep(1 * time.Second)

	// Gets and Puts of keys 101 owns still complete.
	for i := 0; i < n; i++ {
		if owned[shardkv.Key2Shard(ka[i])] {
			s.Check(ck, ka[i], va[i])
			s.Put(ck, ka[i], va[i]+"-1")
			s.Check(ck, ka[i], va[i]+"-1")
		}
	}
	return nil
}

// Challenge2Partial is TestChallenge2Partial.
func Challenge2Partial(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, true, 100)
	s.limit()
	ck := s.MakeClient()

	// JOIN 100 + 101 + 102, and give the groups time to reconfigure.
	s.Joinm(0, 1, 2)
	p.Sleep(1 * time.Second)

	const n = 10
	ka, va := make([]string, n), make([]string, n)
	for i := 0; i < n; i++ {
		ka[i] = strconv.Itoa(i) // ensure multiple shards
		va[i] = "100"
		s.Put(ck, ka[i], va[i])
	}

	// The shards 102 owns.
	c := s.Ctrlers.Query(s.mck, -1)
	owned := make(map[int]bool, n)
	for sh, gid := range c.Shards {
		owned[sh] = gid == s.Groups[2].GID
	}

	// KILL 100; LEAVE 100 + 102. 101 can get 102's old shards, not 100's, and must serve
	// 102's as soon as it has them.
	s.ShutdownGroup(0)
	s.Leavem(0, 2)
	// Time to start reconfiguring and to migrate 102 -> 101.
	p.Sleep(1 * time.Second)

	for i := 0; i < n; i++ {
		if owned[shardkv.Key2Shard(ka[i])] {
			s.Check(ck, ka[i], va[i])
			s.Put(ck, ka[i], va[i]+"-2")
			s.Check(ck, ka[i], va[i]+"-2")
		}
	}
	return nil
}
