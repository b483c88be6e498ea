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

var shapes = []faults.Shape{
	{Nodes: 1, Duration: 2 * time.Second, Base: netsim.Reliable()},
	{Nodes: 2, Duration: 500 * time.Millisecond, Base: netsim.Reliable()},
	{Nodes: 3, Duration: 10 * time.Second, Base: netsim.Reliable().WithLongDelays()},
	{Nodes: 5, Duration: 30 * time.Second, Base: netsim.Unreliable()},
	{Nodes: 7, Duration: 5 * time.Second, Base: netsim.Reliable()},
}

const profileSeeds = 25

func TestProfileNames(t *testing.T) {
	var names []string
	for _, p := range faults.Profiles() {
		names = append(names, p.Name)
		require.NotEmpty(t, p.Description)
		got, ok := faults.Lookup(p.Name)
		require.True(t, ok)
		require.Same(t, p, got)
	}
	require.Equal(t, []string{"crashes", "none", "partitions", "swarm", "test-coordinator-crash", "unreliable", "unreliable-plus"}, names)
	require.Equal(t, "crashes, none, partitions, swarm, test-coordinator-crash, unreliable, unreliable-plus", faults.Names())
	_, ok := faults.Lookup("chaos")
	require.False(t, ok)
	_, err := faults.Generate("chaos", sim.NewRand(1), shapes[0])
	require.ErrorContains(t, err, `unknown fault profile "chaos"`)
	require.ErrorContains(t, err, "swarm")
}

func TestEveryProfileGeneratesValidDeterministicPlans(t *testing.T) {
	for _, p := range faults.Profiles() {
		for _, shape := range shapes {
			t.Run(fmt.Sprintf("%s/%dnodes/%v", p.Name, shape.Nodes, shape.Duration), func(t *testing.T) {
				distinct := map[string]bool{}
				for seed := uint64(1); seed <= profileSeeds; seed++ {
					plan, err := faults.Generate(p.Name, sim.NewRand(seed), shape)
					require.NoError(t, err, "seed %d", seed)
					require.NoError(t, plan.Validate())
					require.Equal(t, p.Name, plan.Profile)
					require.Equal(t, shape.Nodes, plan.Nodes)
					require.Equal(t, shape.Duration, plan.Until)

					again, err := faults.Generate(p.Name, sim.NewRand(seed), shape)
					require.NoError(t, err)
					require.Equal(t, plan, again, "seed %d: the same seed made a different plan", seed)

					var last time.Duration
					for i, a := range plan.Actions {
						require.GreaterOrEqual(t, a.At, last, "action %d out of order", i)
						require.LessOrEqual(t, a.At, plan.Until, "action %d after the plan's end", i)
						last = a.At
					}
					if p.Name != "none" {
						requireEndsHealed(t, plan, shape)
					}
					roundTrip(t, plan)
					distinct[string(plan.JSON())] = true
				}
				big := shape.Nodes >= 3 && shape.Duration >= 5*time.Second
				if big && (p.Name == "partitions" || p.Name == "swarm" || p.Name == "crashes") {
					require.Greater(t, len(distinct), profileSeeds/2, "seeds barely change the plan")
				}
			})
		}
	}
}

// requireEndsHealed checks the plan's last actions: at Until the network is
// healed and back to the base conditions, every node resumed and restarted.
func requireEndsHealed(t *testing.T, plan faults.Plan, shape faults.Shape) {
	t.Helper()
	all := make([]int, shape.Nodes)
	for i := range all {
		all[i] = i
	}
	seen := map[faults.Kind]bool{}
	for _, a := range plan.Actions {
		if a.At != plan.Until {
			continue
		}
		seen[a.Kind] = true
		switch a.Kind {
		case faults.Network:
			require.Equal(t, shape.Base, *a.Net)
		case faults.Resume, faults.Restart:
			require.Equal(t, all, a.Nodes)
		}
	}
	for _, k := range []faults.Kind{faults.Heal, faults.Network, faults.Resume, faults.Restart} {
		require.True(t, seen[k], "no %s at the end of the plan", k)
	}
}

