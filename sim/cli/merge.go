//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// The merge command: shards' -json outputs in, one sweep's output out, as
// if one machine had run every shard. Runs are identified by (scenario,
// seed): the same run in two files must have run the same way (outcome,
// events, trace hash), else the files are from different code or the
// system is not deterministic across machines, and merge says so rather
// than pick one. Every input is held in memory (a merge of 100,000 runs
// peaked at 129 MB resident); the output is in sweep order (scenarios by
// name, seeds ascending), whatever order the files come in.

// mergeFile is one input: a whole -json stream.
type mergeFile struct {
	name      string
	runs      []jsonRun
	scenarios []jsonScenario
	summary   jsonSummary
}

// runKey identifies a run within one fault setting.
type runKey struct {
	scenario string
	seed     uint64
}

// mergedRun is a run, where its file holds it, and the file it was first
// read from.
type mergedRun struct {
	*jsonRun
	file string
}

func (r *runner) merge(args []string) (int, error) {
	fs := newFlags("merge", r.stderr)
	asJSON := fs.Bool("json", false, "JSON lines on stdout, as run -json prints them: every run, one object per scenario, and the summary")
	verbose := fs.Bool("v", false, "print a line for every run, passing ones too (text output)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, helpRequested{fs}
		}
		return 2, usageError{err.Error()}
	}
	names := fs.Args()
	if len(names) == 0 {
		return 2, usagef("merge needs the files to merge: the -json outputs of '%s run' (or - for stdin)", r.Name)
	}
	stdinSeen := false
	for _, name := range names {
		if name == "-" {
			if stdinSeen {
				return 2, usagef("merge: - (stdin) named twice")
			}
			stdinSeen = true
			continue
		}
		if strings.HasPrefix(name, "-") {
			return 2, usagef("merge: flag %s after the files: flags go first ('%s merge -json FILE...')", name, r.Name)
		}
	}
	var files []*mergeFile
	for _, name := range names {
		f, err := readMergeFile(name, r.stdin)
		if err != nil {
			return 2, usageError{err.Error()}
		}
		files = append(files, f)
	}
	m, err := combine(files)
	if err != nil {
		return 2, usageError{err.Error()}
	}

	rep := newReporter(r.stdout, r.stderr, m.total, *asJSON, "")
	rep.name, rep.verbose, rep.sweep, rep.wall = r.Name, *verbose, m.sweep, m.wall
	rep.interrupted = len(m.interrupted) > 0
	if !*asJSON {
		fmt.Fprintln(r.stdout, m.describe())
		for _, line := range m.interrupted {
			fmt.Fprintln(r.stdout, line)
		}
	}
	for _, run := range m.runs {
		rep.add(*run.jsonRun)
	}
	for name, s := range rep.perScenario {
		s.listed = m.listed[name]
	}
	ok := rep.finish(m.required)
	if !ok || rep.interrupted {
		return 1, nil
	}
	return 0, nil
}

// readMergeFile reads one -json stream, checking that it is one: JSON
// objects of a known schema, one per line, ending with the summary, whose
// counts match the lines before it.
func readMergeFile(name string, stdin io.Reader) (*mergeFile, error) {
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("merge: %v", err)
		}
		defer f.Close()
		in = f
	}
	if name == "-" {
		name = "stdin"
	}
	return parseMergeFile(name, in)
}

