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

func parseShard(s string) (index, count int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return 0, 0, usagef("bad -shard %q (want I/N with 0 <= I < N)", s)
	}
	return index, count, nil
}

// ParseFaults checks a -faults argument as the run command does: "" (each
// scenario's own faults), a profile name, or @file holding a JSON plan. It
// returns the spec a run takes: the profile name, or the plan's JSON.
func ParseFaults(s string) (spec string, err error) { return parseFaults(s) }

// parseFaults checks -faults: a profile name, or @file holding a JSON plan,
// whose contents are returned as the spec.
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
			return "", usagef("-faults %s: the file does not hold a JSON fault plan object", s)
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
