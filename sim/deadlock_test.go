package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// Issue 8 item 1: a scenario whose Main waits for something that never comes
// (the queue drains) deadlocks: a failing outcome naming every parked
// process and what it waits for, never a pass.
func TestDeadlockedScenarioFails(t *testing.T) {
	s := &sim.Scenario{Name: "t/deadlock", Main: func(p *sim.Proc) error {
		w := p.World()
		n := w.AddNode("n1", func(*sim.Node) {})
		w.Start(n)
		w.Spawn(n, "clerk", func(q *sim.Proc) {
			q.Suspend("reply to KV.Get", func(func()) {})
		})
		w.Spawn(nil, "done", func(q *sim.Proc) { q.Sleep(time.Second) }) // finishes: not named
		p.Sleep(time.Millisecond)
		p.Suspend("all clerks to finish", func(func()) {})
		return nil
	}}
	res := sim.RunScenario(s, sim.Options{Seed: 3})
	require.Equal(t, sim.Deadlock, res.Outcome)
	require.False(t, res.Passed())
	require.Equal(t, "deadlock", res.Failure.Check)
	require.Equal(t, time.Second, res.Failure.At, "the deadlock is found when the last event has run")
	msg := res.Failure.Error()
	require.Contains(t, msg, `2 process(es) wait`)
	require.Contains(t, msg, `"main" waits for all clerks to finish`)
	require.Contains(t, msg, `"clerk" on n1 waits for reply to KV.Get`)
	require.NotContains(t, msg, `"done"`)
}

// The same holds for a world run without a scenario; and a sleeping process
// on a node paused for good is parked too.
func TestDeadlockWithoutScenario(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	w.Spawn(n, "sleeper", func(p *sim.Proc) {
		p.Sleep(time.Second)
	})
	w.Schedule(time.Millisecond, "pause", func() { w.Pause(n) })
	f := w.Run()
	require.NotNil(t, f)
	require.Equal(t, "deadlock", f.Check)
	require.Contains(t, f.Error(), `"sleeper" on n waits for the end of a sleep (node n is paused and nothing resumes it)`)
	require.Contains(t, f.Error(), "node n is paused, holding 1 event(s)")
}

// A run whose queue drains with every process finished, or that is stopped
// while processes wait, is no deadlock.
func TestNoDeadlock(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	w.Spawn(nil, "short", func(p *sim.Proc) { p.Sleep(time.Second) })
	require.Nil(t, w.Run())

	w = sim.NewWorld(sim.Options{Seed: 1})
	w.Spawn(nil, "server", func(p *sim.Proc) { p.Suspend("a request", func(func()) {}) })
	w.Spawn(nil, "main", func(p *sim.Proc) { p.Sleep(time.Second); w.Stop() })
	require.Nil(t, w.Run())
}
