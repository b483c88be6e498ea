package kvsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// kv/Swarm: beyond the original suite. Five servers run under the fault plan the run's
// options name (by default the swarm profile: the seed picks which fault kinds are on and
// their rates: loss, duplication, long reordering, partitions, one-way links, isolating the
// leader, crashes with storage faults, pauses, clock skew) while clerks run random Gets,
// Puts and Appends on a few shared keys. The seed also picks the number of clerks and keys
// and whether the servers snapshot. The Raft checkers watch every persisted Ready; once the
// plan has healed everything, the liveness phase requires every operation still pending to
// complete, and a new one too, within SwarmLiveness; porcupine then checks the whole history.

const (
	// SwarmDuration is how long kv/Swarm's faults and client traffic run.
	SwarmDuration = 20 * time.Second
	// SwarmLiveness is the virtual time a healed cluster gets to complete every pending
	// operation and a new one: an election or two (timeouts 300-600 ms), a server's
	// WaiterTimeout on a request it accepted as a leader that lost its majority, and replies still held by long
	// reordering (up to 2.2 s) when the faults end.
	SwarmLiveness = 5 * time.Second
)

func registerSwarm(add func(def)) {
	add(def{Scenario: sim.Scenario{
		Name: "kv/Swarm",
		Description: fmt.Sprintf("5 servers and 3-7 clerks on 1-5 keys under the swarm fault profile for %v, Raft checkers on; "+
			"pending operations complete within %v of healing; porcupine on the whole history", SwarmDuration, SwarmLiveness),
		Faults:  "swarm",
		MaxTime: scenarioMaxTime,
	}, main: swarm})
}

func swarm(p *sim.Proc, cfg Config) error {
	w := p.World()
	r := w.Rand("kv/swarm")
	nclients := 3 + r.IntN(5)
	nkeys := 1 + r.IntN(5)
	maxraftstate := -1
	if r.Chance(0.5) {
		maxraftstate = MaxRaftState3B
	}
	c := NewCluster(p, cfg, "kv/Swarm", 5, false, maxraftstate)
	c.RecordHistory()
	start := w.Now()
	plan := c.InstallFaults(SwarmDuration)
	until := start + max(plan.Until, SwarmDuration)
	// Every parameter the seed chose, for `simrun replay -v` (Install logs the plan).
	w.Logf(nil, "kv/Swarm: %d clerks on %d keys, maxraftstate %d, faults until %v", nclients, nkeys, maxraftstate, until)

	stop := false
	finished := make([]bool, nclients)
	clerks := make([]*Clerk, nclients)
	for cli := 0; cli < nclients; cli++ {
		cli := cli
		ck := c.MakeClient(c.All())
		clerks[cli] = ck
		cr := w.Rand(fmt.Sprintf("kv/swarm/client%d", cli))
		linearizabilityClient(ck, cr, cli, nkeys, &stop, func(int) { finished[cli] = true })
	}
	p.Sleep(until - w.Now())

	// Liveness: the plan has healed the network, restored its conditions, and resumed and
	// restarted every server by now.
	stop = true
	deadline := until + SwarmLiveness
	for cli, ck := range clerks {
		if !waitBy(p, func() bool { return finished[cli] }, deadline) {
			c.Fatalf("kv/liveness", "faults ended at %v, but clerk %d's operation did not complete within %v: %s",
				until, cli, SwarmLiveness, ck.Pending())
		}
	}
	fresh := c.MakeClient(c.All())
	var done bool
	w.Spawn(fresh.Node(), fresh.Node().Name, func(q *sim.Proc) {
		fresh.Append(q, "0", fmt.Sprintf("liveness %d", w.Seed()))
		done = true
	})
	if !waitBy(p, func() bool { return done }, deadline) {
		c.Fatalf("kv/liveness", "faults ended at %v, but a new operation did not complete within %v: %s",
			until, SwarmLiveness, fresh.Pending())
	}
	if maxraftstate > 0 {
		c.CheckLogSize()
	}
	w.Logf(nil, "kv/Swarm: %d clerk operations", c.Ops())
	c.CheckLinearizableAtEnd()
	return nil
}