func parseMergeFile(name string, in io.Reader) (*mergeFile, error) {
	notOutput := func(line int, format string, args ...any) error {
		return fmt.Errorf("merge: %s:%d: %s: not the output of 'run -json'", name, line, fmt.Sprintf(format, args...))
	}
	mf := &mergeFile{name: name}
	interned := map[string]string{}
	intern := func(s string) string {
		if t, ok := interned[s]; ok {
			return t
		}
		interned[s] = s
		return s
	}
	br := bufio.NewReader(in)
	haveSummary := false
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("merge: reading %s: %v", name, err)
		}
		if text := bytes.TrimSpace(line); len(text) > 0 {
			if haveSummary {
				return nil, notOutput(lineNo, "a line after the summary, which ends a stream")
			}
			var head struct {
				Schema *int   `json:"schema"`
				Type   string `json:"type"`
			}
			if json.Unmarshal(text, &head) != nil || text[0] != '{' {
				return nil, notOutput(lineNo, "not a JSON object")
			}
			if head.Schema == nil {
				return nil, notOutput(lineNo, "no \"schema\"")
			}
			if *head.Schema != jsonSchema {
				return nil, fmt.Errorf("merge: %s:%d: schema %d, and this runner reads schema %d: merge with the runner that wrote it", name, lineNo, *head.Schema, jsonSchema)
			}
			var target any
			switch head.Type {
			case "run":
				mf.runs = append(mf.runs, jsonRun{})
				target = &mf.runs[len(mf.runs)-1]
			case "scenario":
				mf.scenarios = append(mf.scenarios, jsonScenario{})
				target = &mf.scenarios[len(mf.scenarios)-1]
			case "summary":
				haveSummary = true
				target = &mf.summary
			default:
				return nil, notOutput(lineNo, "type %q (want run, scenario or summary)", head.Type)
			}
			if err := json.Unmarshal(text, target); err != nil {
				return nil, notOutput(lineNo, "%v", err)
			}
			if head.Type == "run" {
				run := &mf.runs[len(mf.runs)-1]
				if run.Scenario == "" || run.Outcome == "" || !hashPattern.MatchString(run.Hash) {
					return nil, notOutput(lineNo, "a run without scenario, outcome or 16-digit hash")
				}
				// Every run holds one of these few strings: one copy
				// of each, not one per run.
				run.Scenario, run.Outcome, run.Check = intern(run.Scenario), intern(run.Outcome), intern(run.Check)
			}
		}
		if err == io.EOF {
			break
		}
	}
	switch {
	case len(mf.runs) == 0 && len(mf.scenarios) == 0 && !haveSummary:
		return nil, fmt.Errorf("merge: %s is empty: not the output of 'run -json' (did the run start?)", name)
	case !haveSummary:
		return nil, fmt.Errorf("merge: %s does not end with a summary line: the output is cut short (was the run killed before its end?)", name)
	case mf.summary.UsageError != "" || mf.summary.ExitStatus == 2:
		return nil, fmt.Errorf("merge: %s: the run stopped on a usage error: %s", name, mf.summary.UsageError)
	}
	if uint64(len(mf.runs)) != mf.summary.Runs {
		return nil, fmt.Errorf("merge: %s: the summary counts %d runs but the file holds %d: not the whole output of one 'run -json'", name, mf.summary.Runs, len(mf.runs))
	}
	perScenario := map[string]uint64{}
	for _, run := range mf.runs {
		perScenario[run.Scenario]++
	}
	for _, s := range mf.scenarios {
		if perScenario[s.Scenario] != s.Runs {
			return nil, fmt.Errorf("merge: %s: scenario %s counts %d runs but the file holds %d: not the whole output of one 'run -json'", name, s.Scenario, s.Runs, perScenario[s.Scenario])
		}
		delete(perScenario, s.Scenario)
	}
	for s := range perScenario {
		return nil, fmt.Errorf("merge: %s: runs of %s but no summary line for it: not the whole output of one 'run -json'", name, s)
	}
	return mf, nil
}

var hashPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// merged is the union of the files, checked.
type merged struct {
	files       int
	runs        []mergedRun // in sweep order
	listed      map[string]map[string]bool
	required    []string
	interrupted []string // a line for each file whose run was interrupted
	sweep       *jsonSweep
	total       uint64 // runs the merged sweep(s) should hold
	wall        time.Duration
	shardNote   string // e.g. "4 of 4 shards"
}

// sweepID is a sweep without its shard and size: the files of one sweep's
// shards share it. The size is left out so that shards of one sweep run by
// programs that register different scenarios are named as that, rather
// than as shards of two sweeps each missing some.
func sweepID(s jsonSweep) jsonSweep {
	s.Shard, s.Runs = 0, 0
	return s
}

