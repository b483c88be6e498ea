package faults_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// A profile of a user's own, as docs/profiles.md shows: crash the node a
// system cannot do without (a coordinator, target 0) once, at a time the
// seed picks, for a time the user picks.
func init() {
	faults.Register(faults.Profile{
		Name:        "test-coordinator-crash",
		Description: "test only: crash target 0 once, at a seeded time, for down=",
		Params: []faults.Param{
			faults.RangeParam("down", "how long it stays down", faults.Range{Lo: 100 * time.Millisecond, Hi: time.Second}, 0),
		},
		Generate: func(r *sim.Rand, s faults.Shape, args faults.Args) faults.Plan {
			down := args.Range("down")
			at := r.Duration(0, s.Duration/2)
			acts := []faults.Action{{At: at, Kind: faults.Crash, Nodes: []int{0}}}
			// A plan's actions end at s.Duration: HealAll restarts it then.
			if back := at + r.Duration(down.Lo, down.Hi); back < s.Duration {
				acts = append(acts, faults.Action{At: back, Kind: faults.Restart, Nodes: []int{0}})
			}
			return faults.Plan{Actions: append(acts, faults.HealAll(s.Duration, s)...)}
		},
	})
}

func TestRegisteredProfileRunsFromOptions(t *testing.T) {
	shape := faults.Shape{Nodes: 4, Duration: 4 * time.Second, Base: netsim.Reliable()}
	w := sim.NewWorld(sim.Options{Seed: 8, Faults: "test-coordinator-crash:down=2s"})
	p, err := faults.FromOptions(w, shape)
	require.NoError(t, err)
	require.Equal(t, "test-coordinator-crash:down=2s", p.Profile)
	require.Equal(t, faults.Crash, p.Actions[0].Kind)
	require.Equal(t, 2*time.Second, p.Actions[1].At-p.Actions[0].At, "down=2s is a range of one")
	require.NoError(t, faults.CheckSpec("test-coordinator-crash"))
	require.ErrorContains(t, faults.CheckSpec("test-coordinator-crash:up=1s"),
		`fault profile test-coordinator-crash: unknown parameter "up" (known: down)`)
}

func TestRegisterRejectsMistakes(t *testing.T) {
	gen := func(*sim.Rand, faults.Shape, faults.Args) faults.Plan { return faults.Plan{} }
	for name, p := range map[string]faults.Profile{
		"duplicate":        {Name: "crashes", Generate: gen},
		"empty name":       {Name: "", Generate: gen},
		"colon in name":    {Name: "a:b", Generate: gen},
		"no generator":     {Name: "test-nogen"},
		"bad default":      {Name: "test-baddefault", Generate: gen, Params: []faults.Param{faults.IntParam("n", "", 5, 0, 3)}},
		"param twice":      {Name: "test-twice", Generate: gen, Params: []faults.Param{faults.IntParam("n", "", 1, 0, 3), faults.IntParam("n", "", 1, 0, 3)}},
		"comma in a param": {Name: "test-comma", Generate: gen, Params: []faults.Param{faults.IntParam("a,b", "", 1, 0, 3)}},
	} {
		require.Panics(t, func() { faults.Register(p) }, name)
	}
}

func TestParseSpec(t *testing.T) {
	sp, err := faults.ParseSpec(" crashes:maxdown=1, every=1s..3s ")
	require.NoError(t, err)
	require.Equal(t, "crashes:every=1s..3s,maxdown=1", sp.String(), "canonical: sorted by name")
	require.Equal(t, faults.MaxDown{N: 1}, sp.Args.MaxDown("maxdown"))
	require.Equal(t, faults.Range{Lo: time.Second, Hi: 3 * time.Second}, sp.Args.Range("every"))
	require.Equal(t, faults.Range{Lo: 200 * time.Millisecond, Hi: 2 * time.Second}, sp.Args.Range("down"), "the default")

	sp, err = faults.ParseSpec("swarm:only=crashes+network,maxdown=all")
	require.NoError(t, err)
	require.Equal(t, []string{"network", "crashes"}, sp.Args.Set("only"), "in the profile's order")
	require.Equal(t, 4, sp.Args.MaxDown("maxdown").Of(4))

	for spec, want := range map[string]string{
		"crashes:maxdwn=1":            `fault profile crashes: unknown parameter "maxdwn" (known: maxdown, every, down)`,
		"crashes:maxdown=half":        `fault profile crashes: maxdown=half: want majority (keep a majority up), all, or a number of nodes`,
		"crashes:maxdown=-1":          `maxdown=-1: want majority`,
		"crashes:maxdown=1,maxdown=2": `parameter maxdown given twice`,
		"crashes:maxdown":             `"maxdown" is not NAME=VALUE`,
		"crashes:":                    `no parameters after ':'`,
		"crashes:every=0s..1s":        `every=0s..1s: 0s is less than 1ms`,
		"crashes:every=2s..1s":        `every=2s..1s: 1s is less than 2s`,
		"crashes:every=soon":          `every=soon: want DURATION..DURATION, e.g. 500ms..2s`,
		"none:x=1":                    `fault profile none: unknown parameter "x" (none takes no parameters)`,
		"swarm:only=network+rain":     `only=network+rain: unknown "rain" (known: network, disk, clock, partitions, crashes, pauses; or all, none)`,
		"chaos:maxdown=1":             `unknown fault profile "chaos"`,
	} {
		_, err := faults.ParseSpec(spec)
		require.ErrorContains(t, err, want, spec)
		require.ErrorIs(t, err, sim.ErrBadInput, spec)
		require.ErrorContains(t, faults.CheckSpec(spec), want, "CheckSpec takes what ParseSpec takes: %s", spec)
	}
}

