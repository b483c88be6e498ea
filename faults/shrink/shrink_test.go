package shrink_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/faults/shrink"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

const ms = time.Millisecond

// bigPlan is a plan of 40 fault actions on 5 nodes, ending with the healing
// tail every profile ends with.
func bigPlan() faults.Plan {
	base := netsim.Reliable()
	lossy := base
	lossy.DropRequest, lossy.Duplicate, lossy.LongReordering = 0.1, 0.05, true
	var acts []faults.Action
	acts = append(acts, faults.Action{At: 0, Kind: faults.Network, Net: &lossy})
	for k := 0; k < 13; k++ {
		at := time.Duration(k+1) * 700 * ms
		n := k % 5
		acts = append(acts,
			faults.Action{At: at, Kind: faults.Crash, Nodes: []int{n}},
			faults.Action{At: at + 300*ms, Kind: faults.Restart, Nodes: []int{n}},
			faults.Action{At: at + 350*ms, Kind: faults.Partition, Groups: [][]int{{0, 1, 2}, {3, 4}}})
	}
	slices.SortStableFunc(acts, func(a, b faults.Action) int { return int(a.At - b.At) })
	until := 10 * time.Second
	all := []int{0, 1, 2, 3, 4}
	acts = append(acts,
		faults.Action{At: until, Kind: faults.Heal},
		faults.Action{At: until, Kind: faults.Network, Net: &base},
		faults.Action{At: until, Kind: faults.Resume, Nodes: all},
		faults.Action{At: until, Kind: faults.Restart, Nodes: all})
	return faults.Plan{Profile: "test", Nodes: 5, Until: until, Actions: acts}
}

// failsWhen returns a RunFunc whose run fails check "x/bug" at 9 s when
// bug(plan) holds, and passes otherwise; it counts its runs.
func failsWhen(bug func(faults.Plan) bool, runs *atomic.Int64) shrink.RunFunc {
	return func(p faults.Plan, _ map[string]int) sim.Result {
		runs.Add(1)
		if bug(p) {
			return sim.Result{Outcome: sim.Fail, Failure: &sim.Failure{Check: "x/bug", At: 9 * time.Second, Err: errors.New("bug")}}
		}
		return sim.Result{Outcome: sim.Pass}
	}
}

// crashedFor reports whether the plan crashes node n and restarts it at
// least d later, before its healing tail: the bug of the tests below.
func crashedFor(p faults.Plan, n int, d time.Duration) bool {
	acts := p.Actions[:len(p.Actions)-shrink.Tail(p)]
	for i, a := range acts {
		if a.Kind == faults.Crash && slices.Contains(a.Nodes, n) {
			for _, b := range acts[i+1:] {
				if b.Kind == faults.Restart && slices.Contains(b.Nodes, n) {
					if b.At-a.At >= d {
						return true
					}
					break
				}
			}
		}
	}
	return false
}

// TestShrinkFindsTheActionsTheBugNeeds: a bug that needs node 3 down for
// 100 ms shrinks to one crash and one restart of node 3, the restart moved
// as close to the crash as still fails (100-200 ms after it), every other
// action gone, the tail kept.
func TestShrinkFindsTheActionsTheBugNeeds(t *testing.T) {
	plan := bigPlan()
	var runs atomic.Int64
	run := failsWhen(func(p faults.Plan) bool { return crashedFor(p, 3, 100*ms) }, &runs)
	first := run(plan, nil)
	require.False(t, first.Passed())
	var steps []shrink.Step
	res := shrink.Shrink(context.Background(), plan, first, run, shrink.Options{Progress: func(s shrink.Step) { steps = append(steps, s) }})
	require.Equal(t, "", res.Stopped, "the search ran to its end")
	require.Equal(t, 40, res.Before)
	require.Equal(t, 2, res.After, "%s", res.Plan)
	require.Equal(t, shrink.Target{Outcome: sim.Fail, Check: "x/bug"}, res.Target)
	require.True(t, res.Target.Same(res.Run))
	crash, restart := res.Plan.Actions[0], res.Plan.Actions[1]
	require.Equal(t, faults.Crash, crash.Kind)
	require.Equal(t, []int{3}, crash.Nodes)
	require.Equal(t, faults.Restart, restart.Kind)
	gap := restart.At - crash.At
	require.True(t, gap >= 100*ms && gap < 200*ms, "restart %v after the crash", gap)
	require.Equal(t, plan.Actions[len(plan.Actions)-4:], res.Plan.Actions[2:], "the tail is kept")
	require.NoError(t, res.Plan.Validate())
	require.Equal(t, int(runs.Load())-1, res.Runs, "every run but the first is the search's")
	require.Equal(t, res.Steps, steps, "Progress saw every step")
	require.NotEmpty(t, steps)
	require.Equal(t, "truncate", steps[0].Phase, "the actions after the failure at 9 s go first")
}

