package faults_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// tracedTarget is target with a trace: n nodes named raft0..raft{n-1}, and
// the records the run traced.
func tracedTarget(n int, leader func() int) (faults.Target, *[]sim.Record) {
	var recs []sim.Record
	w := sim.NewWorld(sim.Options{Seed: 3, MaxTime: time.Hour, Trace: func(r sim.Record) { recs = append(recs, r) }})
	net := netsim.New(w)
	t := faults.Target{World: w, Net: net, Leader: leader}
	for i := 0; i < n; i++ {
		node := w.AddNode(fmt.Sprint("raft", i), func(*sim.Node) {})
		net.Attach(node)
		w.Start(node)
		t.Nodes = append(t.Nodes, node)
	}
	return t, &recs
}

// marks returns the marks among recs as "at kind node[>peer] #id text".
func marks(recs []sim.Record) []string {
	var out []string
	for _, r := range recs {
		if m := r.Mark; m != nil && m.Kind != faults.MarkPlan && m.Kind != sim.MarkStart {
			s := fmt.Sprintf("%v %s %s", r.At, m.Kind, m.Node)
			if m.Peer != "" {
				s += ">" + m.Peer
			}
			if m.ID != 0 {
				s += fmt.Sprintf(" #%d", m.ID)
			}
			out = append(out, s+" "+m.Text)
		}
	}
	return out
}

// TestInstallMarksActionsWithNodeNames: every action applied is a structured
// trace mark naming its nodes, cuts and their heals share an ID, and the
// plan itself is a mark that parses back to the applied plan.
func TestInstallMarksActionsWithNodeNames(t *testing.T) {
	ms := time.Millisecond
	tg, recs := tracedTarget(3, func() int { return 2 })
	net := netsim.Unreliable()
	plan := faults.Plan{Profile: "hand", Nodes: 3, Until: time.Second, Actions: []faults.Action{
		{At: 50 * ms, Kind: faults.Disk, Nodes: []int{2}, Disk: &sim.DiskFaults{KeepSomeUnsynced: true}},
		{At: 100 * ms, Kind: faults.Crash, Nodes: []int{1}},
		{At: 200 * ms, Kind: faults.Partition, Groups: [][]int{{0, 1}, {2}}},
		{At: 300 * ms, Kind: faults.OneWay, From: 0, To: 1},
		{At: 400 * ms, Kind: faults.Heal},
		{At: 500 * ms, Kind: faults.IsolateLdr},
		{At: 600 * ms, Kind: faults.Network, Net: &net},
		{At: 700 * ms, Kind: faults.Clock, Nodes: []int{0}, Offset: time.Second, Drift: 0.001},
		{At: 800 * ms, Kind: faults.Restart, Nodes: []int{0, 1, 2}},
		{At: 820 * ms, Kind: faults.Pause, Nodes: []int{2}},
		{At: 850 * ms, Kind: faults.Resume, Nodes: []int{0, 1, 2}},
		{At: 900 * ms, Kind: faults.Heal},
	}}
	applied, err := faults.InstallPlan(tg, plan)
	require.NoError(t, err)
	require.Equal(t, []string{"raft0", "raft1", "raft2"}, applied.Names, "the applied plan is named after the target")
	require.Nil(t, tg.World.Run())

	require.Equal(t, []string{
		"50ms fault raft2 disk raft2 keep-some-unsynced=true tear-last=false reorder=false corrupt=false",
		"100ms fault raft1 crash raft1",
		"100ms crash raft1 crash",
		// A partition is marked on every node it cuts off from another.
		"200ms partition raft0 #1 partition [raft0 raft1] | [raft2]",
		"200ms partition raft1 #1 partition [raft0 raft1] | [raft2]",
		"200ms partition raft2 #1 partition [raft0 raft1] | [raft2]",
		"300ms partition raft0>raft1 #2 one-way raft0->raft1",
		"400ms heal raft0 #1 heal (cut 1)",
		"400ms heal raft1 #1 heal (cut 1)",
		"400ms heal raft2 #1 heal (cut 1)",
		"400ms heal raft0 #2 heal (cut 2)",
		"500ms partition raft2 #3 isolate-leader raft2",
		// The network and the kernel mark the changes themselves.
		"600ms link  net conditions delay 0s-26ms, fail after <100ms, request loss 10%, reply loss 10%",
		"600ms fault  network delay=0s..26ms drop=0.1/0.1 dup=0 longreorder=false longdelayreq=0 latedup=0 faildelay=100ms",
		"700ms clock raft0 clock offset 1s drift +0.1%",
		"700ms fault raft0 clock raft0 offset=1s drift=0.001",
		// Only raft1 was crashed by the plan: the others are left alone.
		"800ms fault raft1 restart raft1",
		"820ms fault raft2 pause raft2",
		"820ms pause raft2 pause",
		// Only raft2 was paused: resuming the others is not marked.
		"850ms fault raft2 resume raft2",
		"850ms resume raft2 resume",
		"900ms heal raft2 #3 heal (cut 3)",
	}, marks(*recs))

	var got []faults.Plan
	for _, r := range *recs {
		if p, ok := faults.PlanFromRecord(r); ok {
			got = append(got, p)
		}
	}
	require.Equal(t, []faults.Plan{applied}, got, "one plan mark, the applied plan")
}

