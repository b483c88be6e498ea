package shardsim

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/sim"
)

// scenarioMaxTime backs up the scenarios' own shardkv/liveness check (TestTimeout).
const scenarioMaxTime = TestTimeout + 30e9

func init() {
	registerPorted()
	registerSwarm()
	registerPlanted()
}

// ported lists the scenarios that port an original test, in the order of the original suite.
var ported = []struct {
	stem, desc string
	main       func(*sim.Proc, Setup) error
}{
	{"CtrlerBasic4A", "6.824 shardmaster TestBasic: join/leave, historical queries with each server down, " +
		"Move, concurrent leave/join, minimal transfers after joins and leaves (3 servers)", CtrlerBasic},
	{"CtrlerMulti4A", "6.824 shardmaster TestMulti: multi-group join/leave, concurrent multi leave/join, " +
		"minimal transfers after multijoins and multileaves (3 servers)", CtrlerMulti},
	{"StaticShards4B", "6.824 TestStaticShards: 2 groups, one shut down: exactly 5 of 10 Gets complete; all after it restarts", StaticShards},
	{"JoinLeave4B", "6.824 TestJoinLeave: join, leave, the shards move; all data readable with the first group down", JoinLeave},
	{"Snapshot4B", "6.824 TestSnapshot: maxraftstate 1000, joins and leaves over 30 keys, every group restarted; data survives, logs <= 8000 B", Snapshot},
	{"MissChange4B", "6.824 TestMissChange: one server per group down across configuration changes, twice; restarted servers catch up", MissChange},
	{"Concurrent14B", "6.824 TestConcurrent1: 10 appenders while groups join, leave, and all three restart; values exact", Concurrent1},
	{"Concurrent24B", "6.824 TestConcurrent2: 10 slow appenders through 3 rounds of leave/join and two groups restarting; values exact", Concurrent2},
	{"Unreliable14B", "6.824 TestUnreliable1: sequential Put/Append/Get through joins and leaves on an unreliable network; values exact", Unreliable1},
	{"Unreliable24B", "6.824 TestUnreliable2: 10 concurrent appenders through joins and leaves on an unreliable network; values exact", Unreliable2},
	{"Unreliable34B", "6.824 TestUnreliable3: random Get/Put/Append on 10 keys by 10 clerks through joins and leaves, unreliable; porcupine linearizable", Unreliable3},
	{"Challenge1Delete4B", "6.824 TestChallenge1Delete: maxraftstate 1, 30 x 1000-byte values through joins and leaves; Raft state + snapshots of all 9 servers <= 117,000 B", Challenge1Delete},
	{"Challenge1Concurrent4B", "6.824 TestChallenge1Concurrent: 10 appenders for 12 s of joins, leaves and restarts of all groups; values exact", Challenge1Concurrent},
	{"Challenge2Unaffected4B", "6.824 TestChallenge2Unaffected: group 100 dead and leaving; keys 101 owns keep being served", Challenge2Unaffected},
	{"Challenge2Partial4B", "6.824 TestChallenge2Partial: 100 dead, 100 and 102 leave; 101 serves what it got from 102 without waiting for 100's shards", Challenge2Partial},
}

// registerPorted registers every ported scenario with the default Setup.
func registerPorted() {
	for _, sc := range ported {
		main := sc.main
		sim.Register(sim.Scenario{
			Name:        "shardkv/" + sc.stem,
			Description: sc.desc,
			MaxTime:     scenarioMaxTime,
			Main:        func(p *sim.Proc) error { return main(p, Setup{}) },
		})
	}
}

// testLimit fails the run with CheckLiveness if it is still going TestTimeout from now,
// naming the clerks' pending operations: the original's 120 s checkTimeout.
func testLimit(c *Ctrlers) {
	c.W.AfterFunc(TestTimeout, "shardkv test limit", func() {
		pending := ""
		for _, ck := range c.Clerks() {
			if s := ck.Pending(); s != "" {
				pending += "; " + s
			}
		}
		c.W.Fail(CheckLiveness, nil, fmt.Errorf("test not finished within the original's %v limit%s", TestTimeout, pending))
	})
}

