//lockstep:host the runner: it profiles and tunes its own process, outside the simulation

package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profiles are the -cpuprofile and -memprofile files of a sweep, for `go
// tool pprof`: where a sweep's CPU time and allocations go, the runner's
// own included.
type profiles struct {
	cpu, mem string
	cpuFile  *os.File
}

// start begins the CPU profile, if one is asked for. The files are created
// before any run, so that a bad path is a usage error, not a sweep's work
// lost at its end.
func (p *profiles) start() error {
	if p.mem != "" {
		f, err := os.Create(p.mem)
		if err != nil {
			return usagef("-memprofile: %v", err)
		}
		f.Close()
	}
	if p.cpu == "" {
		return nil
	}
	f, err := os.Create(p.cpu)
	if err != nil {
		return usagef("-cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return usagef("-cpuprofile: %v", err)
	}
	p.cpuFile = f
	return nil
}

// stop ends the CPU profile and writes the memory profile: every allocation
// sampled since the process started (pprof's allocs profile; -sample_index
// inuse_space shows what was live at the last collection).
func (p *profiles) stop() error {
	var errs []error
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		errs = append(errs, p.cpuFile.Close())
		p.cpuFile = nil
	}
	if p.mem != "" {
		f, err := os.Create(p.mem)
		if err == nil {
			runtime.GC() // the profile shows the allocations up to the last collection
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			errs = append(errs, err, f.Close())
		} else {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("writing profiles: %w", err)
	}
	return nil
}