// describeSweep names a sweep by the flags that chose its runs.
func describeSweep(s jsonSweep) string {
	if s.Scenario == "" && s.Seeds == "" {
		return "the merged sweeps"
	}
	d := fmt.Sprintf("-scenario %s -seeds %s", shellQuote(s.Scenario), s.Seeds)
	if s.Faults != "" {
		d += " -faults " + shellQuote(s.Faults)
	}
	if s.CheckDeterminism {
		d += " -check-determinism"
	}
	return d
}

func combine(files []*mergeFile) (*merged, error) {
	m := &merged{files: len(files), listed: map[string]map[string]bool{}}

	// One fault setting: a scenario's summary over runs under different
	// faults would describe neither.
	var faults *string
	var faultsFile string
	for _, f := range files {
		if s := f.summary.Sweep; s != nil {
			if faults != nil && *faults != s.Faults {
				return nil, fmt.Errorf("merge: %s ran %s and %s ran %s: merge combines runs under one fault setting",
					faultsFile, faultsName(*faults), f.name, faultsName(s.Faults))
			}
			faults, faultsFile = &s.Faults, f.name
		}
	}

	// The shards of each sweep: each exactly once, all of them.
	type group struct {
		id     jsonSweep
		size   uint64 // the sweep's runs, as its first file says
		first  string // that file
		byIdx  map[int]*mergeFile
		runs   uint64
		broken bool // a shard was interrupted: its runs are not all there
	}
	var groups []*group
	byID := map[jsonSweep]*group{}
	allOneSweep := true
	for _, f := range files {
		s := f.summary.Sweep
		if s == nil || s.Scenario == "" {
			// Not one sweep (a merge of several): no shards to check.
			allOneSweep = false
			m.total += f.summary.Runs
			continue
		}
		id := sweepID(*s)
		g := byID[id]
		if g == nil {
			g = &group{id: id, size: s.Runs, first: f.name, byIdx: map[int]*mergeFile{}}
			byID[id] = g
			groups = append(groups, g)
		}
		if s.Runs != g.size {
			return nil, fmt.Errorf("merge: %s says the sweep %s has %d runs and %s says %d: the shards were run by programs with different scenarios",
				g.first, describeSweep(id), g.size, f.name, s.Runs)
		}
		if s.Shards < 1 || s.Shard < 0 || s.Shard >= s.Shards {
			return nil, fmt.Errorf("merge: %s: shard %d/%d is not a shard: not the output of 'run -json'", f.name, s.Shard, s.Shards)
		}
		if other := g.byIdx[s.Shard]; other != nil {
			// The same shard twice (a file named twice, a sweep run again
			// on another machine) is one shard if it ran the same runs the
			// same way, which the union of the runs below checks run by run.
			if other.summary.Runs != f.summary.Runs {
				return nil, fmt.Errorf("merge: %s and %s are both shard %d/%d of the sweep %s, and hold %d and %d runs: the shards overlap and differ",
					other.name, f.name, s.Shard, s.Shards, describeSweep(id), other.summary.Runs, f.summary.Runs)
			}
			continue
		}
		g.byIdx[s.Shard] = f
		g.runs += f.summary.Runs
		g.broken = g.broken || f.summary.Interrupted
	}
	if len(groups) != 1 {
		allOneSweep = false
	}
	for _, g := range groups {
		var missing []string
		for i := 0; i < g.id.Shards; i++ {
			if g.byIdx[i] == nil {
				missing = append(missing, fmt.Sprint(i))
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("merge: shard(s) %s of %d of the sweep %s missing: merge needs every shard's output",
				strings.Join(missing, ", "), g.id.Shards, describeSweep(g.id))
		}
		if !g.broken && g.runs != g.size {
			return nil, fmt.Errorf("merge: the %d shard(s) of the sweep %s hold %d runs, and the sweep has %d: not the shards of one sweep",
				g.id.Shards, describeSweep(g.id), g.runs, g.size)
		}
		m.total += g.size // what the sweeps should hold, said when a shard was interrupted
		if g.id.Shards > 1 {
			m.shardNote = fmt.Sprintf("%d of %d shards", len(g.byIdx), g.id.Shards)
		}
	}

	// The union of the runs: a run read twice must have run the same way.
	seen := map[runKey]int{}
	required := map[string]bool{}
	allDeterminism := true
	for _, f := range files {
		for i := range f.runs {
			run := &f.runs[i]
			k := runKey{run.Scenario, run.Seed}
			if i, ok := seen[k]; ok {
				first := m.runs[i]
				if first.Outcome != run.Outcome || first.Hash != run.Hash || first.Events != run.Events {
					return nil, fmt.Errorf("merge: %s seed %d ran differently in %s (%s, %d events, hash %s) and in %s (%s, %d events, hash %s): the files are from different code, or the system does not run the same on every machine",
						run.Scenario, run.Seed, first.file, first.Outcome, first.Events, first.Hash, f.name, run.Outcome, run.Events, run.Hash)
				}
				continue
			}
			seen[k] = len(m.runs)
			m.runs = append(m.runs, mergedRun{run, f.name})
		}
		for _, s := range f.scenarios {
			if m.listed[s.Scenario] == nil {
				m.listed[s.Scenario] = map[string]bool{}
			}
			for _, p := range s.Probes {
				m.listed[s.Scenario][p.Name] = true
			}
		}
		for _, p := range f.summary.RequiredProbes {
			required[p] = true
		}
		m.wall = max(m.wall, seconds(f.summary.WallSec))
		if f.summary.Interrupted {
			total := "?"
			if s := f.summary.Sweep; s != nil {
				total = fmt.Sprint(shardRuns(s.Runs, s.Shard, s.Shards))
			}
			m.interrupted = append(m.interrupted, fmt.Sprintf("%s: interrupted after %d of %s runs: the merge is incomplete", f.name, f.summary.Runs, total))
		}
		if s := f.summary.Sweep; s == nil || !s.CheckDeterminism {
			allDeterminism = false
		}
	}
	sort.SliceStable(m.runs, func(i, j int) bool {
		a, b := m.runs[i], m.runs[j]
		if a.Scenario != b.Scenario {
			return a.Scenario < b.Scenario
		}
		return a.Seed < b.Seed
	})
	for p := range required {
		m.required = append(m.required, p)
	}
	sort.Strings(m.required)

	// The merged output is one sweep, unsharded: the sweep itself when
	// every file was a shard of it, else a sweep of no one pattern and
	// range, which a later merge takes as it is.
	switch {
	case allOneSweep:
		s := groups[0].id
		s.Runs, s.Shards = groups[0].size, 1
		m.sweep = &s
	case faults != nil:
		m.sweep = &jsonSweep{Faults: *faults, CheckDeterminism: allDeterminism, Runs: uint64(len(m.runs)), Shards: 1}
	}
	if len(m.interrupted) == 0 {
		m.total = uint64(len(m.runs))
	}
	return m, nil
}

func faultsName(spec string) string {
	if spec == "" {
		return "each scenario's own faults"
	}
	return "-faults " + shellQuote(spec)
}

// shardRuns is how many of a sweep's n runs shard i of shards makes: run k
// of the sweep (in sweep order, from 0) belongs to shard k mod shards.
func shardRuns(n uint64, i, shards int) uint64 {
	t := n / uint64(shards)
	if uint64(i) < n%uint64(shards) {
		t++
	}
	return t
}

// describe is the first line of merge's text output.
func (m *merged) describe() string {
	what := "runs"
	if m.sweep != nil && m.sweep.Scenario != "" {
		what = "runs of " + describeSweep(*m.sweep)
	}
	line := fmt.Sprintf("merged %d file(s): %d %s", m.files, len(m.runs), what)
	if m.shardNote != "" {
		line += " (" + m.shardNote + ")"
	}
	return line
}
