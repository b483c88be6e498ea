package cli

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// clitest/DrawnRun runs three nodes under a fault plan and fails on odd
// seeds, after the plan's faults: what a page draws.
func init() {
	sim.Register(sim.Scenario{
		Name:        "clitest/DrawnRun",
		Description: "test only: three nodes under the crash profile; fails on odd seeds",
		Faults:      "crashes",
		Main: func(p *sim.Proc) error {
			w := p.World()
			net := netsim.New(w)
			var nodes []*sim.Node
			for i := 0; i < 3; i++ {
				n := w.AddNode("node"+string(rune('a'+i)), func(*sim.Node) {})
				net.Attach(n)
				w.Start(n)
				nodes = append(nodes, n)
			}
			plan, err := faults.FromOptions(w, faults.Shape{Nodes: 3, Duration: 5 * time.Second, Base: netsim.Reliable()})
			if err != nil {
				return err
			}
			if err := faults.Install(faults.Target{World: w, Net: net, Nodes: nodes}, plan); err != nil {
				return err
			}
			p.Sleep(6 * time.Second)
			if w.Seed()%2 == 1 {
				return sim.Checkf("clitest/odd", "seed %d is odd <script>", w.Seed())
			}
			return nil
		},
	})
}

// clitest/TracingChangesIt breaks the rule of World.Tracing: it fails only
// when not traced, so its traced replay is another run.
func init() {
	sim.Register(sim.Scenario{
		Name:        "clitest/TracingChangesIt",
		Description: "test only: fails unless traced",
		Main: func(p *sim.Proc) error {
			if p.World().Tracing() {
				return nil
			}
			return fmt.Errorf("not traced")
		},
	})
}

// A page is of the run the sweep made, or of nothing: a traced replay that
// ends otherwise is reported, and no page is left under the run's name.
func TestRunHTMLRefusesAReplayThatDiffers(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := simrun("run", "-scenario", "clitest/TracingChangesIt", "-seeds", "1", "-html", dir)
	require.Equal(t, 1, code, out)
	require.Contains(t, errOut, "testrunner: -html: clitest/TracingChangesIt seed 1: the traced replay ended pass")
	require.Contains(t, errOut, "the sweep's run fail")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}

func TestReplayHTMLWritesThePage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "run.html")
	code, out, errOut := simrun("replay", "-scenario", "clitest/DrawnRun", "-seed", "1", "-html", file)
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Contains(t, out, "  page: "+file+"\n")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	html := string(b)
	require.Contains(t, html, "clitest/DrawnRun</span> seed <span class=\"seed\">1</span>")
	require.Contains(t, html, "./testrunner replay -scenario clitest/DrawnRun -seed 1")
	// The failure, escaped; the plan the run applied, as JSON.
	require.Contains(t, html, "seed 1 is odd &lt;script&gt;")
	require.NotContains(t, html, "odd <script>")
	require.Contains(t, html, `&#34;profile&#34;: &#34;crashes&#34;`)
	require.Contains(t, html, `fault plan &#34;crashes&#34; for 3 nodes`)
	// Every node has a lane; nothing is fetched.
	for _, n := range []string{"nodea", "nodeb", "nodec"} {
		require.Contains(t, html, `"`+n+`"`)
	}
	require.NotContains(t, html, "src=\"http")

	// A passing run has a page too.
	file2 := filepath.Join(t.TempDir(), "pass.html")
	code, out, _ = simrun("replay", "-scenario", "clitest/DrawnRun", "-seed", "2", "-html", file2)
	require.Equal(t, 0, code, out)
	b, err = os.ReadFile(file2)
	require.NoError(t, err)
	require.Contains(t, string(b), `class="outcome outcome-pass"`)
}

