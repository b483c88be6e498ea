package raftsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestCheckerNamesTheBrokenRule: run with a deliberately broken core, the first seed
// that fails does so on the one check that names the rule the core breaks, reported as
// raft/<check> on a peer's node, not on whatever notices the damage later (an apply
// checker, a liveness timeout, the core's own invariant panics).
func TestCheckerNamesTheBrokenRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scenario string
		broken   func(*raft.Config)
		check    string
	}{
		// §5.4.2 broken: a leader commits an entry of an older term by counting replicas,
		// and a later leader lacks it.
		{"raft/Figure8Unreliable2C", func(c *raft.Config) { c.UnsafeCommitOldTerms = true }, "raft/leader-completeness"},
		// §5.1 broken: the vote is never persisted; a restarted peer comes back without
		// the vote it sent.
		{"raft/Persist12C", func(c *raft.Config) { c.UnsafeForgetVote = true }, "raft/durability"},
	}
	for _, tt := range tests {
		s, ok := scenarioWith(tt.scenario, Setup{Broken: tt.broken})
		require.True(t, ok, tt.scenario)
		var res *sim.Result
		for seed := uint64(1); seed <= 300 && res == nil; seed++ {
			r := sim.RunScenario(&s, sim.Options{Seed: seed})
			if !r.Passed() {
				res = &r
			}
		}
		require.NotNil(t, res, "%s passed 300 seeds broken", tt.scenario)
		t.Logf("%s seed %d: %v", tt.scenario, res.Seed, res.Failure)
		require.Equal(t, sim.Fail, res.Outcome, "%v", res.Failure)
		require.Equal(t, tt.check, res.Failure.Check, "%v", res.Failure)
		require.Regexp(t, `^raft\d$`, res.Failure.Node, "the failure names the peer's node")
	}
}
