package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

var (
	probeEven = sim.NewProbe("simtest/even-tick", "a tick fired at an even millisecond")
	probeNone = sim.NewProbe("simtest/never", "a condition no test run reaches")
)

// probeRun runs ticks for a node and counts probes; probes=false makes the
// same run without any Sometimes call.
func probeRun(seed uint64, probes bool) (*sim.World, map[string]uint64) {
	w := sim.NewWorld(sim.Options{Seed: seed})
	r := w.Rand("ticks")
	n := w.AddNode("n", func(n *sim.Node) {
		var tick func()
		tick = func() {
			if probes {
				w.Sometimes(probeEven, w.Now()/time.Millisecond%2 == 0)
				w.Sometimes(probeNone, false)
			}
			if w.Now() < 100*time.Millisecond {
				n.After(time.Duration(1+r.IntN(3))*time.Millisecond, "tick", tick)
			}
		}
		n.After(0, "tick", tick)
	})
	w.Start(n)
	if f := w.Run(); f != nil {
		panic(f)
	}
	return w, w.ProbeHits()
}

// Issue 8 item 10: probes count per run, the same for the same seed, only
// when their condition holds, and are not part of the trace hash.
func TestProbesCountPerRunAndDoNotChangeTheRun(t *testing.T) {
	w1, hits := probeRun(1, true)
	_, again := probeRun(1, true) // a second world counts from zero
	require.Equal(t, hits, again, "probe counts differ for the same seed")
	require.Positive(t, hits["simtest/even-tick"])
	require.Less(t, hits["simtest/even-tick"], w1.Events(), "counted ticks at odd milliseconds too")
	require.NotContains(t, hits, "simtest/never", "a probe whose condition never held is listed")

	w0, none := probeRun(1, false)
	require.Empty(t, none)
	require.Equal(t, w0.Hash(), w1.Hash(), "probes changed the trace hash")
	require.Equal(t, w0.Events(), w1.Events())
}

func TestResultCarriesProbes(t *testing.T) {
	s := &sim.Scenario{Name: "t/probes", Main: func(p *sim.Proc) error {
		for i := 0; i < 3; i++ {
			p.World().Sometimes(probeEven, true)
		}
		return nil
	}}
	res := sim.RunScenario(s, sim.Options{Seed: 1})
	require.True(t, res.Passed())
	require.Equal(t, map[string]uint64{"simtest/even-tick": 3}, res.Probes)
}

func TestProbeRegistry(t *testing.T) {
	p, ok := sim.LookupProbe("simtest/even-tick")
	require.True(t, ok)
	require.Same(t, probeEven, p)
	_, ok = sim.LookupProbe("simtest/absent")
	require.False(t, ok)
	var names []string
	for _, p := range sim.Probes() {
		names = append(names, p.Name)
	}
	require.IsIncreasing(t, names)
	require.Contains(t, names, "simtest/never")
	require.Panics(t, func() { sim.NewProbe("simtest/even-tick", "twice") })
	require.Panics(t, func() { sim.NewProbe("", "no name") })
}

// BenchmarkSometimes is the cost of a probe on the hot path: one compare when
// the condition is false, one increment when true.
func BenchmarkSometimes(b *testing.B) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	w.Sometimes(probeEven, true) // the per-world table exists
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w.Sometimes(probeEven, i&1 == 0)
	}
}
