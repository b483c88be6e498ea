//go:build unix

//lockstep:host benchmarks time whole runs from outside the simulation (process CPU time)

package simtest

import (
	"syscall"
	"time"
)

// CPUTime is the process's user plus system CPU time, the garbage
// collector's included; 0 if the system cannot say.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
