package simtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/simtest"
)

// TestBenchReportsSpeedAndFailsOnAFailingRun: Bench reports the
// virtual-over-wall ratio and events per run of a passing scenario, and a
// scenario that fails on one of the benchmark's seeds fails the benchmark.
func TestBenchReportsSpeedAndFailsOnAFailingRun(t *testing.T) {
	passes := &sim.Scenario{Name: "simtesttest/Sleeps", Main: func(p *sim.Proc) error {
		p.Sleep(time.Second)
		return nil
	}}
	res := testing.Benchmark(func(b *testing.B) { simtest.Bench(b, passes) })
	require.Greater(t, res.Extra["x-realtime"], 0.0, "%v", res.Extra)
	require.Greater(t, res.Extra["events/op"], 0.0, "%v", res.Extra)

	fails, ok := sim.Lookup("simtesttest/FailsOnThrees")
	require.True(t, ok)
	failed := false
	testing.Benchmark(func(b *testing.B) {
		defer func() { failed = b.Failed() }()
		simtest.Bench(b, fails)
	})
	require.True(t, failed, "a benchmark over seeds that include 3 must fail")
}
