//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

// newFlags returns a flag set that reports errors instead of exiting, so
// that a bad flag is a usage error with exit status 2, said once (by run).
func newFlags(name string, _ io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// helpRequested is -h: the command's flags go to stdout, exit status 0.
type helpRequested struct{ fs *flag.FlagSet }

func (h helpRequested) Error() string { return "help requested" }

func (h helpRequested) print(w io.Writer, program string) {
	fmt.Fprintf(w, "usage of %s %s:\n", program, h.fs.Name())
	h.fs.SetOutput(w)
	h.fs.PrintDefaults()
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return helpRequested{fs}
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// seedRange is an inclusive range of seeds.
type seedRange struct{ lo, hi uint64 }

func parseSeeds(s string) (seedRange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return seedRange{}, usagef("empty -seeds (want A-B or S)")
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := parseSeed(s, lo)
	if err != nil {
		return seedRange{}, err
	}
	b := a
	if isRange {
		if b, err = parseSeed(s, hi); err != nil {
			return seedRange{}, err
		}
	}
	if b < a {
		return seedRange{}, usagef("bad -seeds %q: the range is reversed", s)
	}
	return seedRange{a, b}, nil
}

// parseSeed parses one end of a -seeds range: any uint64. A sweep streams
// its jobs, so a range of any length starts at once; what bounds it is the
// user's patience, not memory.
func parseSeed(arg, s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err == nil {
		return v, nil
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, usagef("bad -seeds %q: %s is larger than the largest seed, %d", arg, s, uint64(math.MaxUint64))
	}
	return 0, usagef("bad -seeds %q: %q is not a seed (want a decimal number)", arg, s)
}

// The environment variables -shard auto/N takes its index from: a CI
// matrix's (the workflow sets it, e.g. from ${{ matrix.shard }}), and the
// one Kubernetes sets in every pod of an Indexed Job.
const (
	ShardIndexEnv    = "LOCKSTEP_SHARD_INDEX"
	JobCompletionEnv = "JOB_COMPLETION_INDEX"
)

// ParseShard parses a -shard argument as the run command does: "" (the
// whole sweep: shard 0 of 1), "I/N" (shard I of N, 0 <= I < N), or
// "auto/N", whose index I is read from the environment: LOCKSTEP_SHARD_INDEX
// (set by a CI matrix) or JOB_COMPLETION_INDEX (set by a Kubernetes Indexed
// Job). getenv is os.Getenv, or a stand-in for it.
func ParseShard(s string, getenv func(string) string) (index, count int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	i, n, ok := strings.Cut(s, "/")
	count, errN := strconv.Atoi(n)
	if !ok || errN != nil || count < 1 {
		return 0, 0, usagef("bad -shard %q (want I/N with 0 <= I < N, or auto/N to read I from $%s or $%s)", s, ShardIndexEnv, JobCompletionEnv)
	}
	if i == "auto" {
		return shardFromEnv(s, count, getenv)
	}
	index, err = strconv.Atoi(i)
	if err != nil || index < 0 || index >= count {
		return 0, 0, usagef("bad -shard %q (want I/N with 0 <= I < N, or auto/N to read I from $%s or $%s)", s, ShardIndexEnv, JobCompletionEnv)
	}
	return index, count, nil
}

// shardFromEnv reads the index of -shard auto/N. Both variables may be set
// (a CI job running inside a Kubernetes pod) only if they agree: picking one
// silently would run some shard twice and another never.
func shardFromEnv(arg string, count int, getenv func(string) string) (int, int, error) {
	index, from := -1, ""
	for _, name := range []string{ShardIndexEnv, JobCompletionEnv} {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, 0, usagef("-shard %s: $%s is %q, not a shard index (want 0 to %d)", arg, name, v, count-1)
		}
		if i >= count {
			return 0, 0, usagef("-shard %s: $%s is %d, out of range for %d shards (want 0 to %d): the job runs more shards than -shard says", arg, name, i, count, count-1)
		}
		if from != "" && i != index {
			return 0, 0, usagef("-shard %s: $%s is %d but $%s is %d: set one", arg, from, index, name, i)
		}
		index, from = i, name
	}
	if from == "" {
		return 0, 0, usagef("-shard %s: neither $%s (set it from a CI matrix) nor $%s (set by a Kubernetes Indexed Job) is set", arg, ShardIndexEnv, JobCompletionEnv)
	}
	return index, count, nil
}

// ParseFaults checks a -faults argument as the run command does: "" (each
// scenario's own faults), a profile name, or @file holding a JSON plan or a
// corpus entry (seeds.Entry: its faults). It returns the spec a run takes:
// the profile name, or the plan's JSON.
func ParseFaults(s string) (spec string, err error) { return parseFaults(s) }

// parseFaults checks -faults: a profile name, or @file holding a JSON plan,
// whose contents are returned as the spec, or a corpus entry, whose faults
// are.
func parseFaults(s string) (string, error) {
	flag := "-faults"
	if strings.HasPrefix(s, "@") {
		flag += " " + s
		data, err := os.ReadFile(s[1:])
		if err != nil {
			return "", usagef("-faults: %v", err)
		}
		// A plan file holds a plan: empty, it would silently mean "no
		// faults"; holding a word, it would silently name a profile.
		text := strings.TrimSpace(string(data))
		if text == "" {
			return "", usagef("-faults %s: the file is empty (want a JSON fault plan)", s)
		}
		if !strings.HasPrefix(text, "{") {
			return "", usagef("-faults %s: the file does not hold a JSON fault plan object (or a corpus entry)", s)
		}
		if isEntry([]byte(text)) { // a corpus entry: its faults (shrink_entry.go)
			spec, _, err := faultsOfEntry(s[1:], []byte(text))
			return spec, err
		}
		s = text
	}
	if err := faults.CheckSpec(s); err != nil {
		return "", usagef("%s: %v", flag, err)
	}
	return s, nil
}

func matchScenarios(pattern, program string) ([]*sim.Scenario, error) {
	if pattern == "" {
		return nil, usagef("empty -scenario")
	}
	scs, err := sim.Match(pattern)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	if len(scs) == 0 {
		return nil, usagef("no scenario matches %q (see '%s list')", pattern, program)
	}
	return scs, nil
}

// ParseSeeds parses a -seeds argument, "A-B" (inclusive) or "S", as the
// run command does.
func ParseSeeds(s string) (lo, hi uint64, err error) {
	r, err := parseSeeds(s)
	return r.lo, r.hi, err
}

// ReplayCommand is the shell command that reproduces one run exactly:
// command (the runner's, as in Config.Command) with its replay subcommand
// and flags. faults is the run's -faults spec: "" for the scenario's own, a
// profile name, or a JSON plan. A plan is embedded as compact JSON rather
// than named by its file, so the command works from any directory and still
// replays the same run after the file is edited or deleted.
func ReplayCommand(command, scenario string, seed uint64, faults string) string {
	cmd := fmt.Sprintf("%s replay -scenario %s -seed %d", command, shellQuote(scenario), seed)
	if faults = strings.TrimSpace(faults); faults != "" {
		if strings.HasPrefix(faults, "{") {
			var compact bytes.Buffer
			if json.Compact(&compact, []byte(faults)) == nil {
				faults = compact.String()
			}
		}
		cmd += " -faults " + shellQuote(faults)
	}
	return cmd
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
