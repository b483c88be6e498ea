package sim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func TestLifecycleAndFailureAreMarked(t *testing.T) {
	var marks []sim.Mark
	w := sim.NewWorld(sim.Options{Seed: 1, Trace: func(r sim.Record) {
		if r.Mark != nil {
			require.Equal(t, r.Mark.Text, r.Note)
			marks = append(marks, *r.Mark)
		}
	}})
	n := w.AddNode("n1", func(*sim.Node) {})
	w.Start(n)
	w.Schedule(time.Second, "crash", func() { w.Crash(n) })
	w.Schedule(2*time.Second, "restart", func() { w.Restart(n) })
	w.Schedule(3*time.Second, "pause", func() { w.Pause(n) })
	w.Schedule(4*time.Second, "resume", func() { w.Resume(n) })
	w.Schedule(5*time.Second, "check", func() { w.Fail("invariant", n, errors.New("broken")) })
	w.Run()
	var kinds []sim.MarkKind
	for _, m := range marks {
		require.Equal(t, "n1", m.Node)
		kinds = append(kinds, m.Kind)
	}
	require.Equal(t, []sim.MarkKind{sim.MarkStart, sim.MarkCrash, sim.MarkStart, sim.MarkPause, sim.MarkResume, sim.MarkFail}, kinds)
	require.Contains(t, marks[len(marks)-1].Text, "invariant")
}

// A label's detail (after the tab LabelDetail puts) shows in the trace and
// stays out of the hash: a run whose labels differ only in detail has the
// hash of one without details.
func TestLabelDetailIsNotHashed(t *testing.T) {
	run := func(label string) (uint64, []string) {
		var lines []string
		w := sim.NewWorld(sim.Options{Seed: 1, Trace: func(r sim.Record) { lines = append(lines, r.String()) }})
		w.Schedule(time.Second, label, func() {})
		require.Nil(t, w.Run())
		return w.Hash(), lines
	}
	plain, _ := run("timer")
	detailed, lines := run(sim.LabelDetail("timer", "election"))
	other, _ := run(sim.LabelDetail("timer", "heartbeat"))
	renamed, _ := run("timer2")
	require.Equal(t, plain, detailed)
	require.Equal(t, plain, other)
	require.NotEqual(t, plain, renamed, "the name before the detail is hashed")
	require.Equal(t, []string{"          1s -          # 1 timer election"}, lines)
}
