package mapreduce

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The checks a scenario runs, by name. A failed run names one of them.
const (
	CheckTimeout           = "mr/timeout"            // the job was not done within the lab's 180 s
	CheckLiveness          = "mr/liveness"           // not done within the budget after faults stopped
	CheckWorkerExit        = "mr/worker-exit"        // a worker kept running after the job
	CheckPartialRead       = "mr/partial-read"       // somebody read a partial or temporary file
	CheckPartialFile       = "mr/partial-file"       // a partial file was left under a final name
	CheckExactlyOnce       = "mr/exactly-once"       // a task's output was counted twice, or not at all
	CheckOutput            = "mr/output"             // the output differs from the sequential run
	CheckMapParallelism    = "mr/map-parallelism"    // mtiming: maps did not run on both workers at once
	CheckReduceParallelism = "mr/reduce-parallelism" // rtiming: reduces did not overlap
)

// CheckError is a failed check: which one, and what broke.
type CheckError struct {
	Check string
	Err   error
}

func (e *CheckError) Error() string { return e.Check + ": " + e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

func failed(check string, format string, args ...any) *CheckError {
	return &CheckError{Check: check, Err: fmt.Errorf(format, args...)}
}

// Outputs reads every output file (mr-out-<n>) as test-mr.sh's
// `sort mr-out*` does, through the file system so that the reads are
// recorded and a partial output is caught, and returns their contents by
// reduce task.
func (c *Cluster) Outputs() map[int][]byte {
	out := map[int][]byte{}
	for _, name := range c.FS.List("mr-out-") {
		r, err := strconv.Atoi(strings.TrimPrefix(name, "mr-out-"))
		if err != nil {
			continue // a temporary file: "mr-out-3.tmp12"
		}
		data, _ := c.FS.ReadFile(Reader{Who: "checker"}, name)
		out[r] = data
	}
	return out
}

// VerifyNoPartialReads fails if any read, by a worker or by the checker, saw
// a file that was being written, whose writer died mid-write, or that was
// an unpublished temporary file.
func VerifyNoPartialReads(fs *FS) error {
	for _, r := range fs.reads {
		if r.Found && (r.Partial || r.Temp) {
			return failed(CheckPartialRead, "%v", r)
		}
	}
	return nil
}

// VerifyNoPartialFiles fails if a file under a final name (an intermediate
// or output file) is partial: a writer died, or is still writing, under the
// name readers use. With temporary files and rename a dead writer leaves
// only an unpublished temporary, which is allowed.
func VerifyNoPartialFiles(fs *FS) error {
	for _, name := range fs.List("mr-") {
		_, _, intermediate := parseIntermediate(name)
		_, err := strconv.Atoi(strings.TrimPrefix(name, "mr-out-"))
		output := strings.HasPrefix(name, "mr-out-") && err == nil
		if (intermediate || output) && fs.Partial(name) {
			return failed(CheckPartialFile, "%s is partial under its final name (%s)", name, fs.describe(name))
		}
	}
	return nil
}

// VerifyExactlyOnce fails if some task's output was counted twice or not at
// all: every task must have exactly one accepted completion; the accepted
// attempt of every reduce task must have read the intermediate file of
// every map task exactly once; every reduce output must exist; and every
// key must appear on exactly one output line, in its own partition's file.
func VerifyExactlyOnce(c *Cluster, outputs map[int][]byte) error {
	nMap, nReduce := len(c.Inputs), c.cfg.NReduce
	accepted := map[TaskKind][]int{TaskMap: make([]int, nMap), TaskReduce: make([]int, nReduce)}
	reduceAttempt := make([]uint64, nReduce)
	for _, rep := range c.Audit.Reports {
		if rep.Outcome != Accepted {
			continue
		}
		accepted[rep.Kind][rep.Index]++
		if rep.Kind == TaskReduce {
			reduceAttempt[rep.Index] = rep.Attempt
		}
	}
	for _, kind := range []TaskKind{TaskMap, TaskReduce} {
		for i, n := range accepted[kind] {
			if n != 1 {
				return failed(CheckExactlyOnce, "%v task %d completed %d times", kind, i, n)
			}
		}
	}

	// Attempt ids are unique within a coordinator instance, and scenarios
	// never restart the coordinator, so an attempt id names one process's
	// run of one task.
	readsOf := make([][]int, nReduce)
	for r := range readsOf {
		readsOf[r] = make([]int, nMap)
	}
	for _, rd := range c.FS.reads {
		m, r, ok := parseIntermediate(rd.Name)
		if !ok || r >= nReduce || rd.By.Attempt != reduceAttempt[r] || !rd.Found {
			continue
		}
		if m >= nMap {
			return failed(CheckExactlyOnce, "reduce %d (attempt %d) read %s, from no map task", r, rd.By.Attempt, rd.Name)
		}
		readsOf[r][m]++
	}
	for r, counts := range readsOf {
		for m, n := range counts {
			if n != 1 {
				return failed(CheckExactlyOnce, "reduce %d (accepted attempt %d) read map %d's output %s %d times, want once",
					r, reduceAttempt[r], m, IntermediateName(m, r), n)
			}
		}
	}

	if outputsInOrder(outputs, nReduce) {
		return nil // every key once, in its own partition's file
	}
	seen := map[string]int{}
	for r := 0; r < nReduce; r++ {
		data, ok := outputs[r]
		if !ok {
			return failed(CheckExactlyOnce, "no output file %s although the job is done", OutputName(r))
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line == "" {
				continue
			}
			key, _, _ := strings.Cut(line, " ")
			if prev, dup := seen[key]; dup {
				return failed(CheckExactlyOnce, "key %q appears twice: in %s and %s", key, OutputName(prev), OutputName(r))
			}
			seen[key] = r
			if want := ihash(key) % nReduce; want != r {
				return failed(CheckExactlyOnce, "key %q is in %s, its partition is %d", key, OutputName(r), want)
			}
		}
	}
	return nil
}

// outputsInOrder reports whether every output file 0..nReduce-1 exists and
// holds its lines in strictly increasing key order, each key in its own
// partition, as the workers write them: then no key appears twice (not in
// one file, being strictly ordered, nor in two, being in its own
// partition's), and VerifyExactlyOnce need not collect 40,000 keys in a map
// to know it. Otherwise the map finds the first offence.
func outputsInOrder(outputs map[int][]byte, nReduce int) bool {
	for r := 0; r < nReduce; r++ {
		data, ok := outputs[r]
		if !ok {
			return false
		}
		text := string(data)
		prev, first := "", true
		for len(text) > 0 {
			line, rest, _ := strings.Cut(text, "\n")
			text = rest
			if line == "" {
				continue
			}
			key, _, _ := strings.Cut(line, " ")
			if (!first && key <= prev) || ihash(key)%nReduce != r {
				return false
			}
			prev, first = key, false
		}
	}
	return true
}

// allLines returns the sorted non-empty lines of every output.
func allLines(outputs map[int][]byte) []string {
	var all []byte
	for _, r := range slices.Sorted(maps.Keys(outputs)) {
		all = append(all, outputs[r]...)
		all = append(all, '\n')
	}
	return SortedLines(all)
}

var (
	timesLine    = regexp.MustCompile(`^times-`)
	parallelLine = regexp.MustCompile(`^parallel.* 2`)
	reduceTwo    = regexp.MustCompile(`^[a-z] 2`)
)

// VerifyMapParallelism is test-mr.sh's map parallelism check on mtiming's
// output: exactly two workers ran maps, and some map saw two running.
func VerifyMapParallelism(lines []string) error {
	times, parallel := 0, false
	for _, l := range lines {
		if timesLine.MatchString(l) {
			times++
		}
		parallel = parallel || parallelLine.MatchString(l)
	}
	if times != 2 {
		return failed(CheckMapParallelism, "saw %d workers rather than 2", times)
	}
	if !parallel {
		return failed(CheckMapParallelism, "map workers did not run in parallel")
	}
	return nil
}

// VerifyReduceParallelism is test-mr.sh's reduce parallelism check on
// rtiming's output: at least two reduces saw two running.
func VerifyReduceParallelism(lines []string) error {
	n := 0
	for _, l := range lines {
		if reduceTwo.MatchString(l) {
			n++
		}
	}
	if n < 2 {
		return failed(CheckReduceParallelism, "too few parallel reduces: %d lines show two at once, want at least 2", n)
	}
	return nil
}