func TestRunHTMLWritesAPagePerFailure(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := simrun("run", "-scenario", "clitest/DrawnRun", "-seeds", "1-4", "-html", dir)
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Empty(t, errOut)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"clitest_DrawnRun_1.html", "clitest_DrawnRun_3.html"}, names)
	require.Contains(t, out, "  page: "+filepath.Join(dir, "clitest_DrawnRun_3.html")+"\n")
	// JSON lines stay JSON: the page is named on stderr.
	dir2 := t.TempDir()
	code, out, errOut = simrun("run", "-scenario", "clitest/DrawnRun", "-seeds", "3", "-json", "-html", dir2)
	require.Equal(t, 1, code)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		require.True(t, strings.HasPrefix(line, "{"), line)
	}
	require.Contains(t, errOut, "page of clitest/DrawnRun seed 3: "+filepath.Join(dir2, "clitest_DrawnRun_3.html"))
}

func TestHTMLFlagErrors(t *testing.T) {
	code, _, errOut := simrun("run", "-scenario", "clitest/DrawnRun", "-seeds", "1", "-html", "/nonexistent/dir")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `-html "/nonexistent/dir" is not a directory`)
	code, _, errOut = simrun("replay", "-scenario", "clitest/DrawnRun", "-seed", "1", "-html", "/nonexistent/dir/x.html")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `-html "/nonexistent/dir/x.html": directory "/nonexistent/dir" does not exist`)
	code, _, errOut = simrun("replay", "-scenario", "clitest/DrawnRun", "-seed", "1", "-html", t.TempDir())
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "is a directory: want a file name")
}

// htmlText is s as html/template writes it in a page's text.
func htmlText(t *testing.T, s string) string {
	var b strings.Builder
	require.NoError(t, template.Must(template.New("").Parse("{{.}}")).Execute(&b, s))
	return b.String()
}

// shrink -html draws the minimal failing run, not the run it started from:
// the page names the scenario and seed, shows the minimal plan (as JSON and
// one action a line) and not the original plan, and replays the minimal
// plan with its knobs.
func TestShrinkHTMLDrawsTheMinimalRun(t *testing.T) {
	const name = "clitest/planted/LostCount"
	seed := firstFailing(t, name, 30)
	dir := t.TempDir()
	file, planFile := filepath.Join(dir, "shrunk.html"), filepath.Join(dir, "min.json")
	code, out, errOut := simrun("shrink", "-scenario", name, "-seed", fmt.Sprint(seed), "-o", planFile, "-html", file, "-parallel", "1")
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Contains(t, out, "wrote the page of the minimal failing run to "+file+"\n")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	html := string(b)
	require.Contains(t, html, name+"</span> seed <span class=\"seed\">"+fmt.Sprint(seed)+"</span>")
	require.Contains(t, html, "clitest/durability")

	minimal, err := faults.ParsePlan(mustRead(t, planFile))
	require.NoError(t, err)
	sc, _ := sim.Lookup(name)
	_, original, found := runCapturingPlan(sc, sim.Options{Seed: seed})
	require.True(t, found)
	require.Greater(t, len(original.Actions), len(minimal.Actions))
	require.Contains(t, html, htmlText(t, string(minimal.JSON())))
	require.Contains(t, html, htmlText(t, minimal.String()))
	require.NotContains(t, html, htmlText(t, string(original.JSON())))
	require.NotContains(t, html, htmlText(t, original.String()))
	// The page's replay command runs the minimal plan, knobs and all.
	knobs := regexp.MustCompile(`minimal knobs: (writers=\d+)`).FindStringSubmatch(out)
	require.NotNil(t, knobs, out)
	replay := ReplayCommand("./testrunner", name, seed, string(minimal.JSON()))
	if knobs[1] != fmt.Sprintf("writers=%d", writersKnob.Default) {
		replay += " -knobs " + knobs[1]
	}
	require.Contains(t, html, htmlText(t, replay))

	// A bad -html is a usage error before any run.
	code, _, errOut = simrun("shrink", "-scenario", name, "-seed", fmt.Sprint(seed), "-html", dir)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "is a directory: want a file name")
}
