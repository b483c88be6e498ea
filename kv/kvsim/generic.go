package kvsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/sim"
)

// The GenericTest constants of the original.
const (
	// Iterations of client traffic per generic test.
	Iterations = 3
	// ClientTraffic is how long the clients run in each iteration.
	ClientTraffic = 5 * time.Second
	// TestTimeout is the original's per-test limit; a generic test whose clients have not
	// all finished by then fails as kv/liveness.
	TestTimeout = 120 * time.Second
)

// generic is GenericTest(part, nclients, unreliable, crash, partitions, maxraftstate)
// and, with linearizable, GenericTestLinearizability (random keys, Puts, porcupine).
type generic struct {
	name         string
	servers      int
	clients      int
	unreliable   bool
	crash        bool
	partitions   bool
	maxraftstate int
	linearizable bool
}

func (g generic) description(stem string) string {
	var faults []string
	if g.unreliable {
		faults = append(faults, "unreliable net")
	}
	if g.crash {
		faults = append(faults, "restarts")
	}
	if g.partitions {
		faults = append(faults, "partitions")
	}
	if len(faults) == 0 {
		faults = append(faults, "no faults")
	}
	if g.maxraftstate > 0 {
		faults = append(faults, fmt.Sprintf("snapshots (maxraftstate %d)", g.maxraftstate))
	}
	clients := "1 client"
	if g.clients > 1 {
		clients = fmt.Sprintf("%d clients", g.clients)
	}
	what := "Appends exactly once and in order, Gets exact"
	if g.linearizable {
		what = "random keys, porcupine linearizable"
	}
	return fmt.Sprintf("6.824 %s: %s on %d servers, %s, 3 x 5 s; %s", stem, clients, g.servers, strings.Join(faults, ", "), what)
}

// run is the test body: Iterations rounds of ClientTraffic of client operations, with the
// partitioner, then heal, crash-all-and-restart, and the checks.
func (g generic) run(p *sim.Proc, cfg Config) error {
	w := p.World()
	c := NewCluster(p, cfg, g.name, g.servers, g.unreliable, g.maxraftstate)
	if g.linearizable {
		c.RecordHistory()
	}
	deadline := w.Now() + TestTimeout
	ck := c.MakeClient(c.All())
	for iter := 0; iter < Iterations; iter++ {
		doneClients, donePartitioner, partitionerDone := false, false, false
		counts := make([]int, g.clients)
		expected := make([]string, g.clients) // an append client's own account of its key
		finished := make([]bool, g.clients)
		clerks := make([]*Clerk, g.clients)
		for cli := 0; cli < g.clients; cli++ {
			cli := cli
			myck := c.MakeClient(c.All())
			clerks[cli] = myck
			r := w.Rand(fmt.Sprintf("kv/client/%d/%d", iter, cli))
			if g.linearizable {
				linearizabilityClient(myck, r, cli, g.clients, &doneClients, func(n int) { counts[cli], finished[cli] = n, true })
			} else {
				appendClient(myck, r, cli, &doneClients, func(n int, v string) { counts[cli], expected[cli], finished[cli] = n, v, true })
			}
		}
		if g.partitions {
			// Allow the clients to perform some operations without interruption.
			p.Sleep(1 * time.Second)
			r := w.Rand(fmt.Sprintf("kv/partitioner/%d", iter))
			w.Spawn(nil, "partitioner", func(q *sim.Proc) {
				partitioner(q, c, r, &donePartitioner)
				partitionerDone = true
			})
		}
		p.Sleep(ClientTraffic)
		doneClients, donePartitioner = true, true
		if g.partitions {
			p.WaitUntil(func() bool { return partitionerDone }, 10*time.Millisecond, 0)
			// Reconnect, and wait for a new term: a client may have submitted a request
			// in a minority, which returns only once that server hears of the new term.
			c.ConnectAll()
			p.Sleep(ElectionTimeout)
		}
		if g.crash {
			for i := 0; i < c.N; i++ {
				c.ShutdownServer(i)
			}
			p.Sleep(ElectionTimeout)
			for i := 0; i < c.N; i++ {
				c.StartServer(i)
			}
			c.ConnectAll()
		}
		for cli := 0; cli < g.clients; cli++ {
			if !waitBy(p, func() bool { return finished[cli] }, deadline) {
				c.Fatalf("kv/liveness", "iteration %d: client %d not done within the original's %v test limit: %s",
					iter, cli, TestTimeout, clerks[cli].Pending())
			}
			if g.linearizable {
				continue
			}
			key := strconv.Itoa(cli)
			// The value the client built from its own Appends holds each of them once, in
			// order: a value equal to it passes CheckClntAppends, without its scan.
			if v := c.Get(ck, key); v != expected[cli] {
				if err := CheckClntAppends(cli, v, counts[cli]); err != nil {
					c.Fatalf("kv/appends", "iteration %d: %v", iter, err)
				}
			}
		}
		if g.maxraftstate > 0 {
			// After the servers processed every request and had time to checkpoint.
			c.CheckLogSize()
		}
		if g.maxraftstate < 0 {
			if ssz := c.SnapshotSize(); ssz > 0 {
				c.Fatalf("kv/snapshot-size", "snapshot too large (%v), should not be used when maxraftstate = %d", ssz, g.maxraftstate)
			}
		}
	}
	w.Logf(nil, "%s: %d clerk operations", g.name, c.Ops())
	if g.linearizable {
		c.CheckLinearizableAtEnd()
	}
	return nil
}

