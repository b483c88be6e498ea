package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// selfCrash returns a world with a started node n and, at 1 ms, an event of
// n that crashes n and then runs then (code of a crashed node); at 5 ms the
// world restarts n. fired counts node events that ran after the restart.
func selfCrash(t *testing.T, then func(w *sim.World, n *sim.Node)) (w *sim.World, n *sim.Node) {
	t.Helper()
	w = sim.NewWorld(sim.Options{Seed: 1})
	n = w.AddNode("n", func(n *sim.Node) {
		if n.Incarnation() == 0 {
			n.After(time.Millisecond, "suicide", func() {
				w.Crash(n)
				then(w, n)
			})
		}
	})
	w.Start(n)
	w.Schedule(5*time.Millisecond, "restart", func() {
		if !n.Up() {
			w.Restart(n)
		}
	})
	return w, n
}

// Issue 8 item 4: code of a crashed node that acts fails the run, loudly,
// and what it tried never runs, not even after the node restarts (the event
// was stamped with the incarnation the crash had already bumped).
func TestCodeOfACrashedNodeCannotAct(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(w *sim.World, n *sim.Node, ran *bool)
		want string
	}{
		{"After", func(w *sim.World, n *sim.Node, ran *bool) {
			n.After(2*time.Millisecond, "late timer", func() { *ran = true })
		}, "schedule late timer"},
		{"AfterFunc", func(w *sim.World, n *sim.Node, ran *bool) {
			n.AfterFunc(2*time.Millisecond, "late timer", func() { *ran = true })
		}, "schedule late timer"},
		{"world event", func(w *sim.World, n *sim.Node, ran *bool) {
			w.Schedule(2*time.Millisecond, "late send", func() { *ran = true })
		}, "schedule late send"},
		{"Spawn", func(w *sim.World, n *sim.Node, ran *bool) {
			p := w.Spawn(n, "zombie", func(*sim.Proc) { *ran = true })
			require.True(t, p.Done())
		}, "spawn zombie"},
		{"Restart", func(w *sim.World, n *sim.Node, ran *bool) {
			w.Restart(n)
			*ran = n.Up()
		}, "restart n"},
		{"CheckUp", func(w *sim.World, n *sim.Node, ran *bool) {
			*ran = n.CheckUp("send Raft.AppendEntries")
		}, "send Raft.AppendEntries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			w, _ := selfCrash(t, func(w *sim.World, n *sim.Node) { tc.act(w, n, &ran) })
			f := w.Run()
			require.NotNil(t, f, "code of a crashed node acted and the run passed")
			require.Equal(t, "down-node", f.Check)
			require.Equal(t, "n", f.Node)
			require.Equal(t, time.Millisecond, f.At)
			require.Contains(t, f.Error(), "code of crashed node n tried to "+tc.want)
			require.False(t, ran, "what the crashed node tried ran")
		})
	}
}

// A node that restarts itself is a new instance; the old instance's code
// that runs on after Restart returned is dead code and may not act.
func TestOldCodeOfASelfRestartedNodeCannotAct(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	booted, ran := 0, false
	var n *sim.Node
	n = w.AddNode("n", func(n *sim.Node) {
		booted++
		if n.Incarnation() == 0 {
			n.After(time.Millisecond, "reboot", func() {
				w.Restart(n) // allowed: a live node rebooting
				n.After(time.Millisecond, "stale", func() { ran = true })
			})
		}
	})
	w.Start(n)
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "down-node", f.Check)
	require.Contains(t, f.Error(), "code of incarnation 0 of node n, which has restarted since, tried to schedule stale")
	require.Equal(t, 2, booted, "the reboot itself happened")
	require.True(t, n.Up())
	require.False(t, ran)
}

// World code (the network delivering a message, a fault plan) scheduling an
// event for a node that is down is legitimate: the event is dropped, and it
// does not run after the node restarts either.
func TestWorldEventsForADownNodeAreDropped(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	ran := false
	w.Schedule(time.Millisecond, "crash", func() { w.Crash(n) })
	w.Schedule(2*time.Millisecond, "deliver", func() {
		n.After(2*time.Millisecond, "dispatch", func() { ran = true })
		n.AfterFunc(2*time.Millisecond, "dispatch", func() { ran = true })
		p := w.Spawn(n, "clerk", func(*sim.Proc) { ran = true })
		require.True(t, p.Done(), "a process spawned on a down node never runs")
	})
	w.Schedule(3*time.Millisecond, "restart", func() { w.Restart(n) })
	require.Nil(t, w.Run())
	require.False(t, ran, "an event scheduled for a down node ran after its restart")
	require.True(t, n.Up())
}

// The deferred functions of a process killed by its node's crash are code of
// the down node: they may not act either.
func TestDeferOfAKilledProcessCannotAct(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	ran := false
	w.Spawn(n, "clerk", func(p *sim.Proc) {
		defer n.After(time.Millisecond, "cleanup", func() { ran = true })
		p.Sleep(time.Hour)
	})
	w.Schedule(time.Millisecond, "crash", func() { w.Crash(n) })
	w.Schedule(time.Second, "restart", func() { w.Restart(n) })
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "down-node", f.Check)
	require.Contains(t, f.Error(), "tried to schedule cleanup")
	require.False(t, ran)
}
