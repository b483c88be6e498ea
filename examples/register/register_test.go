package register_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/register"
	"github.com/lockstep-dst/lockstep/sim"
)

func TestScenariosPass(t *testing.T) {
	for _, name := range []string{"example/Register", "example/RegisterSwarm"} {
		sc, ok := sim.Lookup(name)
		require.True(t, ok, name)
		for seed := uint64(1); seed <= 20; seed++ {
			res := sim.RunScenario(sc, sim.Options{Seed: seed})
			require.True(t, res.Passed(), "%s seed %d: %v", name, seed, res.Failure)
		}
	}
}

// A primary that acknowledges writes before syncing them loses an
// acknowledged write in some crash, and the client's read check sees it.
func TestUnsyncedAcknowledgementIsCaught(t *testing.T) {
	broken := &sim.Scenario{Name: "example/broken", Faults: "crashes", Main: register.Main(register.Config{SkipSync: true})}
	for seed := uint64(1); seed <= 200; seed++ {
		res := sim.RunScenario(broken, sim.Options{Seed: seed})
		if !res.Passed() {
			require.Equal(t, "register/reads", res.Failure.Check)
			require.Contains(t, res.Failure.Error(), "last acknowledged write")
			return
		}
	}
	t.Fatal("200 seeds of a primary that acknowledges unsynced writes found nothing")
}