// appendClient is GenericTest's client cli: it owns key "cli", Puts "" to it, then until
// done Appends (50%) or Gets and compares with the value it tracks. It runs in the events
// of ck's node in which a process named after that node would (startClient), and calls end
// with the number of Appends it made and the value it tracks once it stops.
//
// The original is a loop, whose every turn blocks in one operation:
//
//	Put(key, "")
//	for !done {
//		if rand < 500 { Append(key, nv); last += nv; j++ } else if Get(key) != last { Fatal }
//	}
//
// Here a turn is cut at its operation: step ends the turn whose operation returned, tests
// done and begins the next turn, up to its operation, whose reply runs step again.
func appendClient(ck *Clerk, r *sim.Rand, cli int, done *bool, end func(appends int, value string)) {
	a := &appendLoop{ck: ck, r: r, cli: cli, done: done, end: end, key: strconv.Itoa(cli)}
	startClient(ck, a.step, func() { ck.start(kv.OpPut, a.key, "") })
}

// appendLoop is appendClient's state between its operations.
type appendLoop struct {
	ck   *Clerk
	r    *sim.Rand
	cli  int
	done *bool
	end  func(int, string)
	key  string
	j    int // the Appends made
	// last is the value the client expects, built in place: as a string each Append
	// copied it whole (kilobytes), which was a tenth of a 20-client run.
	last   strings.Builder
	values valueArena
}

// step follows the operation that ended, c, whose output is out: it adds an Append to the
// value the client tracks, or checks a Get against it (a wrong value fails the run,
// kv/value, and stops the client, as the original's Fatal), and starts the next operation
// unless the client is done.
func (a *appendLoop) step(c *kv.Command, out string) {
	switch c.Op {
	case kv.OpAppend:
		a.last.WriteString(c.Value)
		a.j++
	case kv.OpGet:
		if out != a.last.String() {
			w := a.ck.node.World()
			w.Fail("kv/value", a.ck.node, fmt.Errorf("get wrong value, key %v: %s", a.key, diff(a.last.String(), out)))
			return
		}
	}
	if *a.done {
		a.end(a.j, a.last.String())
		return
	}
	if a.r.IntN(1000) < 500 {
		a.ck.start(kv.OpAppend, a.key, a.values.value(a.cli, a.j))
	} else {
		a.ck.start(kv.OpGet, a.key, "")
	}
}

// linearizabilityClient is GenericTestLinearizability's client cli: random keys among
// nkeys, 50% Append, else 10% Put, else Get; porcupine judges the results. It runs as
// appendClient does, its loop cut the same way, and calls end with the number of Appends
// and Puts it made once it stops.
func linearizabilityClient(ck *Clerk, r *sim.Rand, cli, nkeys int, done *bool, end func(writes int)) {
	l := &linearizabilityLoop{ck: ck, r: r, cli: cli, nkeys: nkeys, done: done, end: end}
	startClient(ck, l.step, func() { l.step(nil, "") })
}

// linearizabilityLoop is linearizabilityClient's state between its operations.
type linearizabilityLoop struct {
	ck     *Clerk
	r      *sim.Rand
	cli    int
	nkeys  int
	done   *bool
	end    func(int)
	j      int        // the writes made
	values valueArena // a Get makes no value
}

// step follows the operation that ended, c (nil at the start), and starts the next
// unless the client is done.
func (l *linearizabilityLoop) step(c *kv.Command, _ string) {
	if c != nil && c.Op != kv.OpGet {
		l.j++
	}
	if *l.done {
		l.end(l.j)
		return
	}
	key := strconv.Itoa(l.r.IntN(l.nkeys))
	if l.r.IntN(1000) < 500 {
		l.ck.start(kv.OpAppend, key, l.values.value(l.cli, l.j))
	} else if l.r.IntN(1000) < 100 {
		l.ck.start(kv.OpPut, key, l.values.value(l.cli, l.j))
	} else {
		l.ck.start(kv.OpGet, key, "")
	}
}

// partitioner is the original's: until done, split the servers in two random sides (a
// coin per server), then sleep ElectionTimeout + 0-199 ms.
func partitioner(q *sim.Proc, c *Cluster, r *sim.Rand, done *bool) {
	for !*done {
		var pa [2][]int
		for i := 0; i < c.N; i++ {
			side := r.IntN(2)
			pa[side] = append(pa[side], i)
		}
		c.Partition(pa[0], pa[1])
		q.Sleep(ElectionTimeout + time.Duration(r.IntN(200))*time.Millisecond)
	}
}
