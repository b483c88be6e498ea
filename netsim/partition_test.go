package netsim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// netOp is one step of a random network workload.
type netOp struct {
	at       time.Duration
	kind     string // call, link, partition, disconnect, connect, heal
	from, to int
	up       bool
	sides    []int // partition: each node's group, 0 = in none
}

const propNodes = 4

var netOpGen = rapid.Custom(func(t *rapid.T) netOp {
	return netOp{
		at:    time.Duration(rapid.IntRange(0, 300).Draw(t, "at")) * time.Millisecond,
		kind:  rapid.SampledFrom([]string{"call", "call", "call", "link", "partition", "disconnect", "connect", "heal"}).Draw(t, "kind"),
		from:  rapid.IntRange(0, propNodes-1).Draw(t, "from"),
		to:    rapid.IntRange(0, propNodes-1).Draw(t, "to"),
		up:    rapid.Bool().Draw(t, "up"),
		sides: rapid.SliceOfN(rapid.IntRange(0, 2), propNodes, propNodes).Draw(t, "sides"),
	}
})

var conditionVariants = []netsim.Conditions{
	netsim.Reliable(),
	netsim.Unreliable(),
	{DelayMin: time.Millisecond, DelayMax: 40 * time.Millisecond, Duplicate: 0.5, LongReordering: true, FailDelay: netsim.ShortFailDelay},
	netsim.Unreliable().WithLongDelays(),
}

// TestNoMessageCrossesAPartition is a property over random partitions,
// one-way cuts and calls: every handler invocation is of a call whose
// directed link was up when it was sent and is up as it is delivered
// (labrpc checks the link at send and again at delivery), every positive
// reply comes from a handler that ran, and every call ends exactly once.
func TestNoMessageCrossesAPartition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		cond := rapid.SampledFrom(conditionVariants).Draw(t, "conditions")
		ops := rapid.SliceOfN(netOpGen, 1, 60).Draw(t, "ops")

		type sent struct {
			from, to int
			linkUp   bool
		}
		var calls []sent
		handled := map[int]int{}
		var violations []string
		var c *cluster
		c = newCluster(seed, propNodes, func(i int, ep *netsim.Endpoint) {
			ep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
				id := req.Args.(*msg).ID
				s := calls[id]
				handled[id]++
				switch {
				case s.from != req.From || s.to != i:
					violations = append(violations, fmt.Sprintf("call %d %d->%d delivered to %d from %d", id, s.from, s.to, i, req.From))
				case !s.linkUp:
					violations = append(violations, fmt.Sprintf("%v: call %d %d->%d sent over a down link reached its handler", c.w.Now(), id, s.from, s.to))
				case !c.net.LinkUp(req.From, i):
					violations = append(violations, fmt.Sprintf("%v: call %d %d->%d delivered over a down link", c.w.Now(), id, s.from, s.to))
				}
				echo(req, respond)
			})
		})
		c.net.SetConditions(cond)
		var outs []*outcome
		for _, op := range ops {
			c.w.Schedule(op.at, op.kind, func() {
				switch op.kind {
				case "call":
					id := len(calls)
					calls = append(calls, sent{op.from, op.to, c.net.LinkUp(op.from, op.to)})
					outs = append(outs, c.call(op.from, op.to, "Echo", &msg{ID: id}))
				case "link":
					c.net.SetLink(op.from, op.to, op.up)
				case "partition":
					groups := make([][]int, 3)
					for node, side := range op.sides {
						if side > 0 {
							groups[side] = append(groups[side], node)
						}
					}
					c.net.Partition(groups[1], groups[2])
				case "disconnect":
					c.net.Disconnect(op.from)
				case "connect":
					c.net.Connect(op.from, nil)
				case "heal":
					c.net.Heal()
				}
			})
		}
		require.Nil(t, c.w.Run())
		require.Empty(t, violations)
		for id, o := range outs {
			require.Equal(t, 1, o.times, "call %d ended %d times", id, o.times)
			if o.ok {
				require.Positive(t, handled[id], "call %d got a positive reply without its handler running", id)
				require.Equal(t, &msg{ID: id}, o.reply)
			}
			if cond.Duplicate == 0 {
				require.LessOrEqual(t, handled[id], 1)
			}
		}
		s := c.net.Stats()
		require.Equal(t, len(calls), s.Calls)
	})
}

