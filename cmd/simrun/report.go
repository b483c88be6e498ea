package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// reporter prints a sweep: failures in full as they come (in job order), a
// progress line on a terminal, per-scenario speed, and the final count.
type reporter struct {
	stdout, stderr io.Writer
	total          int
	asJSON         bool
	faults         string // the -faults spec (a profile name or plan JSON), for replay commands
	done, failed   int
	passed         int
	start          time.Time
	tty            bool
	perScenario    map[string]*speed
	order          []string
}

type speed struct {
	runs    int
	events  uint64
	virtual time.Duration
	wall    time.Duration
}

func newReporter(stdout, stderr io.Writer, total int, asJSON bool, faults string) *reporter {
	r := &reporter{stdout: stdout, stderr: stderr, total: total, asJSON: asJSON, faults: faults,
		start: time.Now(), perScenario: map[string]*speed{}}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			r.tty = true
		}
	}
	return r
}

// progress updates the terminal's progress line as each run finishes.
func (r *reporter) progress(o outcome) {
	r.done++
	if !o.passed() {
		r.failed++
	}
	if !r.tty {
		return
	}
	elapsed := time.Since(r.start)
	rate := float64(r.done) / elapsed.Seconds()
	left := time.Duration(float64(r.total-r.done)/rate) * time.Second
	fmt.Fprintf(r.stderr, "\r\033[K%d/%d runs, %d failed, %.0f runs/s, %v left", r.done, r.total, r.failed, rate, left.Round(time.Second))
}

func (r *reporter) clearProgress() {
	if r.tty {
		fmt.Fprint(r.stderr, "\r\033[K")
	}
}

// jsonRun is the -json form of one run.
type jsonRun struct {
	Scenario    string  `json:"scenario"`
	Seed        uint64  `json:"seed"`
	Outcome     string  `json:"outcome"`
	Check       string  `json:"check,omitempty"`
	Message     string  `json:"message,omitempty"`
	Events      uint64  `json:"events"`
	VirtualSec  float64 `json:"virtual_s"`
	WallSec     float64 `json:"wall_s"`
	Speedup     float64 `json:"speedup"`
	Hash        string  `json:"hash"`
	Replay      string  `json:"replay,omitempty"`
	Nondetermin string  `json:"nondeterminism,omitempty"`
}

func (r *reporter) report(o outcome) {
	s := r.perScenario[o.scenario.Name]
	if s == nil {
		s = &speed{}
		r.perScenario[o.scenario.Name] = s
		r.order = append(r.order, o.scenario.Name)
	}
	s.runs++
	s.events += o.res.Events
	s.virtual += o.res.Virtual
	s.wall += o.wall
	if o.passed() {
		r.passed++
	}
	replay := replayCommand(o.scenario.Name, o.seed, r.faults)
	if r.asJSON {
		j := jsonRun{Scenario: o.scenario.Name, Seed: o.seed, Outcome: string(o.res.Outcome), Events: o.res.Events,
			VirtualSec: o.res.Virtual.Seconds(), WallSec: o.wall.Seconds(), Speedup: ratio(o.res.Virtual, o.wall),
			Hash: fmt.Sprintf("%016x", o.res.Hash)}
		if f := o.res.Failure; f != nil {
			j.Check, j.Message = f.Check, f.Error()
		}
		if o.div != nil {
			j.Outcome, j.Nondetermin = "nondeterministic", o.div.Error()
		}
		if !o.passed() {
			j.Replay = replay
		}
		b, _ := json.Marshal(j)
		r.clearProgress()
		fmt.Fprintln(r.stdout, string(b))
		return
	}
	if o.passed() {
		return
	}
	r.clearProgress()
	fmt.Fprintf(r.stdout, "FAIL %s seed %d: %s\n", o.scenario.Name, o.seed, o.res.Outcome)
	if f := o.res.Failure; f != nil {
		fmt.Fprintf(r.stdout, "  %s\n", indent(f.Error()))
		if f.Stack != "" {
			fmt.Fprintf(r.stdout, "  stack:\n    %s\n", indent(firstLines(f.Stack, 24)))
		}
	}
	if o.div != nil {
		fmt.Fprintf(r.stdout, "  check determinism: %s\n", indent(o.div.Error()))
	}
	fmt.Fprintf(r.stdout, "  events %d, virtual %v, hash %016x\n", o.res.Events, o.res.Virtual, o.res.Hash)
	fmt.Fprintf(r.stdout, "  replay: %s\n", replay)
}

func (r *reporter) finish() {
	r.clearProgress()
	if !r.asJSON {
		for _, name := range r.order {
			s := r.perScenario[name]
			n := time.Duration(s.runs)
			fmt.Fprintf(r.stdout, "%-50s %4d runs  %9d events/run  %9v virtual/run  %9v wall/run  %7.0fx real time\n",
				name, s.runs, s.events/uint64(s.runs), (s.virtual / n).Round(time.Millisecond),
				(s.wall / n).Round(time.Microsecond), ratio(s.virtual, s.wall))
		}
	}
	fmt.Fprintf(r.stdout, "%d passed, %d failed\n", r.passed, r.total-r.passed)
}

func ratio(virtual, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return virtual.Seconds() / wall.Seconds()
}

func indent(s string) string { return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") }

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

var _ = sim.Pass