// TestInstallMatchesNamedPlansByName: a plan naming its nodes acts on the
// nodes it names, in whatever order it lists them; a name the target lacks
// is an error listing the target's names, and nothing is installed.
func TestInstallMatchesNamedPlansByName(t *testing.T) {
	tg, recs := tracedTarget(3, nil)
	plan, err := faults.ParsePlan([]byte(`{"profile": "hand", "nodes": ["raft2", "raft0", "raft1"], "until": "1s",
		"actions": [{"at": "100ms", "kind": "crash", "nodes": ["raft0"]},
		            {"at": "200ms", "kind": "one-way", "from": "raft2", "to": "raft1"},
		            {"at": "300ms", "kind": "partition", "groups": [["raft1"], ["raft2", "raft0"]]}]}`))
	require.NoError(t, err)
	applied, err := faults.InstallPlan(tg, plan)
	require.NoError(t, err)
	require.Equal(t, []int{0}, applied.Actions[0].Nodes)
	require.Equal(t, [2]int{2, 1}, [2]int{applied.Actions[1].From, applied.Actions[1].To})
	require.Equal(t, [][]int{{1}, {2, 0}}, applied.Actions[2].Groups)
	tg.World.Schedule(150*time.Millisecond, "probe", func() {
		require.False(t, tg.Nodes[0].Up(), "raft0 is the node named raft0")
		require.True(t, tg.Nodes[2].Up())
	})
	require.Nil(t, tg.World.Run())
	require.Contains(t, strings.Join(marks(*recs), "\n"), "one-way raft2->raft1")

	tg, _ = tracedTarget(3, nil)
	plan.Names[1] = "kv0"
	err = faults.Install(tg, plan)
	require.ErrorContains(t, err, `the plan names node "kv0", the scenario's nodes are raft0, raft1, raft2`)
	require.ErrorIs(t, err, sim.ErrBadInput)
}

// TestTracingChangesNoRun: the marks exist only while tracing, and a traced
// run has the hash of an untraced one.
func TestTracingChangesNoRun(t *testing.T) {
	shape := faults.Shape{Nodes: 5, Duration: 10 * time.Second, Base: netsim.Reliable()}
	run := func(traced bool) uint64 {
		tg, recs := tracedTarget(5, func() int { return 1 })
		if !traced {
			tg, _ = target(3, 5, func() int { return 1 })
		}
		plan, err := faults.Generate("swarm", sim.NewRand(3).Fork("faults/swarm"), shape)
		require.NoError(t, err)
		require.NoError(t, faults.Install(tg, plan))
		require.Nil(t, tg.World.Run())
		if traced {
			require.NotEmpty(t, marks(*recs))
		}
		return tg.World.Hash()
	}
	require.Equal(t, run(false), run(true))
}