func TestPartitionSemantics(t *testing.T) {
	c := newCluster(1, 5, nil)
	n := c.net
	up := func() [][]bool {
		out := make([][]bool, 5)
		for i := range out {
			out[i] = make([]bool, 5)
			for j := range out[i] {
				out[i][j] = n.LinkUp(i, j)
			}
		}
		return out
	}
	allUp := func() {
		for i, row := range up() {
			for j, u := range row {
				require.True(t, u, "%d->%d down", i, j)
			}
		}
	}
	allUp()

	n.Partition([]int{0, 1}, []int{2, 3}) // 4 is in no group: cut off from all
	for i, row := range up() {
		for j, u := range row {
			same := i == j || (i < 2 && j < 2) || (i >= 2 && i < 4 && j >= 2 && j < 4)
			require.Equal(t, same, u, "after Partition, %d->%d", i, j)
		}
	}
	n.Heal()
	allUp()

	n.Disconnect(2)
	for i, row := range up() {
		for j, u := range row {
			require.Equal(t, i == j || (i != 2 && j != 2), u, "after Disconnect(2), %d->%d", i, j)
		}
	}
	n.Disconnect(3)
	// 6.824's connect(2) joins 2 only with the connected nodes.
	n.Connect(2, func(j int) bool { return j != 3 })
	require.True(t, n.LinkUp(2, 0))
	require.True(t, n.LinkUp(0, 2))
	require.False(t, n.LinkUp(2, 3))
	require.False(t, n.LinkUp(3, 2))
	n.Connect(3, nil)
	allUp()

	n.SetLink(0, 1, false)
	require.False(t, n.LinkUp(0, 1))
	require.True(t, n.LinkUp(1, 0), "a one-way cut leaves the other direction up")
	n.SetLink(0, 1, true)
	allUp()

	// Links of nodes beyond those attached are up until cut.
	require.True(t, n.LinkUp(0, 99))
	n.SetLink(0, 7, false)
	require.False(t, n.LinkUp(0, 7))
	require.True(t, n.LinkUp(7, 0))
}

// TestPartitionManyNodes: Partition over more nodes than one word of link
// bits holds, with nodes named in two groups (the later one counts) and
// nodes in none, cuts exactly the links the rule says; a node attached
// after it has its links up and leaves the others' as they were; Heal
// restores every link.
func TestPartitionManyNodes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Sizes at the edges of the 64-link words, where a bit beyond the
		// last node, left set, would cut the next node attached.
		nodes := rapid.OneOf(rapid.IntRange(1, 150), rapid.SampledFrom([]int{63, 64, 65, 127, 128, 129})).Draw(t, "nodes")
		c := newCluster(1, nodes, nil)
		n := c.net
		groups := rapid.SliceOfN(rapid.SliceOf(rapid.IntRange(0, nodes-1)), 0, 4).Draw(t, "groups")
		side := make([]int, nodes)
		for g, members := range groups {
			for _, id := range members {
				side[id] = g + 1
			}
		}
		n.Partition(groups...)
		partitioned := func(when string) {
			for i := range nodes {
				for j := range nodes {
					want := i == j || (side[i] != 0 && side[i] == side[j])
					require.Equal(t, want, n.LinkUp(i, j), "%d->%d, sides %d and %d, %s", i, j, side[i], side[j], when)
				}
			}
		}
		partitioned("after Partition")
		late := c.w.AddNode("late", func(*sim.Node) {})
		n.Attach(late)
		for i := range nodes {
			require.True(t, n.LinkUp(i, late.ID) && n.LinkUp(late.ID, i), "links of a node attached after the partition")
		}
		// The matrix grew (with longer rows, past 64, 128 nodes): the cuts stay.
		partitioned("after a node was attached")
		n.Heal()
		for i := range nodes + 1 {
			for j := range nodes + 1 {
				require.True(t, n.LinkUp(i, j), "%d->%d after Heal", i, j)
			}
		}
	})
}
