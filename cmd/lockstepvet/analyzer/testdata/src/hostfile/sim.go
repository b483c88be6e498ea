package hostfile

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Simulated is checked: the host marker of another file covers only that file.
func Simulated(w *sim.World) time.Time { return time.Now() } // want `wall time time.Now`
