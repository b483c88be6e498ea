package shardsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// runBroken runs a scenario body on seed with every group server adjusted by broken.
func runBroken(body func(*sim.Proc, Setup) error, seed uint64, broken func(*shardkv.ServerConfig)) sim.Result {
	return run("broken", seed, func(p *sim.Proc) error { return body(p, Setup{Server: broken}) })
}

// TestBrokenServeWhilePulling: a group that answers clients for a shard before its data
// arrived fails the served-with-data check, on the first seed of JoinLeave4B where a Get
// after a join reaches the new owner while the shard is still on its way. That takes a
// few seeds (seeds 1, 11, 14, 15, 18 and 20 of the first 20 catch it), so the test looks
// for it in the first 20 and requires the first failure to be that check.
func TestBrokenServeWhilePulling(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		res := runBroken(JoinLeave, seed, func(c *shardkv.ServerConfig) { c.UnsafeServeWhilePulling = true })
		if res.Outcome == sim.Pass {
			continue
		}
		require.Equal(t, sim.Fail, res.Outcome, "seed %d: %v", seed, res.Failure)
		require.Equal(t, "shardkv/served-with-data", res.Failure.Check, "seed %d: %v", seed, res.Failure)
		return
	}
	t.Fatal("serving a shard while pulling it passed seeds 1-20 of JoinLeave4B")
}

// TestBrokenDropSessions: a shard that moves without its duplicate table (so that the new
// owner would apply again an Append the old owner applied, when the clerk's reply was lost
// and its retry reaches the new owner) fails the arrives-whole check at the first
// migration: seed 1 of Unreliable24B.
func TestBrokenDropSessions(t *testing.T) {
	res := runBroken(Unreliable2, 1, func(c *shardkv.ServerConfig) { c.UnsafeDropSessions = true })
	require.Equal(t, sim.Fail, res.Outcome, "%v", res.Failure)
	require.Equal(t, "shardkv/arrives-whole", res.Failure.Check, "%v", res.Failure)
}
