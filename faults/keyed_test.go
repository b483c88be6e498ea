package faults_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// echoMsg is a request stamped with the time its caller sent it.
type echoMsg struct{ Sent time.Duration }

func (m *echoMsg) Size() int  { return 8 }
func (m *echoMsg) Clone() any { return &echoMsg{Sent: m.Sent} }

// linkEvent is one thing that happened to a call on a link: a copy of its
// request reached the handler, or the caller was told the outcome.
type linkEvent struct {
	at   time.Duration
	what string
}

// tickEvery is the workload's period. It is not a divisor of any action's
// time difference (actions are at whole milliseconds), so no call is sent at
// the instant of a fault: which of two events at one instant runs first is
// the kernel's tiebreak, not the network's draws this test is about.
const tickEvery = 7013 * time.Microsecond

// linkFates runs a fixed workload under plan on 5 target nodes: every
// tickEvery each running node calls every other one. It returns what
// happened on each directed link, call by call.
func linkFates(t *testing.T, plan faults.Plan) map[[2]int][]linkEvent {
	const n = 5
	w := sim.NewWorld(sim.Options{Seed: 7, MaxTime: time.Hour})
	net := netsim.New(w)
	net.SetConditions(netsim.Conditions{DelayMin: time.Millisecond, DelayMax: 30 * time.Millisecond,
		DropRequest: 0.2, DropReply: 0.2, Duplicate: 0.2, LongReordering: true,
		LongDelayRequest: 0.1, LateDuplicate: 0.1, FailDelay: netsim.ShortFailDelay})
	fates := map[[2]int][]linkEvent{}
	eps := make([]*netsim.Endpoint, n)
	tg := faults.Target{World: w, Net: net}
	for i := 0; i < n; i++ {
		node := w.AddNode(fmt.Sprint("s", i), func(node *sim.Node) {
			eps[i].Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
				k := [2]int{req.From, i}
				fates[k] = append(fates[k], linkEvent{w.Now(), fmt.Sprint("request of ", req.Args.(*echoMsg).Sent)})
				respond(req.Args.(*echoMsg))
			})
			var tick func()
			tick = func() {
				if w.Now() > 3*time.Second {
					return
				}
				for j := 0; j < n; j++ {
					if j == i {
						continue
					}
					k := [2]int{i, j}
					sent := w.Now()
					eps[i].Call(j, "Echo", &echoMsg{Sent: sent}, func(reply any, ok bool) {
						fates[k] = append(fates[k], linkEvent{w.Now(), fmt.Sprint("outcome of ", sent, ": ", ok)})
					})
				}
				node.After(tickEvery, "tick", tick)
			}
			node.After(tickEvery, "tick", tick)
		})
		eps[i] = net.Attach(node)
		tg.Nodes = append(tg.Nodes, node)
	}
	for _, node := range tg.Nodes {
		w.Start(node)
	}
	require.NoError(t, faults.Install(tg, plan))
	require.Nil(t, w.Run())
	for k := range fates {
		// Events at one instant may run in either order (the kernel's
		// tiebreak): compare them as sets.
		slices.SortFunc(fates[k], func(a, b linkEvent) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return strings.Compare(a.what, b.what)
		})
	}
	return fates
}

// TestRemovingAnActionLeavesUnrelatedFatesAlone is the property shrinking
// stands on: remove any one action from a plan, and every call on a link
// between nodes the action does not touch has the same fate (loss, delay,
// duplication, long holds) at the same times as before.
func TestRemovingAnActionLeavesUnrelatedFatesAlone(t *testing.T) {
	ms := time.Millisecond
	disk := sim.DiskFaults{KeepSomeUnsynced: true}
	plan := faults.Plan{Profile: "hand", Nodes: 5, Until: 3 * time.Second, Actions: []faults.Action{
		{At: 100 * ms, Kind: faults.Crash, Nodes: []int{4}},
		{At: 150 * ms, Kind: faults.OneWay, From: 3, To: 2},
		{At: 200 * ms, Kind: faults.Disk, Nodes: []int{1}, Disk: &disk},
		{At: 300 * ms, Kind: faults.Pause, Nodes: []int{3}},
		{At: 500 * ms, Kind: faults.Restart, Nodes: []int{4}},
		{At: 700 * ms, Kind: faults.Clock, Nodes: []int{0}, Offset: time.Second, Drift: 0.01},
		{At: 900 * ms, Kind: faults.Resume, Nodes: []int{3}},
		{At: 1100 * ms, Kind: faults.Isolate, Nodes: []int{2}},
		{At: 1300 * ms, Kind: faults.Crash, Nodes: []int{1}},
		{At: 1700 * ms, Kind: faults.Partition, Groups: [][]int{{0, 1, 2}, {3, 4}}},
		{At: 2000 * ms, Kind: faults.Restart, Nodes: []int{1}},
		// The end of every plan, not a candidate for removal: all healed.
		{At: 3 * time.Second, Kind: faults.Heal},
		{At: 3 * time.Second, Kind: faults.Resume, Nodes: []int{0, 1, 2, 3, 4}},
		{At: 3 * time.Second, Kind: faults.Restart, Nodes: []int{0, 1, 2, 3, 4}},
	}}
	// The nodes each action touches. A partition touches the nodes whose
	// links it changes: here, those on either side of the cut.
	touches := [][]int{{4}, {3, 2}, {1}, {3}, {4}, {0}, {3}, {2}, {1}, {0, 1, 2, 3, 4}, {1}}
	require.Len(t, touches, len(plan.Actions)-3)

	full := linkFates(t, plan)
	changed := 0
	for k := range touches {
		smaller := plan
		smaller.Actions = slices.Delete(slices.Clone(plan.Actions), k, k+1)
		got := linkFates(t, smaller)
		for from := 0; from < 5; from++ {
			for to := 0; to < 5; to++ {
				l := [2]int{from, to}
				if from == to {
					continue
				}
				if slices.Contains(touches[k], from) || slices.Contains(touches[k], to) {
					if !slices.Equal(full[l], got[l]) {
						changed++
					}
					continue
				}
				require.NotEmpty(t, full[l])
				require.Equal(t, full[l], got[l], "removing %v changed the fates on link %d->%d", plan.Actions[k], from, to)
			}
		}
	}
	require.Positive(t, changed, "removing actions changed nothing: the workload does not see the faults")
}