// TestShrinkSimplifiesActions: node sets, partitions, network rates, clock
// skew and disk faults shrink to what the bug needs.
func TestShrinkSimplifiesActions(t *testing.T) {
	base := netsim.Reliable()
	lossy := base
	lossy.DropRequest, lossy.DropReply, lossy.LateDuplicate, lossy.LongReordering = 0.15, 0.1, 0.05, true
	disk := sim.DiskFaults{KeepSomeUnsynced: true, TearLast: true, Reorder: true, Corrupt: true}
	plan := faults.Plan{Profile: "test", Nodes: 5, Until: 5 * time.Second, Actions: []faults.Action{
		{At: 0, Kind: faults.Network, Net: &lossy},
		{At: 0, Kind: faults.Disk, Nodes: []int{0, 1, 2, 3, 4}, Disk: &disk},
		{At: 100*ms + 123456, Kind: faults.Clock, Nodes: []int{1, 2}, Offset: 30 * time.Second, Drift: 0.008},
		{At: 1 * time.Second, Kind: faults.Partition, Groups: [][]int{{0, 4}, {1, 2, 3}}},
		{At: 2 * time.Second, Kind: faults.Heal},
		{At: 5 * time.Second, Kind: faults.Heal},
		{At: 5 * time.Second, Kind: faults.Network, Net: &base},
	}}
	// The bug: some loss of requests, a torn write on node 2, node 2's clock
	// ahead, and node 0 cut off from node 1 for a while.
	bug := func(p faults.Plan) bool {
		var loss, torn, ahead, cut bool
		for i, a := range p.Actions[:len(p.Actions)-2] {
			switch a.Kind {
			case faults.Network:
				loss = a.Net.DropRequest > 0
			case faults.Disk:
				torn = torn || (a.Disk.TearLast && slices.Contains(a.Nodes, 2))
			case faults.Clock:
				ahead = ahead || (a.Offset > 0 && slices.Contains(a.Nodes, 2))
			case faults.Partition:
				for _, g := range a.Groups {
					if slices.Contains(g, 0) && !slices.Contains(g, 1) && i+1 < len(p.Actions) {
						cut = true
					}
				}
			}
		}
		return loss && torn && ahead && cut
	}
	var runs atomic.Int64
	run := failsWhen(bug, &runs)
	res := shrink.Shrink(context.Background(), plan, run(plan, nil), run, shrink.Options{})
	require.Equal(t, "", res.Stopped)
	require.Equal(t, 4, res.After, "%s", res.Plan)
	got := map[faults.Kind]faults.Action{}
	for _, a := range res.Plan.Actions[:4] {
		got[a.Kind] = a
	}
	net := got[faults.Network].Net
	require.Positive(t, net.DropRequest)
	require.Less(t, net.DropRequest, 0.15, "halved toward none")
	require.Zero(t, net.DropReply)
	require.Zero(t, net.LateDuplicate)
	require.False(t, net.LongReordering)
	require.Equal(t, []int{2}, got[faults.Disk].Nodes)
	require.Equal(t, sim.DiskFaults{TearLast: true}, *got[faults.Disk].Disk)
	clock := got[faults.Clock]
	require.Equal(t, []int{2}, clock.Nodes)
	require.Zero(t, clock.Drift)
	require.Positive(t, clock.Offset)
	require.Less(t, clock.Offset, time.Second, "halved as far as it still fails")
	require.Zero(t, clock.At%time.Millisecond, "rounded to the millisecond")
	part := got[faults.Partition]
	require.Len(t, part.Groups, 2)
	require.Equal(t, []int{0}, part.Groups[0], "only node 0 cut off: %v", part.Groups)
	require.NoError(t, res.Plan.Validate())
}

// TestShrinkBudgetKeepsTheBestPlan: when the run budget runs out, the
// result is the smallest failing plan found so far, and says so.
func TestShrinkBudgetKeepsTheBestPlan(t *testing.T) {
	plan := bigPlan()
	var runs atomic.Int64
	run := failsWhen(func(p faults.Plan) bool { return crashedFor(p, 3, 100*ms) }, &runs)
	first := run(plan, nil)
	res := shrink.Shrink(context.Background(), plan, first, run, shrink.Options{MaxRuns: 6})
	require.Equal(t, "max-runs", res.Stopped)
	require.Equal(t, 6, res.Runs)
	require.Less(t, res.After, res.Before)
	require.True(t, res.Target.Same(res.Run))
	require.True(t, crashedFor(res.Plan, 3, 100*ms), "the kept plan still fails")

	// The wall-time budget, on a fake clock that advances a second a read.
	now := time.Unix(0, 0)
	clock := func() time.Time { now = now.Add(time.Second); return now }
	res = shrink.Shrink(context.Background(), plan, first, run, shrink.Options{MaxTime: 5 * time.Second, Now: clock})
	require.Equal(t, "max-time", res.Stopped)
	require.True(t, crashedFor(res.Plan, 3, 100*ms))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res = shrink.Shrink(ctx, plan, first, run, shrink.Options{})
	require.Equal(t, "interrupted", res.Stopped)
	require.Equal(t, plan, res.Plan)
}

