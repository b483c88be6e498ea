package shardsim

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/sim"
)

// shardkv/Swarm: beyond the original suite. The three controller servers and the nine
// servers of groups 100-102 run under the fault plan the run's options name (by default
// the swarm profile: the seed picks which fault kinds are on and their rates: loss,
// duplication, long reordering, partitions, one-way links, crashes with storage faults,
// pauses, clock skew) while an administrator joins, leaves and moves shards at random and
// clerks run random Gets, Puts and Appends on a few keys in different shards. The seed
// also picks the number of clerks and keys and whether the groups snapshot. The Raft
// checkers watch all four Raft groups and the shardkv checkers every applied command;
// once the plan has healed everything, the liveness phase requires every pending
// operation, and a new one, to complete and every group to reach the latest
// configuration with no migration under way, within SwarmLiveness; porcupine then checks
// the whole history, across migrations.

const (
	// SwarmDuration is how long the faults, the reconfigurations and the clerks run.
	SwarmDuration = 20 * time.Second
	// SwarmLiveness is the virtual time the healed system gets: elections in every Raft
	// group, replies still held by long reordering (up to 2.2 s), and groups that were cut
	// off going through every configuration they missed, each a poll, a pull and a delete.
	SwarmLiveness = 15 * time.Second
)

func registerSwarm() {
	sim.Register(sim.Scenario{
		Name: "shardkv/Swarm",
		Description: fmt.Sprintf("3 controllers and 3 groups of 3 under the swarm fault profile for %v while joins, leaves and moves "+
			"race 2-6 clerks on 4-10 keys; Raft and shardkv checkers on; everything completes and every group reaches the latest "+
			"configuration within %v of healing; porcupine on the whole history", SwarmDuration, SwarmLiveness),
		Faults:  "swarm",
		MaxTime: SwarmDuration + SwarmLiveness + time.Minute,
		Main:    func(p *sim.Proc) error { return Swarm(p, Setup{}) },
	})
}

