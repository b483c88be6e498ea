package mapreduce

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/sim"
)

// Sequential runs app over inputs in one process, as mrsequential does:
// map every file, group the pairs by key, reduce each key in key order. Its
// output is what a correct distributed run must produce, line for line.
// It runs outside the simulation (no virtual time passes), so only apps
// that neither crash nor depend on time or parallelism are meaningful here:
// wc, indexer, nocrash.
func Sequential(app *apps.App, inputs []InputFile) []byte {
	texts := make([]inputText, len(inputs))
	for i, in := range inputs {
		texts[i] = inputText{name: in.Name, text: string(in.Data)}
	}
	return sequentialParts(app, texts, 1)[0]
}

// sequentialParts is Sequential's output split as nReduce reduce tasks
// would write it: part r holds, in key order, the lines of the keys whose
// partition is r.
func sequentialParts(app *apps.App, inputs []inputText, nReduce int) [][]byte {
	var g grouper
	e := sequentialEnv{}
	for _, in := range inputs {
		g.add(app.Map(e, in.name, in.text))
	}
	parts := make([][]byte, nReduce)
	keys, values := g.groups()
	for i, k := range keys {
		r := ihash(k) % nReduce
		parts[r] = appendLine(parts[r], k, app.Reduce(e, k, values[i]))
	}
	return parts
}

// mustApp returns the application named name, which the caller knows exists.
func mustApp(name string) *apps.App {
	app, ok := apps.Lookup(name)
	if !ok {
		panic(fmt.Sprintf("mapreduce: no application %q", name))
	}
	return app
}

// sequentialEnv is mrsequential's process: alone, timeless, never crashing.
type sequentialEnv struct{}

func (sequentialEnv) PID() int                   { return 1 }
func (sequentialEnv) Now() time.Duration         { return 0 }
func (sequentialEnv) Sleep(time.Duration)        {}
func (sequentialEnv) Rand() *sim.Rand            { return sim.NewRand(0) }
func (sequentialEnv) Enter(string) (int, func()) { return 1, func() {} }
func (sequentialEnv) Crash()                     { panic("mapreduce: the sequential reference cannot crash") }

// SortedLines splits data into lines, drops empty ones and sorts the rest:
// test-mr.sh's `sort mr-out* | grep .`.
func SortedLines(data []byte) []string {
	var lines []string
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		if len(l) > 0 {
			lines = append(lines, string(l))
		}
	}
	sort.Strings(lines)
	return lines
}

// compareLines reports the first difference between the sorted output lines
// of a run and of the sequential reference.
func compareLines(got, want []string) error {
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			return fmt.Errorf("output differs from the sequential run at sorted line %d: got %q, want %q (%d lines, want %d)",
				i+1, clip(got[i]), clip(want[i]), len(got), len(want))
		}
	}
	switch {
	case len(got) < len(want):
		return fmt.Errorf("output has %d lines, the sequential run %d: first missing %q", len(got), len(want), clip(want[len(got)]))
	case len(got) > len(want):
		return fmt.Errorf("output has %d lines, the sequential run %d: first extra %q", len(got), len(want), clip(got[len(want)]))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