// TestShrinkParallelGivesTheSamePlan: the result depends on the verdicts,
// not on how many candidates run at once.
func TestShrinkParallelGivesTheSamePlan(t *testing.T) {
	plan := bigPlan()
	var runs atomic.Int64
	bug := func(p faults.Plan) bool { return crashedFor(p, 3, 100*ms) && crashedFor(p, 1, 200*ms) }
	run := failsWhen(bug, &runs)
	first := run(plan, nil)
	one := shrink.Shrink(context.Background(), plan, first, run, shrink.Options{})
	four := shrink.Shrink(context.Background(), plan, first, run, shrink.Options{Parallel: 4})
	require.Equal(t, 4, one.After, "%s", one.Plan)
	require.Equal(t, one.Plan, four.Plan)
	require.Equal(t, len(one.Steps), len(four.Steps))
}

// TestShrinkKeepsTheSameCheck: a candidate that fails another check (or
// the same check with another outcome) is not taken.
func TestShrinkKeepsTheSameCheck(t *testing.T) {
	plan := bigPlan()
	run := func(p faults.Plan, _ map[string]int) sim.Result {
		switch {
		case crashedFor(p, 3, 100*ms) && crashedFor(p, 4, 100*ms):
			return sim.Result{Outcome: sim.Fail, Failure: &sim.Failure{Check: "x/bug", At: 9 * time.Second, Err: errors.New("bug")}}
		case crashedFor(p, 3, 100*ms):
			return sim.Result{Outcome: sim.Fail, Failure: &sim.Failure{Check: "x/other", Err: errors.New("other")}}
		case crashedFor(p, 4, 100*ms):
			return sim.Result{Outcome: sim.Panic, Failure: &sim.Failure{Check: "x/bug", Err: errors.New("panic")}}
		}
		return sim.Result{Outcome: sim.Pass}
	}
	res := shrink.Shrink(context.Background(), plan, run(plan, nil), run, shrink.Options{})
	require.Equal(t, 4, res.After, "%s", res.Plan)
	require.Equal(t, "x/bug", res.Run.Failure.Check)
	require.Equal(t, sim.Fail, res.Run.Outcome)
}

// TestShrinkOfAPassingRunIsNothing: nothing to shrink, no run made.
func TestShrinkOfAPassingRunIsNothing(t *testing.T) {
	plan := bigPlan()
	var runs atomic.Int64
	run := failsWhen(func(faults.Plan) bool { return true }, &runs)
	res := shrink.Shrink(context.Background(), plan, sim.Result{Outcome: sim.Pass}, run, shrink.Options{})
	require.Zero(t, runs.Load())
	require.Equal(t, plan, res.Plan)
	require.Equal(t, res.Before, res.After)
}

func TestTail(t *testing.T) {
	plan := bigPlan()
	require.Equal(t, 4, shrink.Tail(plan))
	plan.Actions = plan.Actions[:len(plan.Actions)-4]
	require.Equal(t, 0, shrink.Tail(plan), fmt.Sprint(plan.Actions[len(plan.Actions)-1]))
}

// TestShrinkLowersKnobs: workload knobs go down to what the bug needs, and
// the plan with them.
func TestShrinkLowersKnobs(t *testing.T) {
	plan := bigPlan()
	clients := sim.Knob{Name: "clients", Default: 3, Min: 0, Max: 20}
	keys := sim.Knob{Name: "keys", Default: 5, Min: 1, Max: 10}
	var runs atomic.Int64
	// The bug needs at least 2 clients (the default 3 is not set), any
	// number of keys, and node 3 down for 100 ms.
	run := func(p faults.Plan, knobs map[string]int) sim.Result {
		runs.Add(1)
		c, ok := knobs["clients"]
		if !ok {
			c = 3
		}
		if c >= 2 && crashedFor(p, 3, 100*ms) {
			return sim.Result{Outcome: sim.Fail, Failure: &sim.Failure{Check: "x/bug", At: 9 * time.Second, Err: errors.New("bug")}}
		}
		return sim.Result{Outcome: sim.Pass}
	}
	start := map[string]int{"keys": 9}
	res := shrink.Shrink(context.Background(), plan, run(plan, start), run,
		shrink.Options{Knobs: []sim.Knob{clients, keys}, KnobValues: start})
	require.Equal(t, "", res.Stopped)
	require.Equal(t, map[string]int{"clients": 2, "keys": 1}, res.Knobs)
	require.Equal(t, 2, res.After)
	require.Equal(t, map[string]int{"keys": 9}, start, "the caller's map is not changed")
	var knobSteps []string
	for _, s := range res.Steps {
		if s.Phase == "knobs" {
			knobSteps = append(knobSteps, s.What)
		}
	}
	require.Equal(t, []string{"knob clients 3 -> 2", "knob keys 9 -> 1"}, knobSteps)
}
