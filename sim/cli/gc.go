//lockstep:host the runner: it tunes its own process's garbage collector, outside the simulation

package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// The garbage collector's settings for a batch of runs (the run and shrink
// commands), unless the user chose others.
//
// Simulated systems allocate briskly and keep little alive: the heaviest
// runs of this repository's scenarios keep 30 to 45 MB live (GODEBUG=gctrace=1
// over one seed of every scenario), most runs a few MB. At Go's default target (GOGC=100: collect when the heap has doubled
// since the last collection) the collector and the allocator's share of it
// took about 40% of the CPU time of one seed of every scenario. A batch
// runner has memory to spare, so it lets the heap grow to five times what is
// live (GOGC=400), which cut that pass's CPU time by about a fifth
// (measurements in the commit that set it), and bounds the growth with a
// soft memory limit per worker, so that the resident size stays bounded
// however many runs a sweep makes: past the limit the collector runs as
// often as it must to stay under it (or at most half the CPU, when more
// than the limit is live).
const (
	DefaultGCPercent = 400
	// MemoryLimitPerWorker is the soft memory limit (debug.SetMemoryLimit)
	// per run at once (-parallel): the whole process's limit is this times
	// the number of workers.
	MemoryLimitPerWorker = 256 << 20
)

// gcHelp is the help of the -gogc flag.
var gcHelp = fmt.Sprintf("the garbage collector's target percentage, as $GOGC (a number or off); default %d unless $GOGC is set, "+
	"with a soft memory limit of %d MiB per worker (-parallel) unless $GOMEMLIMIT is set", DefaultGCPercent, MemoryLimitPerWorker>>20)

// gcSettings are the collector settings a batch of runs applies: set says
// whether to change the target (percent, negative: off) and limit says
// whether to set a soft memory limit (0: leave the process's).
type gcSettings struct {
	setPercent bool
	percent    int
	limit      int64
}

// chooseGC returns the settings for a batch of workers runs at once. flag
// is the -gogc flag ("" if not given): it wins over the environment; else a
// $GOGC the user set stands (the runtime already applied it), else
// DefaultGCPercent. A $GOMEMLIMIT the user set stands, else the limit is
// MemoryLimitPerWorker per worker. getenv is os.Getenv or a stand-in.
func chooseGC(flag string, workers int, getenv func(string) string) (gcSettings, error) {
	var s gcSettings
	switch {
	case flag != "":
		p, err := parseGOGC(flag)
		if err != nil {
			return s, err
		}
		s.setPercent, s.percent = true, p
	case getenv("GOGC") == "":
		s.setPercent, s.percent = true, DefaultGCPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		s.limit = int64(MemoryLimitPerWorker) * int64(max(workers, 1))
	}
	return s, nil
}

// parseGOGC parses a -gogc value as the runtime parses $GOGC: a percentage
// (0 or more), or off.
func parseGOGC(v string) (int, error) {
	if strings.TrimSpace(v) == "off" {
		return -1, nil
	}
	p, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || p < 0 {
		return 0, usagef("bad -gogc %q (want a percentage, 0 or more, or off)", v)
	}
	return p, nil
}

// tuneGC sets the process's collector for a batch of workers runs at once,
// as chooseGC says. Only a runner started by Main tunes by default: Run is
// for tests, whose process (and its benchmarks) must keep the collector the
// go command gave it, unless a test asks with -gogc.
func (r *runner) tuneGC(flag string, workers int) error {
	if !r.ownsProcess && flag == "" {
		return nil
	}
	s, err := chooseGC(flag, workers, os.Getenv)
	if err != nil {
		return err
	}
	s.apply()
	return nil
}

// apply sets the process's collector.
func (s gcSettings) apply() {
	if s.setPercent {
		debug.SetGCPercent(s.percent)
	}
	if s.limit > 0 {
		debug.SetMemoryLimit(s.limit)
	}
}