// CtrlerBasic is the shardmaster's TestBasic with every sub-step, on setup.
func CtrlerBasic(p *sim.Proc, setup Setup) error {
	const nservers = 3
	c := NewCtrlers(p, reliableNet(p.World()), nservers, setup)
	testLimit(c)
	ck := c.MakeClient()

	// Test: Basic leave/join.
	// cfa[3] is never set, as in the original: the historical queries below then ask for
	// config 0 and compare it with a zero Config, which config 0 equals.
	cfa := make([]ctrler.Config, 6)
	cfa[0] = c.Query(ck, -1)
	c.Check(ck, []int{})

	gid1 := 1
	c.Join(ck, map[int][]string{gid1: {"x", "y", "z"}})
	c.Check(ck, []int{gid1})
	cfa[1] = c.Query(ck, -1)

	gid2 := 2
	c.Join(ck, map[int][]string{gid2: {"a", "b", "c"}})
	c.Check(ck, []int{gid1, gid2})
	cfa[2] = c.Query(ck, -1)

	cfx := c.Query(ck, -1)
	c.CheckServersOf(cfx, gid1, "x", "y", "z")
	c.CheckServersOf(cfx, gid2, "a", "b", "c")

	c.Leave(ck, []int{gid1})
	c.Check(ck, []int{gid2})
	cfa[4] = c.Query(ck, -1)

	c.Leave(ck, []int{gid2})
	cfa[5] = c.Query(ck, -1)

	// Test: Historical queries: each server down in turn, every saved config unchanged.
	for s := 0; s < nservers; s++ {
		c.ShutdownServer(s)
		for i := range cfa {
			cf := c.Query(ck, cfa[i].Num)
			c.CheckSameConfig(cf, cfa[i])
		}
		c.StartServer(s)
		c.ConnectAll()
	}

	// Test: Move. With this Rebalance the Joins of 503 and 504 already put shards 0-4 on
	// 503 and 5-9 on 504, so no Move changes an owner and the Config.Num check below has
	// nothing to check (as with many student solutions); the final mapping check does.
	{
		gid3, gid4 := 503, 504
		c.Join(ck, map[int][]string{gid3: {"3a", "3b", "3c"}})
		c.Join(ck, map[int][]string{gid4: {"4a", "4b", "4c"}})
		for i := 0; i < ctrler.NShards; i++ {
			cf := c.Query(ck, -1)
			to := gid4
			if i < ctrler.NShards/2 {
				to = gid3
			}
			c.Move(ck, i, to)
			if cf.Shards[i] != to {
				if cf1 := c.Query(ck, -1); cf1.Num <= cf.Num {
					c.Fatalf(CheckMove, "Move should increase Config.Num (move %d -> %d: %d before, %d after)", i, to, cf.Num, cf1.Num)
				}
			}
		}
		cf2 := c.Query(ck, -1)
		for i := 0; i < ctrler.NShards; i++ {
			want := gid4
			if i < ctrler.NShards/2 {
				want = gid3
			}
			if cf2.Shards[i] != want {
				c.Fatalf(CheckMove, "expected shard %v on gid %v actually %v", i, want, cf2.Shards[i])
			}
		}
		c.Leave(ck, []int{gid3})
		c.Leave(ck, []int{gid4})
	}

	// Test: Concurrent leave/join.
	const npara = 10
	cka := make([]*ctrler.Clerk, npara)
	for i := range cka {
		cka[i] = c.MakeClient()
	}
	gids := make([]int, npara)
	for i := range gids {
		gids[i] = i*10 + 100
	}
	c.Parallel(cka, func(i int, q *sim.Proc) {
		gid := gids[i]
		sid1, sid2 := fmt.Sprintf("s%da", gid), fmt.Sprintf("s%db", gid)
		cka[i].Join(q, map[int][]string{gid + 1000: {sid1}})
		cka[i].Join(q, map[int][]string{gid: {sid2}})
		cka[i].Leave(q, []int{gid + 1000})
	})
	c.Check(ck, gids)

	// Test: Minimal transfers after joins.
	c1 := c.Query(ck, -1)
	var joined []int
	for i := 0; i < 5; i++ {
		gid := npara + 1 + i
		joined = append(joined, gid)
		// The original names the third server "%db" again; kept.
		c.Join(ck, map[int][]string{gid: {fmt.Sprintf("%da", gid), fmt.Sprintf("%db", gid), fmt.Sprintf("%db", gid)}})
	}
	c2 := c.Query(ck, -1)
	c.checkMinimal(npara, c1, c2, joined, true)

	// Test: Minimal transfers after leaves.
	for i := 0; i < 5; i++ {
		c.Leave(ck, []int{npara + 1 + i})
	}
	c3 := c.Query(ck, -1)
	c.checkMinimal(npara, c2, c3, joined, false)
	return nil
}

