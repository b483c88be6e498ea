package shardsim

import (
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// CheckStatic: TestStaticShards' count of Gets that complete with one group down.
const CheckStatic = "shardkv/static-shards"

// keys returns n keys "0".."n-1" and n values of size random letters, Put through ck.
func (s *System) putKeys(ck *shardkv.Clerk, n, size int) (ka, va []string) {
	for i := 0; i < n; i++ {
		ka = append(ka, strconv.Itoa(i)) // ensure multiple shards
		va = append(va, s.RandString(size))
		s.Put(ck, ka[i], va[i])
	}
	return ka, va
}

// checkAppend checks every key, then appends size random letters to it.
func (s *System) checkAppend(ck *shardkv.Clerk, ka, va []string, size int) {
	for i := range ka {
		s.Check(ck, ka[i], va[i])
		x := s.RandString(size)
		s.Append(ck, ka[i], x)
		va[i] += x
	}
}

func (s *System) checkAll(ck *shardkv.Clerk, ka, va []string) {
	for i := range ka {
		s.Check(ck, ka[i], va[i])
	}
}

// StaticShards is TestStaticShards.
func StaticShards(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, -1)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	s.Join(1)
	ka, va := s.putKeys(ck, 10, 20)
	s.checkAll(ck, ka, va)

	// Make sure the data really is sharded: with group 1 down, some Gets cannot succeed.
	s.ShutdownGroup(1)
	s.CheckLogs() // forbid snapshots

	ndone := 0
	for i := range ka {
		ck1 := s.MakeClient() // only one call allowed per client
		s.W.Spawn(ck1.Node(), ck1.Node().Name, func(q *sim.Proc) {
			if v := ck1.Get(q, ka[i]); v != va[i] {
				q.Fatalf(CheckValue, "Get(%v): expected:\n%v\nreceived:\n%v", ka[i], va[i], v)
			}
			ndone++
		})
	}
	// Wait a bit: only about half the Gets should succeed. The wait ends when 2 s pass
	// without a completion, as the original's select on time.After does.
	for last := -1; last != ndone; {
		last = ndone
		p.WaitUntil(func() bool { return ndone > last }, 10*time.Millisecond, 2*time.Second)
	}
	if ndone != 5 {
		p.Fatalf(CheckStatic, "expected 5 completions with one shard dead; got %v", ndone)
	}

	// Bring the crashed group back to life.
	s.StartGroup(1)
	s.checkAll(ck, ka, va)
	return nil
}

// JoinLeave is TestJoinLeave.
func JoinLeave(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, -1)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	ka, va := s.putKeys(ck, 10, 5)
	s.checkAll(ck, ka, va)

	s.Join(1)
	s.checkAppend(ck, ka, va, 5)
	s.Leave(0)
	s.checkAppend(ck, ka, va, 5)

	// Allow time for shards to transfer.
	p.Sleep(1 * time.Second)
	s.CheckLogs()
	s.ShutdownGroup(0)
	s.checkAll(ck, ka, va)
	return nil
}

// Snapshot is TestSnapshot.
func Snapshot(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, 1000)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	ka, va := s.putKeys(ck, 30, 20)
	s.checkAll(ck, ka, va)

	s.Join(1)
	s.Join(2)
	s.Leave(0)
	s.checkAppend(ck, ka, va, 20)

	s.Leave(1)
	s.Join(0)
	s.checkAppend(ck, ka, va, 20)

	p.Sleep(1 * time.Second)
	s.checkAll(ck, ka, va)
	p.Sleep(1 * time.Second)
	s.CheckLogs()

	s.ShutdownGroup(0)
	s.ShutdownGroup(1)
	s.ShutdownGroup(2)
	s.StartGroup(0)
	s.StartGroup(1)
	s.StartGroup(2)
	s.checkAll(ck, ka, va)
	return nil
}

// MissChange is TestMissChange.
func MissChange(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, 1000)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	ka, va := s.putKeys(ck, 10, 20)
	s.checkAll(ck, ka, va)

	s.Join(1)
	s.ShutdownServer(0, 0)
	s.ShutdownServer(1, 0)
	s.ShutdownServer(2, 0)

	s.Join(2)
	s.Leave(1)
	s.Leave(0)
	s.checkAppend(ck, ka, va, 20)

	s.Join(1)
	s.checkAppend(ck, ka, va, 20)

	s.StartServer(0, 0)
	s.StartServer(1, 0)
	s.StartServer(2, 0)
	s.checkAppend(ck, ka, va, 20)

	p.Sleep(2 * time.Second)

	s.ShutdownServer(0, 1)
	s.ShutdownServer(1, 1)
	s.ShutdownServer(2, 1)

	s.Join(0)
	s.Leave(2)
	s.checkAppend(ck, ka, va, 20)

	s.StartServer(0, 1)
	s.StartServer(1, 1)
	s.StartServer(2, 1)
	s.checkAll(ck, ka, va)
	return nil
}

