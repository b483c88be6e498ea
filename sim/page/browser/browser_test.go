// Package browser_test opens the failure page (package sim/page) in headless
// Chromium. It is a package of its own so that the page's package, which the
// runner library imports, has no test importing a browser driver or a system:
// go mod tidy in a module that uses the runner records the checksums of the
// tests of every package it imports (sim/cli's TestOwnModule).
package browser_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/register"
	"github.com/lockstep-dst/lockstep/kv/kvsim"
	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/cli"
)

// brokenRegister acknowledges writes before they are durable: under the crash
// profile a crash loses an acknowledged write and the client's read check
// fails (examples/register's TestUnsyncedAcknowledgementIsCaught).
const brokenRegister = "pagetest/RegisterBrokenSync"

// brokenKV answers Get from a server's local state, without the log: a
// deposed leader serves stale reads, and porcupine finds the history not
// linearizable (kvsim's TestBrokenLocalGets).
const brokenKV = "pagetest/KVLocalGets"

func init() {
	sim.Register(sim.Scenario{
		Name:        brokenRegister,
		Description: "test only: the register's primary acknowledges unsynced writes",
		Faults:      "crashes",
		Main:        register.Main(register.Config{SkipSync: true}),
	})
	kv, ok := kvsim.Scenario("kv/PersistPartitionUnreliableLinearizable3A", kvsim.Config{UnsafeLocalGets: true})
	if !ok {
		panic("no kv/PersistPartitionUnreliableLinearizable3A")
	}
	broken := *kv
	broken.Name, broken.Description = brokenKV, "test only: kv servers answer Get from local state"
	sim.Register(broken)
}

// browser returns the path of a Chromium-family browser, or skips the test
// loudly when there is none outside CI (.ci/run installs Debian's chromium
// and sets LOCKSTEP_CI=1, where a missing browser fails the test).
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium on PATH: the page's browser test needs one (Debian: apt-get install -y chromium)"
	if os.Getenv("LOCKSTEP_CI") != "" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

// firstFailure returns the first run from seed 1 on which scenario fails,
// with its crash marks (node and time).
func firstFailure(t *testing.T, scenario string) (sim.Result, []sim.Mark, []time.Duration) {
	sc, ok := sim.Lookup(scenario)
	require.True(t, ok)
	for seed := uint64(1); seed <= 100; seed++ {
		var crashes []sim.Mark
		var at []time.Duration
		res := sim.RunScenario(sc, sim.Options{Seed: seed, Trace: func(r sim.Record) {
			if r.Mark != nil && r.Mark.Kind == sim.MarkCrash {
				crashes = append(crashes, *r.Mark)
				at = append(at, r.At)
			}
		}})
		if !res.Passed() {
			require.NotEmpty(t, crashes, "seed %d failed without a crash", seed)
			return res, crashes, at
		}
	}
	t.Fatalf("%s passed seeds 1-100", scenario)
	return sim.Result{}, nil, nil
}

func parseDur(t *testing.T, s string) time.Duration {
	d, err := time.ParseDuration(s)
	require.NoError(t, err, "the page printed %q", s)
	return d
}

// pageGeometry mirrors page.js: the plot starts GUTTER pixels from the
// timeline's left and ends PAD_R before its right.
const gutter, padRight = 140, 16

type box struct{ Left, Width, Top, Height float64 }

// tab is one page open in the browser, with what its console and network
// showed.
type tab struct {
	ctx      context.Context
	mu       sync.Mutex
	problems []string // console errors, exceptions, browser log errors
	requests []string // every URL the page requested
}

// open replays scenario's seed with -html, as a user would, and opens the
// page in a new tab of the browser bctx.
func open(t *testing.T, bctx context.Context, scenario string, seed uint64) *tab {
	file := filepath.Join(t.TempDir(), "failure.html")
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), []string{"replay", "-scenario", scenario,
		"-seed", fmt.Sprint(seed), "-html", file}, &out, &errOut, cli.Config{Name: "simrun", Command: "simrun"})
	require.Equal(t, 1, code, "%s%s", out.String(), errOut.String())

	ctx, cancel := chromedp.NewContext(bctx)
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				tb.problems = append(tb.problems, fmt.Sprintf("console.%s called", ev.Type))
			}
		case *runtime.EventExceptionThrown:
			tb.problems = append(tb.problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				tb.problems = append(tb.problems, "browser log: "+ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			tb.requests = append(tb.requests, ev.Request.URL)
		}
	}))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate("file://"+file),
		chromedp.WaitVisible("#timeline-svg"),
	))
	return tb
}

