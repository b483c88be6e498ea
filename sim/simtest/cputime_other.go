//go:build !unix

//lockstep:host benchmarks time whole runs from outside the simulation (process CPU time)

package simtest

import "time"

// CPUTime is 0 where the process's CPU time is not read (the metrics that
// need it are then left out).
func CPUTime() time.Duration { return 0 }
