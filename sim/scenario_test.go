package sim_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// Scenarios registered only in this test binary, under "simtest/".
var (
	// nondetRuns changes between runs of simtest/nondet-counter: behaviour
	// that depends on it is the nondeterminism CheckDeterminism must catch.
	nondetRuns int
	// oddRuns makes simtest/nondet-length one event longer every other run.
	oddRuns int
)

func init() {
	sleepy := func(d time.Duration) func(p *sim.Proc) error {
		return func(p *sim.Proc) error { p.Sleep(d); return nil }
	}
	for _, s := range []sim.Scenario{
		{Name: "simtest/pass", Description: "sleeps and passes", Faults: "none", Main: sleepy(time.Second)},
		{Name: "simtest/fail", Description: "returns an error", Main: func(p *sim.Proc) error {
			p.Sleep(time.Millisecond)
			return errors.New("wrong answer")
		}},
		{Name: "simtest/check", Description: "a check fails mid-run", Main: func(p *sim.Proc) error {
			w := p.World()
			w.Schedule(time.Millisecond, "check", func() { w.Fail("invariant", nil, errors.New("two leaders")) })
			p.Sleep(time.Hour)
			return nil
		}},
		{Name: "simtest/panic", Description: "panics", Main: func(p *sim.Proc) error {
			p.Sleep(time.Millisecond)
			panic("index out of range, say")
		}},
		{Name: "simtest/budget", Description: "livelocks", MaxEvents: 500, Main: func(p *sim.Proc) error {
			for {
				p.Yield()
			}
		}},
		{Name: "simtest/budget-time", Description: "runs too long", MaxTime: time.Second, Main: sleepy(time.Hour)},
		{Name: "simtest/unknown", Description: "a checker could not decide", Main: func(p *sim.Proc) error {
			return fmt.Errorf("linearizability: %w", sim.ErrUnknown)
		}},
		{Name: "simtest/unknown-at-end", Description: "an end check could not decide", Main: func(p *sim.Proc) error {
			p.World().AtEnd("porcupine", func() error { return fmt.Errorf("timed out: %w", sim.ErrUnknown) })
			return nil
		}},
		{Name: "simtest/workload", Description: "a deterministic workload", Main: func(p *sim.Proc) error {
			w := p.World()
			r := w.Rand("workload")
			n := w.AddNode("n", func(n *sim.Node) {
				n.After(r.Duration(0, 5*time.Millisecond), "boot-timer", func() {})
			})
			w.Start(n)
			for i := 0; i < 20; i++ {
				w.Schedule(r.Duration(0, 3*time.Millisecond), fmt.Sprint("e", i%3), func() {})
				if i%7 == 0 {
					w.Restart(n)
				}
				p.Sleep(r.Duration(0, time.Millisecond))
			}
			return nil
		}},
		{Name: "simtest/nondet-counter", Description: "depends on a package-level counter", Main: func(p *sim.Proc) error {
			nondetRuns++
			p.Sleep(time.Millisecond)
			p.Sleep(time.Duration(nondetRuns) * time.Millisecond)
			p.Sleep(time.Millisecond)
			return nil
		}},
		{Name: "simtest/nondet-length", Description: "one event longer every other run", Main: func(p *sim.Proc) error {
			oddRuns++
			p.Sleep(time.Millisecond)
			if oddRuns%2 == 1 {
				p.Sleep(time.Millisecond)
			}
			return nil
		}},
		{Name: "simtest/nondet-map", Description: "lets map iteration order leak", Main: func(p *sim.Proc) error {
			w := p.World()
			m := map[string]bool{}
			for i := 0; i < 16; i++ {
				m[fmt.Sprint("k", i)] = true
			}
			delay := time.Duration(0)
			for k := range m {
				delay += time.Millisecond
				w.Schedule(delay, k, func() {})
			}
			p.Sleep(delay) // the run ends when Main returns
			return nil
		}},
	} {
		sim.Register(s)
	}
}

func TestRunScenarioOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		outcome sim.Outcome
		check   string
	}{
		{"simtest/pass", sim.Pass, ""},
		{"simtest/fail", sim.Fail, "scenario"},
		{"simtest/check", sim.Fail, "invariant"},
		{"simtest/panic", sim.Panic, "panic"},
		{"simtest/budget", sim.Budget, "budget"},
		{"simtest/budget-time", sim.Budget, "budget"},
		{"simtest/unknown", sim.Unknown, "scenario"},
		{"simtest/unknown-at-end", sim.Unknown, "porcupine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := sim.Lookup(tt.name)
			require.True(t, ok)
			res := sim.RunScenario(s, sim.Options{Seed: 17})
			require.Equal(t, tt.outcome, res.Outcome, "failure: %v", res.Failure)
			require.Equal(t, tt.outcome == sim.Pass, res.Passed())
			require.Equal(t, tt.name, res.Scenario)
			require.Equal(t, uint64(17), res.Seed)
			if tt.outcome == sim.Pass {
				require.Nil(t, res.Failure)
			} else {
				require.NotNil(t, res.Failure)
				require.Equal(t, tt.check, res.Failure.Check)
			}
			if tt.outcome == sim.Unknown {
				require.ErrorIs(t, res.Failure, sim.ErrUnknown)
			}
			require.Positive(t, res.Events)
		})
	}
}