// quiet checks that the console showed no error and that the page requested
// nothing but itself.
func (tb *tab) quiet(t *testing.T) {
	// A last round trip: every event the page caused has been seen.
	_, err := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`1`))
	require.NoError(t, err)
	tb.mu.Lock()
	defer tb.mu.Unlock()
	require.Empty(t, tb.problems, "the console shows errors")
	require.NotEmpty(t, tb.requests)
	for _, u := range tb.requests {
		require.True(t, strings.HasPrefix(u, "file://") || strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "about:"),
			"the page fetched %s", u)
	}
}

// A person opening the page of a failing run sees a lane per node, each
// crash at its time on its node's lane, the failure marked at its time with
// its check and message, and no error in the console; the page fetches
// nothing. For kv, the client history is drawn as lanes with the operations
// on the keys found wrong in red, and porcupine's view is embedded. The test
// saves a screenshot of the register's page (LOCKSTEP_PAGE_SCREENSHOT names
// the file; docs/page.png was made so).
func TestPageInABrowser(t *testing.T) {
	exe := browser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()
	require.NoError(t, chromedp.Do(bctx)) // starts the browser

	t.Run("register", func(t *testing.T) {
		res, crashes, crashAt := firstFailure(t, brokenRegister)
		require.Equal(t, "register/reads", res.Failure.Check)
		tb := open(t, bctx, brokenRegister, res.Seed)
		ctx := tb.ctx

		// A lane per node, named.
		lanes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("#timeline-svg text.lane-label")].map(e => e.textContent)`))
		require.NoError(t, err)
		for _, n := range []string{"replica0", "replica1", "replica2", "client"} {
			require.Contains(t, lanes, n)
		}
		laneRows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline-svg rect.lane").length`))
		require.NoError(t, err)
		require.Equal(t, len(lanes), laneRows)

		// Where a time is drawn: the whole run is in view.
		tl, err := chromedp.Run(ctx, chromedp.Evaluate[box](
			`(() => { const r = document.getElementById("timeline-svg").getBoundingClientRect(); return {Left: r.left, Width: r.width, Top: r.top, Height: r.height}; })()`))
		require.NoError(t, err)
		xOf := func(at time.Duration) float64 {
			return tl.Left + gutter + float64(at)/float64(res.Virtual)*(tl.Width-gutter-padRight)
		}

		// Each crash is drawn on its node's lane at its time, and says so.
		for i, c := range crashes {
			sel := fmt.Sprintf(`#timeline-svg g.mark-crash[data-node=%q][data-at="%d"]`, c.Node, crashAt[i].Nanoseconds())
			got, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
				Box   box
				Title string
				Lane  box
			}](fmt.Sprintf(`(() => {
				const g = document.querySelector(%q);
				if (!g) return null;
				const r = g.querySelector("path").getBoundingClientRect();
				const lane = document.querySelector('#timeline-svg rect.lane[data-lane=%q]').getBoundingClientRect();
				return {Box: {Left: r.left, Width: r.width, Top: r.top, Height: r.height}, Title: g.querySelector("title").textContent,
					Lane: {Left: lane.left, Width: lane.width, Top: lane.top, Height: lane.height}};
			})()`, sel, c.Node)))
			require.NoError(t, err, "crash of %s at %v not drawn (%s)", c.Node, crashAt[i], sel)
			require.InDelta(t, xOf(crashAt[i]), got.Box.Left+got.Box.Width/2, 1.5, "crash of %s at %v", c.Node, crashAt[i])
			require.Greater(t, got.Box.Top, got.Lane.Top, "crash of %s drawn on its lane", c.Node)
			require.Less(t, got.Box.Top+got.Box.Height, got.Lane.Top+got.Lane.Height)
			require.Contains(t, got.Title, "crash at ")
			require.Contains(t, got.Title, "on "+c.Node)
		}

		// The failure: a line at its time across the lanes, labelled with the
		// check; the header gives its time and message.
		fail, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
			Line  box
			Label string
			Title string
		}](`(() => {
			const g = document.getElementById("fail-marker");
			const r = g.querySelector("line").getBoundingClientRect();
			return {Line: {Left: r.left, Width: r.width, Top: r.top, Height: r.height}, Label: g.querySelector("text").textContent,
				Title: g.querySelector("title").textContent};
		})()`))
		require.NoError(t, err)
		require.InDelta(t, xOf(res.Failure.At), fail.Line.Left+fail.Line.Width/2, 1.5)
		require.Greater(t, fail.Line.Height, tl.Height*0.8, "the failure line crosses every lane")
		require.Equal(t, "✗ register/reads", fail.Label)
		require.Contains(t, fail.Title, res.Failure.Err.Error())
		header, err := chromedp.Run(ctx, chromedp.Text("#failure"))
		require.NoError(t, err)
		require.Contains(t, header, "register/reads failed at "+res.Failure.At.String())
		require.Contains(t, header, res.Failure.Err.Error())
		replay, err := chromedp.Run(ctx, chromedp.Text("#replay"))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("simrun replay -scenario %s -seed %d", brokenRegister, res.Seed), replay)
		plan, err := chromedp.Run(ctx, chromedp.Text("#plan-text"))
		require.NoError(t, err)
		require.Contains(t, plan, `fault plan "crashes"`)

		// Zooming to the failure narrows the window and keeps the failure in it.
		require.NoError(t, chromedp.Do(ctx, chromedp.Click("#zoom-fail")))
		window, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[document.getElementById("win-from").value, document.getElementById("win-to").value, String(!!document.getElementById("fail-marker"))]`))
		require.NoError(t, err)
		require.NotEqual(t, "0s", window[0], "the window starts after the run's start")
		require.Equal(t, "true", window[2])

		// A typed window is shown, and kept in the address; the wheel zooms in.
		require.Greater(t, res.Virtual, 2*time.Second, "the run is too short for the window typed below")
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SetValue("#win-from", "1s"), chromedp.SetValue("#win-to", "2s"), chromedp.Click("#win-go")))
		typed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`[document.querySelector("#timeline-svg text.tick").textContent, location.hash, document.getElementById("win-to").value]`))
		require.NoError(t, err)
		require.Equal(t, []string{"1s", "#from=1s&to=2s", "2s"}, typed)
		zoomed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const tl = document.getElementById("timeline"), r = tl.getBoundingClientRect();
			tl.dispatchEvent(new WheelEvent("wheel", {deltaY: -100, clientX: r.left + r.width / 2, clientY: r.top + 50, bubbles: true, cancelable: true}));
			return [document.getElementById("win-from").value, document.getElementById("win-to").value];
		})()`))
		require.NoError(t, err)
		from, to := parseDur(t, zoomed[0]), parseDur(t, zoomed[1])
		require.Greater(t, from, time.Second)
		require.Less(t, to, 2*time.Second)

		require.NoError(t, chromedp.Do(ctx, chromedp.Click("#zoom-all")))
		// What a person sees first: the run, the failure and the timeline.
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		dest := os.Getenv("LOCKSTEP_PAGE_SCREENSHOT")
		if dest == "" {
			dest = filepath.Join(t.TempDir(), "page.png")
		}
		require.NoError(t, os.WriteFile(dest, shot, 0o644))
		t.Logf("screenshot: %s", dest)

		tb.quiet(t)
	})

	t.Run("kv", func(t *testing.T) {
		t.Setenv("TMPDIR", t.TempDir()) // where kvsim writes porcupine's view too (os.TempDir)
		res, _, _ := firstFailure(t, brokenKV)
		require.Equal(t, "kv/linearizability", res.Failure.Check)
		tb := open(t, bctx, brokenKV, res.Seed)

		// A lane per client under the nodes, and the operations on the
		// keys porcupine found wrong drawn in red.
		got, err := chromedp.Run(tb.ctx, chromedp.Evaluate[struct {
			Clients, Ops, Bad int
			BadTitle          string
		}](`(() => {
			const bad = document.querySelectorAll("#timeline-svg rect.op-bad");
			return {Clients: document.querySelectorAll("#timeline-svg text.client-label").length,
				Ops: document.querySelectorAll("#timeline-svg rect.op").length, Bad: bad.length,
				BadTitle: bad.length ? bad[0].querySelector("title").textContent : ""};
		})()`))
		require.NoError(t, err)
		require.Positive(t, got.Clients)
		require.Positive(t, got.Bad)
		require.Greater(t, got.Ops, got.Bad)
		require.Contains(t, got.BadTitle, "on a key whose history is not linearizable")

		// Porcupine's own view, in its frame, drew the history.
		frames, err := chromedp.Run(tb.ctx, chromedp.Nodes(chromedp.CSS(`iframe.attachment-frame[title="kv/linearizability"]`)))
		require.NoError(t, err)
		require.Len(t, frames, 1)
		// The sandboxed frame runs as a target of its own: attach to it.
		targets, err := chromedp.Targets(tb.ctx)
		require.NoError(t, err)
		var frame []target.ID
		for _, tg := range targets {
			if tg.Type == "iframe" && tg.URL == "about:srcdoc" {
				frame = append(frame, tg.TargetID)
			}
		}
		require.Len(t, frame, 1, "porcupine's frame")
		fctx, fcancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(frame[0]))
		defer fcancel()
		view, err := chromedp.Run(fctx, chromedp.Evaluate[struct{ SVGs, Rects int }](
			`({SVGs: document.querySelectorAll("svg").length, Rects: document.querySelectorAll("svg rect").length})`))
		require.NoError(t, err)
		require.Positive(t, view.SVGs, "porcupine's view drew nothing")
		require.Greater(t, view.Rects, got.Ops/2, "porcupine's view drew the history's operations")
		tb.quiet(t)
	})
}
