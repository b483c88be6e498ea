//lockstep:host the real clock, for code that runs outside the simulator

package hostfile

import "time"

// Wall reads the machine's clock: this file is host code.
func Wall() time.Time { return time.Now() }
