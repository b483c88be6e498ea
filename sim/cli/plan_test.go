package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// ping is the message planCluster's nodes send.
type ping struct{}

func (ping) Size() int  { return 1 }
func (ping) Clone() any { return ping{} }

// planCluster builds n nodes named n0.. on a network with some latency, so
// that when a fault lands changes what the nodes see, and each pings the
// others every 50 ms.
func planCluster(p *sim.Proc, n int) faults.Target {
	w := p.World()
	net := netsim.New(w)
	net.SetConditions(netsim.Conditions{DelayMin: time.Millisecond, DelayMax: 20 * time.Millisecond, FailDelay: netsim.ShortFailDelay})
	t := faults.Target{World: w, Net: net}
	eps := make([]*netsim.Endpoint, n)
	for i := 0; i < n; i++ {
		node := w.AddNode(fmt.Sprint("n", i), func(node *sim.Node) {
			eps[i].Handle("Ping", func(_ *netsim.Request, respond func(netsim.Message)) { respond(ping{}) })
			var tick func()
			tick = func() {
				for j := 0; j < n; j++ {
					if j != i {
						eps[i].Call(t.Nodes[j].ID, "Ping", ping{}, func(any, bool) {})
					}
				}
				node.After(50*time.Millisecond, "tick", tick)
			}
			node.After(50*time.Millisecond, "tick", tick)
		})
		eps[i] = net.Attach(node)
		t.Nodes = append(t.Nodes, node)
		w.Start(node)
	}
	return t
}

func init() {
	sim.Register(sim.Scenario{
		Name:        "clitest/WithPlan",
		Description: "test only: 3 pinging nodes under the run's fault plan for 3 s",
		Faults:      "crashes",
		Main: func(p *sim.Proc) error {
			t := planCluster(p, 3)
			plan, err := faults.FromOptions(p.World(), faults.Shape{Nodes: 3, Duration: 3 * time.Second, Base: t.Net.Conditions()})
			if err != nil {
				return err
			}
			if err := faults.Install(t, plan); err != nil {
				return err
			}
			p.Sleep(plan.Until + time.Second)
			return nil
		},
	})
	sim.Register(sim.Scenario{
		Name:        "clitest/TwoPlans",
		Description: "test only: installs the run's fault plan twice",
		Faults:      "none",
		Main: func(p *sim.Proc) error {
			t := planCluster(p, 2)
			for k := 0; k < 2; k++ {
				plan, err := faults.FromOptions(p.World(), faults.Shape{Nodes: 2, Duration: time.Second})
				if err != nil {
					return err
				}
				if err := faults.Install(t, plan); err != nil {
					return err
				}
			}
			return nil
		},
	})
}

var hashRE = regexp.MustCompile(`hash ([0-9a-f]{16})`)

// replayHash replays and returns the run's trace hash.
func replayHash(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := simrun(append([]string{"replay"}, args...)...)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	m := hashRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	return m[1]
}

// TestPlanPrintsAReplayablePlan: `plan` prints the plan a seed's profile
// makes, named after the scenario's nodes with readable durations; saved to a
// file and replayed with -faults @file, it is the same run, hash for hash,
// as the profile's.
func TestPlanPrintsAReplayablePlan(t *testing.T) {
	for _, profile := range []string{"", "crashes", "swarm", "partitions"} {
		for seed := 1; seed <= 3; seed++ {
			args := []string{"-scenario", "clitest/WithPlan", "-seed", fmt.Sprint(seed)}
			if profile != "" {
				args = append(args, "-faults", profile)
			}
			code, out, errOut := simrun(append([]string{"plan"}, args...)...)
			require.Equal(t, 0, code, errOut)
			require.Contains(t, errOut, "./testrunner replay -scenario clitest/WithPlan -seed "+fmt.Sprint(seed)+" -faults @FILE")
			plan, err := faults.ParsePlan([]byte(out))
			require.NoError(t, err, out)
			require.Equal(t, []string{"n0", "n1", "n2"}, plan.Names)
			require.Regexp(t, `"until": "3s"`, out)
			require.NotEmpty(t, plan.Actions)

			file := filepath.Join(t.TempDir(), "plan.json")
			require.NoError(t, os.WriteFile(file, []byte(out), 0o644))
			want := replayHash(t, args...)
			require.Equal(t, want, replayHash(t, "-scenario", "clitest/WithPlan", "-seed", fmt.Sprint(seed), "-faults", "@"+file),
				"profile %q seed %d: the printed plan replays as a different run", profile, seed)
			require.Contains(t, errOut, want, "stderr names the run's hash")
		}
	}
}

// TestPlanOfAnEditedPlanFile: plan with -faults @file prints that plan back
// with node names, and an edit to the file changes the run.
func TestPlanOfAnEditedPlanFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plan.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"profile": "hand", "nodes": 3, "until": "2s", "actions": [
		{"at": "500ms", "kind": "crash", "nodes": [1]}, {"at": "2s", "kind": "restart", "nodes": [1]}]}`), 0o644))
	code, out, errOut := simrun("plan", "-scenario", "clitest/WithPlan", "-seed", "1", "-faults", "@"+file)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `{"at": "500ms", "kind": "crash", "nodes": ["n1"]}`)

	edited := filepath.Join(dir, "edited.json")
	require.NoError(t, os.WriteFile(edited, []byte(`{"profile": "hand", "nodes": ["n0", "n1", "n2"], "until": "2s", "actions": [
		{"at": "500ms", "kind": "crash", "nodes": ["n2"]}, {"at": "2s", "kind": "restart", "nodes": ["n2"]}]}`), 0o644))
	require.NotEqual(t,
		replayHash(t, "-scenario", "clitest/WithPlan", "-seed", "1", "-faults", "@"+file),
		replayHash(t, "-scenario", "clitest/WithPlan", "-seed", "1", "-faults", "@"+edited))
}

func TestPlanUsageErrors(t *testing.T) {
	dir := t.TempDir()
	wrongName := filepath.Join(dir, "wrong.json")
	require.NoError(t, os.WriteFile(wrongName, []byte(`{"nodes": ["n0", "n1", "raft2"], "until": "1s", "actions": []}`), 0o644))
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-seed", "1"}, 2, "plan needs -scenario"},
		{[]string{"-scenario", "clitest/WithPlan"}, 2, "plan needs -seed"},
		{[]string{"-scenario", "clitest/Nope", "-seed", "1"}, 2, `unknown scenario "clitest/Nope"`},
		{[]string{"-scenario", "clitest/WithPlan", "-seed", "1-3"}, 2, "want one seed"},
		{[]string{"-scenario", "clitest/FailsOnThrees", "-seed", "1"}, 2, "scripts its own faults"},
		{[]string{"-scenario", "clitest/WithPlan", "-seed", "1", "-faults", "chaos"}, 2, `unknown fault profile "chaos"`},
		{[]string{"-scenario", "clitest/WithPlan", "-seed", "1", "-faults", "@" + wrongName}, 2, `the plan names node "raft2", the scenario's nodes are n0, n1, n2`},
		{[]string{"-scenario", "clitest/TwoPlans", "-seed", "1"}, 1, "installed 2 fault plans"},
	}
	for _, tt := range tests {
		code, out, errOut := simrun(append([]string{"plan"}, tt.args...)...)
		require.Equal(t, tt.code, code, "%v: %s%s", tt.args, out, errOut)
		require.Contains(t, errOut, tt.want, "%v", tt.args)
		require.Empty(t, out, "%v: nothing on stdout, which a user redirects to a plan file", tt.args)
	}
}