// Swarm is shardkv/Swarm on setup.
func Swarm(p *sim.Proc, setup Setup) error {
	w := p.World()
	r := w.Rand("shardkv/swarm")
	nclients := 2 + r.IntN(5)
	// At least four keys: with fewer, each key's history runs to a thousand operations,
	// many of them held open for seconds by faults, and porcupine's search over one such
	// key takes tens of seconds (seed 127 of an earlier 2-10 range: 6 clerks on 3 keys).
	nkeys := 4 + r.IntN(7)
	maxraftstate := -1
	if r.Chance(0.5) {
		maxraftstate = 1000
	}
	s := NewSystem(p, setup, 3, 3, false, maxraftstate)
	ck := s.MakeClient()
	s.Join(0)

	// Faults on every server: controllers first, then the groups'.
	nodes := append([]*sim.Node(nil), s.Ctrlers.Nodes...)
	for _, g := range s.Groups {
		nodes = append(nodes, g.Nodes...)
	}
	start := w.Now()
	plan, err := faults.FromOptions(w, faults.Shape{Nodes: len(nodes), Duration: SwarmDuration, Base: s.reliable})
	if err != nil {
		p.Fatalf("faults", "%v", err)
	}
	if err := faults.Install(faults.Target{World: w, Net: s.Net, Nodes: nodes}, plan); err != nil {
		p.Fatalf("faults", "%v", err)
	}
	until := start + max(plan.Until, SwarmDuration)
	w.Logf(nil, "shardkv/Swarm: %d clerks on %d keys, maxraftstate %d, faults until %v", nclients, nkeys, maxraftstate, until)

	hist := &History{W: w}
	stop := false
	pending := 0

	// The administrator: every 0.5-2 s a Join of a group not in, a Leave of one in (never
	// the last: the data of shards left to no group is gone), or a Move.
	in := []int{0}
	adm := r.Fork("admin")
	pending++
	w.Spawn(s.mck.Node(), "admin", func(q *sim.Proc) {
		defer func() { pending-- }()
		for !stop {
			q.Sleep(adm.Duration(500*time.Millisecond, 2*time.Second))
			if stop {
				break
			}
			switch k := adm.IntN(3); {
			case k == 0 && len(in) < len(s.Groups):
				var out []int
				for gi := range s.Groups {
					if !slices.Contains(in, gi) {
						out = append(out, gi)
					}
				}
				gi := out[adm.IntN(len(out))]
				s.mck.Join(q, map[int][]string{s.Groups[gi].GID: s.Groups[gi].Names})
				in = append(in, gi)
			case k == 1 && len(in) > 1:
				i := adm.IntN(len(in))
				s.mck.Leave(q, []int{s.Groups[in[i]].GID})
				in = slices.Delete(in, i, i+1)
			default:
				s.mck.Move(q, adm.IntN(ctrler.NShards), s.Groups[in[adm.IntN(len(in))]].GID)
			}
		}
	})

	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	clerks := make([]*shardkv.Clerk, nclients)
	for cli := range clerks {
		ck1 := s.MakeClient()
		clerks[cli] = ck1
		cr := r.Fork("client" + strconv.Itoa(cli))
		pending++
		w.Spawn(ck1.Node(), ck1.Node().Name, func(q *sim.Proc) {
			defer func() { pending-- }()
			for j := 0; !stop; j++ {
				key := keys[cr.IntN(nkeys)]
				t0 := hist.Stamp(q.Now())
				switch x := cr.IntN(100); {
				case x < 45:
					v := fmt.Sprintf("x %d %d y", cli, j)
					ck1.Append(q, key, v)
					hist.Add(cli, KVInput{Op: shardkv.OpAppend, Key: key, Value: v}, KVOutput{}, t0, hist.Stamp(q.Now()))
				case x < 50:
					v := fmt.Sprintf("p %d %d", cli, j)
					ck1.Put(q, key, v)
					hist.Add(cli, KVInput{Op: shardkv.OpPut, Key: key, Value: v}, KVOutput{}, t0, hist.Stamp(q.Now()))
				default:
					v := ck1.Get(q, key)
					hist.Add(cli, KVInput{Op: shardkv.OpGet, Key: key}, KVOutput{Value: v}, t0, hist.Stamp(q.Now()))
				}
			}
		})
	}
	p.Sleep(until - w.Now())

	// Liveness: the plan has healed the network, restored its conditions, and resumed and
	// restarted every server by now.
	stop = true
	deadline := until + SwarmLiveness
	if !waitBy(p, func() bool { return pending == 0 }, deadline) {
		msg := ""
		for _, c := range clerks {
			if d := c.Pending(); d != "" {
				msg += "; " + d
			}
		}
		p.Fatalf(CheckLiveness, "faults ended at %v, but operations did not complete within %v%s", until, SwarmLiveness, msg)
	}
	latest := s.Ctrlers.Query(s.mck, -1)
	caughtUp := func() bool {
		for _, g := range s.Groups {
			for i := range g.Nodes {
				srv := g.Server(i)
				if srv == nil || srv.Peer().Halted() != nil {
					continue // halted on corrupt storage: out of the group for good
				}
				if st := srv.State(); st.Config().Num != latest.Num || !st.Stable() {
					return false
				}
			}
		}
		return true
	}
	if !waitBy(p, caughtUp, deadline) {
		msg := ""
		for _, g := range s.Groups {
			for i := range g.Nodes {
				if srv := g.Server(i); srv != nil && srv.Peer().Halted() == nil {
					st := srv.State()
					msg += fmt.Sprintf("; %s at config %d (stable %v)", g.Names[i], st.Config().Num, st.Stable())
				}
			}
		}
		p.Fatalf(CheckLiveness, "faults ended at %v, but the groups did not all reach config %d within %v%s", until, latest.Num, SwarmLiveness, msg)
	}
	var done bool
	w.Spawn(ck.Node(), "liveness", func(q *sim.Proc) {
		ck.Append(q, keys[0], "liveness")
		done = true
	})
	if !waitBy(p, func() bool { return done }, deadline) {
		p.Fatalf(CheckLiveness, "faults ended at %v, but a new operation did not complete within %v: %s", until, SwarmLiveness, ck.Pending())
	}
	// The new Append is not in the history: the history is complete without it, and it
	// only shows the system is live.
	if maxraftstate > 0 {
		s.CheckLogs()
	}
	w.Logf(nil, "shardkv/Swarm: %d clerk operations, %d configurations", hist.Len(), latest.Num)
	w.AtEnd(CheckLinearizability, hist.CheckLinearizable)
	return nil
}

// waitBy polls cond every 10 ms until it holds or the virtual deadline passes, and
// reports whether it held.
func waitBy(p *sim.Proc, cond func() bool, deadline time.Duration) bool {
	timeout := deadline - p.Now()
	if timeout <= 0 {
		return cond()
	}
	return p.WaitUntil(cond, 10*time.Millisecond, timeout)
}
