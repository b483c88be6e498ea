package shardsim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/shardkv"
	"github.com/lockstep-dst/lockstep/sim"
)

// TestClerkRemembersLeader: once a clerk has found a group's leader, its next operations
// on the group go to that server first; on a reliable network, with no crash, the leader
// stays and each Get is one RPC, where a clerk that starts every round at the group's
// first server pays the followers' ErrWrongLeader before it (unless the first server
// happens to lead).
func TestClerkRemembersLeader(t *testing.T) {
	const gets = 20
	for seed := uint64(1); seed <= 3; seed++ {
		var calls int
		res := run("leader", seed, func(p *sim.Proc) error {
			s := NewSystem(p, Setup{}, 1, 3, false, -1)
			ck := s.MakeClient()
			s.Join(0)
			s.Put(ck, "k", "v")
			before := s.Net.Stats().Method(shardkv.MethodOp)
			for i := 0; i < gets; i++ {
				s.Check(ck, "k", "v")
			}
			calls = s.Net.Stats().Method(shardkv.MethodOp) - before
			return nil
		})
		require.True(t, res.Passed(), "seed %d: %v", seed, res.Failure)
		require.Equal(t, gets, calls, "seed %d: RPCs for %d Gets", seed, gets)
	}
}