// appenders starts one appender per key, each on a clerk of its own: it appends size
// random letters to its key, pausing pause after each, until stop is set; it adds what
// it appended to va. wait blocks until all have stopped.
func (s *System) appenders(ka, va []string, size int, pause time.Duration) (stop func(), wait func()) {
	stopped, finished := false, 0
	for i := range ka {
		ck1 := s.MakeClient()
		// va[i] grows in place in a builder (its String shares the bytes written so far,
		// which later writes never change): va[i] += x copied the whole value at every
		// append, and Challenge1Concurrent4B appends one letter at a time, without a
		// pause, for 12 s of virtual time. Only this appender writes va[i] while it runs.
		var b strings.Builder
		b.WriteString(va[i])
		s.W.Spawn(ck1.Node(), ck1.Node().Name, func(q *sim.Proc) {
			for !stopped {
				x := s.RandString(size)
				ck1.Append(q, ka[i], x)
				b.WriteString(x)
				va[i] = b.String()
				if pause > 0 {
					q.Sleep(pause)
				}
			}
			finished++
		})
	}
	stop = func() { stopped = true }
	wait = func() {
		s.P.WaitUntil(func() bool { return finished == len(ka) }, 10*time.Millisecond, 0)
	}
	return stop, wait
}

// Concurrent1 is TestConcurrent1.
func Concurrent1(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, 100)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	ka, va := s.putKeys(ck, 10, 5)
	stop, wait := s.appenders(ka, va, 5, 10*time.Millisecond)

	p.Sleep(150 * time.Millisecond)
	s.Join(1)
	p.Sleep(500 * time.Millisecond)
	s.Join(2)
	p.Sleep(500 * time.Millisecond)
	s.Leave(0)

	s.ShutdownGroup(0)
	p.Sleep(100 * time.Millisecond)
	s.ShutdownGroup(1)
	p.Sleep(100 * time.Millisecond)
	s.ShutdownGroup(2)

	s.Leave(2)

	p.Sleep(100 * time.Millisecond)
	s.StartGroup(0)
	s.StartGroup(1)
	s.StartGroup(2)

	p.Sleep(100 * time.Millisecond)
	s.Join(0)
	s.Leave(1)
	p.Sleep(500 * time.Millisecond)
	s.Join(1)

	p.Sleep(1 * time.Second)
	stop()
	wait()
	s.checkAll(ck, ka, va)
	return nil
}

// Concurrent2 is TestConcurrent2.
func Concurrent2(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, false, -1)
	s.limit()
	ck := s.MakeClient()
	s.Join(1)
	s.Join(0)
	s.Join(2)
	ka, va := s.putKeys(ck, 10, 1)
	stop, wait := s.appenders(ka, va, 1, 50*time.Millisecond)

	s.Leave(0)
	s.Leave(2)
	p.Sleep(3000 * time.Millisecond)
	s.Join(0)
	s.Join(2)
	s.Leave(1)
	p.Sleep(3000 * time.Millisecond)
	s.Join(1)
	s.Leave(0)
	s.Leave(2)
	p.Sleep(3000 * time.Millisecond)

	s.ShutdownGroup(1)
	s.ShutdownGroup(2)
	p.Sleep(1000 * time.Millisecond)
	s.StartGroup(1)
	s.StartGroup(2)

	p.Sleep(2000 * time.Millisecond)
	stop()
	wait()
	s.checkAll(ck, ka, va)
	return nil
}

// Unreliable1 is TestUnreliable1.
func Unreliable1(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, true, 100)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	ka, va := s.putKeys(ck, 10, 5)

	s.Join(1)
	s.Join(2)
	s.Leave(0)
	for ii := 0; ii < len(ka)*2; ii++ {
		i := ii % len(ka)
		s.Check(ck, ka[i], va[i])
		x := s.RandString(5)
		s.Append(ck, ka[i], x)
		va[i] += x
	}

	s.Join(0)
	s.Leave(1)
	for ii := 0; ii < len(ka)*2; ii++ {
		i := ii % len(ka)
		s.Check(ck, ka[i], va[i])
	}
	return nil
}

// Unreliable2 is TestUnreliable2.
func Unreliable2(p *sim.Proc, setup Setup) error {
	s := NewSystem(p, setup, 3, 3, true, 100)
	s.limit()
	ck := s.MakeClient()
	s.Join(0)
	ka, va := s.putKeys(ck, 10, 5)
	stop, wait := s.appenders(ka, va, 5, 0)

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
	stop()
	s.SetReliable(true)
	wait()
	s.checkAll(ck, ka, va)
	return nil
}
