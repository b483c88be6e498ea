package raftsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// The scenarios' checks must be able to fail: with a deliberately broken
// core (the Unsafe options of Config, switched on through brokenConfig),
// some scenario fails within a few hundred seeds, and the check that fails
// is one that names the broken rule. These tests must not run in parallel
// with others: brokenConfig is package state.

// firstFailure runs scenario on seeds 1..maxSeed with the core broken by
// broken, and returns the first run that does not pass (nil if none).
func firstFailure(t *testing.T, scenario string, maxSeed uint64, broken func(*raft.Config)) *sim.Result {
	t.Helper()
	s, ok := sim.Lookup(scenario)
	require.True(t, ok, scenario)
	brokenConfig = broken
	defer func() { brokenConfig = nil }()
	for seed := uint64(1); seed <= maxSeed; seed++ {
		res := sim.RunScenario(s, sim.Options{Seed: seed})
		if !res.Passed() {
			return &res
		}
	}
	return nil
}

// TestBrokenCommitOldTermsIsCaught: without the §5.4.2 rule a leader
// commits an entry of an earlier term by counting replicas; Figure 8's
// interleavings then let a later leader overwrite it, which the apply
// checker or the state machine safety and leader completeness checkers see.
func TestBrokenCommitOldTermsIsCaught(t *testing.T) {
	res := firstFailure(t, "raft/Figure8Unreliable2C", 300, func(c *raft.Config) { c.UnsafeCommitOldTerms = true })
	require.NotNil(t, res, "Figure8Unreliable2C passed 300 seeds with UnsafeCommitOldTerms")
	t.Logf("seed %d: %v", res.Seed, res.Failure)
	require.Equal(t, sim.Fail, res.Outcome, "%v", res.Failure)
	require.Contains(t, []string{"raft/leader-completeness", "raft/state-machine-safety", "apply"}, res.Failure.Check,
		"%v", res.Failure)
}

// TestBrokenForgetVoteIsCaught: a peer whose vote is not persisted comes
// back from a crash free to vote again in the same term.
func TestBrokenForgetVoteIsCaught(t *testing.T) {
	res := firstFailure(t, "raft/Persist12C", 300, func(c *raft.Config) { c.UnsafeForgetVote = true })
	require.NotNil(t, res, "Persist12C passed 300 seeds with UnsafeForgetVote")
	t.Logf("seed %d: %v", res.Seed, res.Failure)
	require.Equal(t, sim.Fail, res.Outcome, "%v", res.Failure)
	require.Contains(t, []string{"raft/durability", "raft/votes", "raft/election-safety"}, res.Failure.Check,
		"%v", res.Failure)
}

// TestDefaultConfigIsNotBroken is the control: with brokenConfig unset, the
// seeds on which the broken cores fail pass.
func TestDefaultConfigIsNotBroken(t *testing.T) {
	require.Nil(t, brokenConfig)
	for _, scenario := range []string{"raft/Figure8Unreliable2C", "raft/Persist12C"} {
		res := firstFailure(t, scenario, 5, nil)
		require.Nil(t, res, "%s: %v", scenario, res)
	}
}
