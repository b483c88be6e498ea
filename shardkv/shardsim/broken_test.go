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
// arrived fails the served-with-data check. Seed 1 of JoinLeave4B is enough: the first
// Get after the join reaches group 101 while the shard is still on its way.
func TestBrokenServeWhilePulling(t *testing.T) {
	res := runBroken(JoinLeave, 1, func(c *shardkv.ServerConfig) { c.UnsafeServeWhilePulling = true })
	require.Equal(t, sim.Fail, res.Outcome, "%v", res.Failure)
	require.Equal(t, "shardkv/served-with-data", res.Failure.Check, "%v", res.Failure)
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
