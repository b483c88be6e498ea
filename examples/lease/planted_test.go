package lease_test

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/lease"
	"github.com/lockstep-dst/lockstep/sim"
)

// firstFailure runs cfg under profile on seeds 1..seeds and returns the
// first failing run, if any.
func firstFailure(cfg lease.Config, profile string, seeds uint64) (sim.Result, bool) {
	sc := &sim.Scenario{Name: "example/planted", Faults: profile, Main: lease.Main(cfg)}
	for seed := uint64(1); seed <= seeds; seed++ {
		if res := sim.RunScenario(sc, sim.Options{Seed: seed}); !res.Passed() {
			return res, true
		}
	}
	return sim.Result{}, false
}

// Every planted bug is found by its profile within its seeds, by its check.
func TestPlantedBugsAreFound(t *testing.T) {
	for _, bug := range lease.Planted {
		t.Run(bug.Name, func(t *testing.T) {
			res, found := firstFailure(bug.Config, bug.Profile, bug.Seeds)
			require.True(t, found, "%s: %s seeds 1-%d never failed", bug.Name, bug.Profile, bug.Seeds)
			require.Equal(t, sim.Fail, res.Outcome, "%v", res.Failure)
			require.Equal(t, bug.Check, res.Failure.Check, "%v", res.Failure)
			t.Logf("%s: %s finds it on seed %d of 1-%d: %v", bug.Name, bug.Profile, res.Seed, bug.Seeds, res.Failure)
		})
	}
}

// The control: the correct system passes every sweep that finds a planted
// bug, so each bug, not the profile, is what fails those runs.
func TestCorrectPassesPlantedSweeps(t *testing.T) {
	for _, bug := range lease.Planted {
		res, failed := firstFailure(lease.Config{}, bug.Profile, bug.Seeds)
		require.False(t, failed, "correct system, %s seeds 1-%d: seed %d: %v", bug.Profile, bug.Seeds, res.Seed, res.Failure)
	}
}

var (
	matrix         = flag.Bool("lease.matrix", false, "print how often each profile finds each planted bug on seeds 1-100")
	matrixProfiles = flag.String("lease.profiles", "none,crashes,unreliable-plus,swarm", "comma-separated fault profiles (with parameters) of -lease.matrix")
)

// TestMatrix prints, for each planted bug and each profile, the first
// failing seed and how many of seeds 1-100 fail, and which checks: what
// docs/own-system.md quotes. It runs only when asked (-lease.matrix):
// 3,000 runs. -lease.profiles names other profiles, parameters included:
// -lease.profiles 'swarm:only=clock,crashes:maxdown=1'.
func TestMatrix(t *testing.T) {
	if !*matrix {
		t.Skip("run with -lease.matrix")
	}
	profiles := strings.Split(*matrixProfiles, ",")
	rows := append([]lease.Bug{{Name: "(correct)"}}, lease.Planted...)
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s", "seeds 1-100")
	for _, p := range profiles {
		fmt.Fprintf(&b, " | %-22s", p)
	}
	b.WriteString("\n")
	for _, bug := range rows {
		fmt.Fprintf(&b, "%-18s", bug.Name)
		for _, p := range profiles {
			sc := &sim.Scenario{Name: "example/matrix", Faults: p, Main: lease.Main(bug.Config)}
			first, fails := uint64(0), 0
			for seed := uint64(1); seed <= 100; seed++ {
				if res := sim.RunScenario(sc, sim.Options{Seed: seed}); !res.Passed() {
					fails++
					if first == 0 {
						first = seed
					}
				}
			}
			cell := "-"
			if fails > 0 {
				cell = fmt.Sprintf("%d fail, first %d", fails, first)
			}
			fmt.Fprintf(&b, " | %-22s", cell)
		}
		b.WriteString("\n")
	}
	t.Log("\n" + b.String())
}

// The liveness check can fire: with a lease longer than the run, a lease
// whose holder crashed (or a restarted lock server's grace period) lasts
// past the end of the faults, and no write is stored after them.
func TestProgressCheckFires(t *testing.T) {
	res, found := firstFailure(lease.Config{Lease: time.Hour}, "crashes", 20)
	require.True(t, found, "a one-hour lease under crashes never stalled in seeds 1-20")
	require.Equal(t, lease.CheckProgress, res.Failure.Check, "%v", res.Failure)
	t.Logf("seed %d: %v", res.Seed, res.Failure)
}