// CtrlerMulti is the shardmaster's TestMulti with every sub-step, on setup.
func CtrlerMulti(p *sim.Proc, setup Setup) error {
	const nservers = 3
	c := NewCtrlers(p, reliableNet(p.World()), nservers, setup)
	testLimit(c)
	ck := c.MakeClient()

	// Test: Multi-group join/leave. (cfa is filled in as in the original, which reads it
	// no further.)
	cfa := make([]ctrler.Config, 6)
	cfa[0] = c.Query(ck, -1)
	c.Check(ck, []int{})

	gid1, gid2 := 1, 2
	c.Join(ck, map[int][]string{gid1: {"x", "y", "z"}, gid2: {"a", "b", "c"}})
	c.Check(ck, []int{gid1, gid2})
	cfa[1] = c.Query(ck, -1)

	gid3 := 3
	c.Join(ck, map[int][]string{gid3: {"j", "k", "l"}})
	c.Check(ck, []int{gid1, gid2, gid3})
	cfa[2] = c.Query(ck, -1)

	cfx := c.Query(ck, -1)
	c.CheckServersOf(cfx, gid1, "x", "y", "z")
	c.CheckServersOf(cfx, gid2, "a", "b", "c")
	c.CheckServersOf(cfx, gid3, "j", "k", "l")

	c.Leave(ck, []int{gid1, gid3})
	c.Check(ck, []int{gid2})
	cfa[3] = c.Query(ck, -1)

	cfx = c.Query(ck, -1)
	c.CheckServersOf(cfx, gid2, "a", "b", "c")

	c.Leave(ck, []int{gid2})

	// Test: Concurrent multi leave/join.
	const npara = 10
	cka := make([]*ctrler.Clerk, npara)
	for i := range cka {
		cka[i] = c.MakeClient()
	}
	gids := make([]int, npara)
	for i := range gids {
		gids[i] = i + 1000
	}
	c.Parallel(cka, func(i int, q *sim.Proc) {
		gid := gids[i]
		cka[i].Join(q, map[int][]string{
			gid:        {fmt.Sprintf("%da", gid), fmt.Sprintf("%db", gid), fmt.Sprintf("%dc", gid)},
			gid + 1000: {fmt.Sprintf("%da", gid+1000)},
			gid + 2000: {fmt.Sprintf("%da", gid+2000)},
		})
		cka[i].Leave(q, []int{gid + 1000, gid + 2000})
	})
	c.Check(ck, gids)

	// Test: Minimal transfers after multijoins.
	c1 := c.Query(ck, -1)
	m := map[int][]string{}
	var joined []int
	for i := 0; i < 5; i++ {
		gid := npara + 1 + i
		joined = append(joined, gid)
		m[gid] = []string{fmt.Sprintf("%da", gid), fmt.Sprintf("%db", gid)}
	}
	c.Join(ck, m)
	c2 := c.Query(ck, -1)
	c.checkMinimal(npara, c1, c2, joined, true)

	// Test: Minimal transfers after multileaves.
	c.Leave(ck, joined)
	c3 := c.Query(ck, -1)
	c.checkMinimal(npara, c2, c3, joined, false)
	return nil
}