func roundTrip(t *testing.T, plan faults.Plan) {
	t.Helper()
	parsed, err := faults.ParsePlan(plan.JSON())
	require.NoError(t, err, "%s", plan.JSON())
	require.Equal(t, plan, parsed, "JSON round trip")
	require.Equal(t, string(plan.JSON()), string(parsed.JSON()))
}

func TestCrashesProfileKeepsAMajorityUp(t *testing.T) {
	for _, shape := range shapes {
		for seed := uint64(1); seed <= profileSeeds; seed++ {
			plan, err := faults.Generate("crashes", sim.NewRand(seed), shape)
			require.NoError(t, err)
			down := map[int]bool{}
			crashes := 0
			for _, a := range plan.Actions {
				if a.At == plan.Until {
					break
				}
				for _, n := range a.Nodes {
					switch a.Kind {
					case faults.Crash:
						require.False(t, down[n], "node %d crashed twice without a restart", n)
						down[n] = true
						crashes++
					case faults.Restart:
						down[n] = false
					}
				}
				count := 0
				for _, d := range down {
					if d {
						count++
					}
				}
				require.LessOrEqual(t, count, (shape.Nodes-1)/2, "seed %d at %v: a majority is down", seed, a.At)
			}
			if shape.Nodes >= 3 && shape.Duration >= 10*time.Second {
				require.Positive(t, crashes, "seed %d: a crashes plan that crashes nothing", seed)
			}
		}
	}
}

func TestPartitionsProfileTiming(t *testing.T) {
	shape := faults.Shape{Nodes: 5, Duration: 20 * time.Second, Base: netsim.Reliable()}
	plan, err := faults.Generate("partitions", sim.NewRand(3), shape)
	require.NoError(t, err)
	var prev time.Duration = -1
	parts := 0
	for _, a := range plan.Actions {
		if a.Kind != faults.Partition {
			continue
		}
		parts++
		require.Len(t, a.Groups, 2)
		require.Equal(t, shape.Nodes, len(a.Groups[0])+len(a.Groups[1]))
		if prev >= 0 {
			gap := a.At - prev
			require.GreaterOrEqual(t, gap, time.Second)
			require.LessOrEqual(t, gap, time.Second+199*time.Millisecond)
		}
		prev = a.At
	}
	require.GreaterOrEqual(t, parts, 16)
}

func TestUnreliableProfileUsesLabrpcConstants(t *testing.T) {
	shape := faults.Shape{Nodes: 3, Duration: time.Second, Base: netsim.Reliable().WithLongDelays()}
	plan, err := faults.Generate("unreliable", sim.NewRand(1), shape)
	require.NoError(t, err)
	first := plan.Actions[0]
	require.Equal(t, faults.Network, first.Kind)
	require.Zero(t, first.At)
	want := netsim.Unreliable()
	want.FailDelay = netsim.LongFailDelay // the scenario's fail delay is kept
	require.Equal(t, want, *first.Net)
}

// TestRequestFaultProfiles: the swarm and unreliable-plus profiles hold and
// duplicate requests, not only replies; the 6.824 profiles do not.
func TestRequestFaultProfiles(t *testing.T) {
	shape := faults.Shape{Nodes: 5, Duration: 10 * time.Second, Base: netsim.Reliable()}
	plus, err := faults.Generate("unreliable-plus", sim.NewRand(1), shape)
	require.NoError(t, err)
	c := *plus.Actions[0].Net
	require.Positive(t, c.LongDelayRequest)
	require.Positive(t, c.LateDuplicate)
	require.True(t, c.LongReordering)
	require.Equal(t, netsim.UnreliableDrop, c.DropRequest)

	var held, late int
	for seed := uint64(1); seed <= 100; seed++ {
		plan, err := faults.Generate("swarm", sim.NewRand(seed), shape)
		require.NoError(t, err)
		for _, a := range plan.Actions {
			if a.Kind == faults.Network && a.At < plan.Until {
				if a.Net.LongDelayRequest > 0 {
					held++
				}
				if a.Net.LateDuplicate > 0 {
					late++
				}
			}
		}
	}
	require.Greater(t, held, 10, "swarm seeds with long-delayed requests")
	require.Greater(t, late, 10, "swarm seeds with late duplicates")

	for _, name := range []string{"none", "unreliable", "partitions", "crashes"} {
		plan, err := faults.Generate(name, sim.NewRand(1), shape)
		require.NoError(t, err)
		for _, a := range plan.Actions {
			if a.Net != nil {
				require.Zero(t, a.Net.LongDelayRequest, name)
				require.Zero(t, a.Net.LateDuplicate, name)
			}
		}
	}
}