func TestRunScenarioResult(t *testing.T) {
	s, _ := sim.Lookup("simtest/pass")
	res := sim.RunScenario(s, sim.Options{Seed: 5})
	require.Equal(t, "none", res.Faults, "the scenario's fault profile is the default")
	require.Equal(t, time.Second, res.Virtual)
	require.Equal(t, uint64(2), res.Events) // spawn, wake
	require.NotZero(t, res.Hash)
	res2 := sim.RunScenario(s, sim.Options{Seed: 5, Faults: "swarm"})
	require.Equal(t, "swarm", res2.Faults, "the user's fault profile wins")

	// The scenario's budget applies unless the options set one.
	b, _ := sim.Lookup("simtest/budget")
	require.Equal(t, sim.Budget, sim.RunScenario(b, sim.Options{Seed: 1}).Outcome)
	require.Equal(t, uint64(100), sim.RunScenario(b, sim.Options{Seed: 1, MaxEvents: 100}).Events)
}

func TestScenarioSameSeedSameHash(t *testing.T) {
	s, _ := sim.Lookup("simtest/workload")
	hashes := map[uint64]bool{}
	for seed := uint64(1); seed <= 10; seed++ {
		a := sim.RunScenario(s, sim.Options{Seed: seed})
		b := sim.RunScenario(s, sim.Options{Seed: seed})
		require.True(t, a.Passed(), "%v", a.Failure)
		require.Equal(t, a, b)
		hashes[a.Hash] = true
	}
	require.Len(t, hashes, 10)
}

func TestCheckDeterminism(t *testing.T) {
	t.Run("deterministic", func(t *testing.T) {
		s, _ := sim.Lookup("simtest/workload")
		for seed := uint64(1); seed <= 5; seed++ {
			res, div := sim.CheckDeterminism(s, sim.Options{Seed: seed})
			require.Nil(t, div)
			require.True(t, res.Passed())
		}
	})
	t.Run("package-level counter", func(t *testing.T) {
		s, _ := sim.Lookup("simtest/nondet-counter")
		before := nondetRuns
		res, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
		require.True(t, res.Passed())
		require.NotNil(t, div)
		// Events 1 (spawn) and 2 (wake at 1 ms) agree; event 3 is the wake
		// whose time depends on the counter. The first run's record of it
		// cannot be recovered: a third run sees the counter moved again.
		require.Equal(t, uint64(3), div.Event)
		require.True(t, div.FirstLost)
		require.Equal(t, time.Duration(before+2+1)*time.Millisecond, div.Again.At)
		require.Equal(t, "wake main", div.Again.Label)
		require.Contains(t, div.Error(), "diverge at event 3")
		require.Contains(t, div.Error(), "first run: (not recovered")
	})
	t.Run("second run longer", func(t *testing.T) {
		oddRuns = 1 // the first run is even: short; the second odd: long
		s, _ := sim.Lookup("simtest/nondet-length")
		_, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
		require.NotNil(t, div)
		require.Equal(t, uint64(3), div.Event)
		require.Contains(t, div.Error(), "first run: (run had ended)")
	})
	t.Run("second run shorter", func(t *testing.T) {
		oddRuns = 0
		s, _ := sim.Lookup("simtest/nondet-length")
		_, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
		require.NotNil(t, div)
		require.Equal(t, uint64(3), div.Event)
		require.Contains(t, div.Error(), "second run: (run had ended)")
	})
	t.Run("map iteration order", func(t *testing.T) {
		// Go randomises map iteration per range statement; two iterations
		// of 16 keys agree with probability well under 1/16, so fifty
		// attempts without a divergence would mean the check is blind.
		s, _ := sim.Lookup("simtest/nondet-map")
		for i := 0; i < 50; i++ {
			_, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
			if div != nil {
				require.Positive(t, div.Event)
				require.NotEqual(t, div.First.Label, div.Again.Label, "the first divergent event differs in its label")
				return
			}
		}
		t.Fatal("map iteration order leaked into a run and CheckDeterminism did not notice")
	})
}

func TestMatch(t *testing.T) {
	names := func(ss []*sim.Scenario) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	all := names(sim.Scenarios())
	require.IsIncreasing(t, all)
	tests := []struct {
		pattern string
		want    []string
	}{
		{"simtest/pass", []string{"simtest/pass"}},
		{"*", all},
		{"simtest/*", all}, // every scenario of this binary is a simtest one
		{"simtest/budget*", []string{"simtest/budget", "simtest/budget-time"}},
		{"simtest/nondet-*", []string{"simtest/nondet-counter", "simtest/nondet-length", "simtest/nondet-map"}},
		{"simtest/p[a-z]ss", []string{"simtest/pass"}},
		{"simtest/pas?", []string{"simtest/pass"}},
		{"raft/*", nil},
		{"simtest", nil},
		{"pass", nil},
	}
	for _, tt := range tests {
		got, err := sim.Match(tt.pattern)
		require.NoError(t, err, tt.pattern)
		require.Equal(t, tt.want, names(got), tt.pattern)
	}
	_, err := sim.Match("simtest/[")
	require.Error(t, err)
	require.Contains(t, err.Error(), "simtest/[")
	_, err = sim.Match("[")
	require.Error(t, err)
}

func TestRegisterRejectsBadScenarios(t *testing.T) {
	main := func(*sim.Proc) error { return nil }
	require.Panics(t, func() { sim.Register(sim.Scenario{Name: "simtest/pass", Main: main}) }, "duplicate")
	require.Panics(t, func() { sim.Register(sim.Scenario{Name: "noslash", Main: main}) })
	require.Panics(t, func() { sim.Register(sim.Scenario{Name: "", Main: main}) })
	require.Panics(t, func() { sim.Register(sim.Scenario{Name: "simtest/nomain"}) })
	_, ok := sim.Lookup("simtest/nomain")
	require.False(t, ok)
}