// downAtOnce returns the most target nodes a plan has down at one time
// before its final heal.
func downAtOnce(t *testing.T, plan faults.Plan) (most, crashes int) {
	down := map[int]bool{}
	for _, a := range plan.Actions {
		if a.At == plan.Until {
			break
		}
		for _, n := range a.Nodes {
			switch a.Kind {
			case faults.Crash:
				require.False(t, down[n])
				down[n] = true
				crashes++
			case faults.Restart:
				down[n] = false
			}
		}
		now := 0
		for _, d := range down {
			if d {
				now++
			}
		}
		most = max(most, now)
	}
	return most, crashes
}

// TestMaxDown: crashes:maxdown=N never has more than N nodes down, and
// reaches N (with nodes down long enough to overlap); maxdown=all can take
// every node down; the default keeps a majority up and is the plan plain
// crashes makes. swarm's crashes keep the same bound.
func TestMaxDown(t *testing.T) {
	shape := faults.Shape{Nodes: 4, Duration: 30 * time.Second, Base: netsim.Reliable()}
	for _, profile := range []string{"crashes:down=3s..6s", "swarm:always=crashes"} {
		for spec, want := range map[string]int{":maxdown=1": 1, ":maxdown=2": 2, ":maxdown=all": 4, ":maxdown=0": 0, "": 1} {
			if spec != "" {
				spec = "," + spec[1:]
			}
			spec = profile + spec
			reached := 0
			for seed := uint64(1); seed <= 40; seed++ {
				plan, err := faults.Generate(spec, sim.NewRand(seed), shape)
				require.NoError(t, err, spec)
				most, crashes := downAtOnce(t, plan)
				require.LessOrEqual(t, most, want, "%s seed %d", spec, seed)
				reached = max(reached, most)
				if want == 0 {
					require.Zero(t, crashes, spec)
				}
			}
			if profile != "swarm:always=crashes" || want <= 1 {
				require.Equal(t, want, reached, "%s never had %d nodes down at once in 40 seeds", spec, want)
			}
		}
	}
	for seed := uint64(1); seed <= 10; seed++ {
		plain, err := faults.Generate("crashes", sim.NewRand(seed), shape)
		require.NoError(t, err)
		majority, err := faults.Generate("crashes:maxdown=majority", sim.NewRand(seed), shape)
		require.NoError(t, err)
		require.Equal(t, plain.Actions, majority.Actions)
	}
}

// TestParametersKeepTheStream: a profile's parameters do not change the
// stream it draws from, so a spec spelling out the defaults makes the
// default plan in a run.
func TestParametersKeepTheStream(t *testing.T) {
	shape := faults.Shape{Nodes: 5, Duration: 10 * time.Second, Base: netsim.Reliable()}
	for _, pair := range [][2]string{
		{"crashes", "crashes:maxdown=majority,every=500ms..2s"},
		{"swarm", "swarm:only=all,always=none"},
		{"partitions", "partitions:every=1s..1.199s"},
	} {
		a, err := faults.FromOptions(sim.NewWorld(sim.Options{Seed: 12, Faults: pair[0]}), shape)
		require.NoError(t, err)
		b, err := faults.FromOptions(sim.NewWorld(sim.Options{Seed: 12, Faults: pair[1]}), shape)
		require.NoError(t, err)
		require.Equal(t, a.Actions, b.Actions, "%s vs %s", pair[0], pair[1])
	}
}

// TestSwarmOnlyAndAlways: only= keeps the other sections off, always= turns
// its sections on for every seed.
func TestSwarmOnlyAndAlways(t *testing.T) {
	shape := faults.Shape{Nodes: 5, Duration: 20 * time.Second, Base: netsim.Reliable()}
	for seed := uint64(1); seed <= 30; seed++ {
		plan, err := faults.Generate("swarm:only=crashes+pauses,always=crashes", sim.NewRand(seed), shape)
		require.NoError(t, err)
		kinds := map[faults.Kind]bool{}
		for _, a := range plan.Actions {
			if a.At < shape.Duration {
				kinds[a.Kind] = true
			}
		}
		require.True(t, kinds[faults.Crash], "seed %d: crashes are always on", seed)
		for k := range kinds {
			require.Contains(t, []faults.Kind{faults.Crash, faults.Restart, faults.Pause, faults.Resume}, k, "seed %d", seed)
		}
	}
}

func TestSynopsis(t *testing.T) {
	p, ok := faults.Lookup("crashes")
	require.True(t, ok)
	require.Equal(t, "crashes[:maxdown=majority,every=500ms..2s,down=200ms..2s]", p.Synopsis())
	p, _ = faults.Lookup("none")
	require.Equal(t, "none", p.Synopsis())
}