// TestSwarmDiskFaults: when the swarm turns storage faults on, every node's
// unsynced operations may survive reordered, and exactly one node (a
// minority) has its synced data corrupted, never one of fewer than three.
func TestSwarmDiskFaults(t *testing.T) {
	for _, nodes := range []int{1, 2, 3, 5, 7} {
		shape := faults.Shape{Nodes: nodes, Duration: 10 * time.Second, Base: netsim.Reliable()}
		on := 0
		for seed := uint64(1); seed <= 40; seed++ {
			plan, err := faults.Generate("swarm", sim.NewRand(seed), shape)
			require.NoError(t, err)
			model := map[int]sim.DiskFaults{}
			for _, a := range plan.Actions {
				if a.Kind == faults.Disk {
					for _, n := range a.Nodes {
						model[n] = *a.Disk
					}
				}
			}
			if len(model) == 0 {
				continue
			}
			on++
			require.Len(t, model, nodes, "seed %d: some node has no disk faults", seed)
			corrupt := 0
			for _, d := range model {
				require.True(t, d.Reorder && d.KeepSomeUnsynced, "seed %d", seed)
				if d.Corrupt {
					corrupt++
				}
			}
			if nodes >= 3 {
				require.Equal(t, 1, corrupt, "seed %d, %d nodes", seed, nodes)
			} else {
				require.Zero(t, corrupt, "seed %d: one of %d nodes is no minority", seed, nodes)
			}
		}
		require.Positive(t, on)
	}
}

func TestSwarmCoversManyMixes(t *testing.T) {
	shape := faults.Shape{Nodes: 5, Duration: 30 * time.Second, Base: netsim.Reliable()}
	mixes := map[string]bool{}
	kindsSeen := map[faults.Kind]bool{}
	for seed := uint64(1); seed <= 60; seed++ {
		plan, err := faults.Generate("swarm", sim.NewRand(seed), shape)
		require.NoError(t, err)
		kinds := map[faults.Kind]bool{}
		for _, a := range plan.Actions {
			if a.At < plan.Until {
				kinds[a.Kind] = true
				kindsSeen[a.Kind] = true
			}
		}
		mixes[fmt.Sprint(kinds)] = true
	}
	require.Greater(t, len(mixes), 15, "swarm seeds should cover many fault mixes")
	for _, k := range []faults.Kind{faults.Partition, faults.OneWay, faults.Isolate, faults.IsolateLdr, faults.Heal,
		faults.Crash, faults.Restart, faults.Pause, faults.Resume, faults.Network, faults.Clock, faults.Disk} {
		require.True(t, kindsSeen[k], "swarm never generated %s", k)
	}
}

func TestPlanString(t *testing.T) {
	plan, err := faults.Generate("swarm", sim.NewRand(7), shapes[3])
	require.NoError(t, err)
	s := plan.String()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	require.Len(t, lines, len(plan.Actions)+1)
	require.Contains(t, lines[0], `"swarm"`)
	for i, a := range plan.Actions {
		require.Contains(t, lines[i+1], string(a.Kind))
	}
	net := netsim.Unreliable()
	require.Contains(t, faults.Action{Kind: faults.Network, Net: &net}.String(), "drop=0.1/0.1")
	require.Contains(t, faults.Action{Kind: faults.OneWay, From: 1, To: 2}.String(), "1->2")
	require.Contains(t, faults.Action{Kind: faults.Crash, Nodes: []int{4}}.String(), "crash [4]")
	require.Contains(t, faults.Action{Kind: faults.Disk, Nodes: []int{0}, Disk: &sim.DiskFaults{TearLast: true}}.String(), "tear-last=true")
}

// A small rate a shrink leaves behind must not print as zero.
func TestSmallRatesPrintExactly(t *testing.T) {
	net := netsim.Conditions{LateDuplicate: 0.0015625}
	require.Contains(t, faults.Action{Kind: faults.Network, Net: &net}.String(), "latedup=0.0015625")
}
