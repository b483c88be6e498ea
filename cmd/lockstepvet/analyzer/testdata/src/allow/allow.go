package allow

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Real runs outside the simulator.
func Real(w *sim.World) time.Time {
	start := time.Now() //lockstep:allow the real clock, for code outside the simulator
	//lockstep:allow the marker alone on the line above covers the next line
	_ = time.Since(start)
	_ = time.Now() //lockstep:allow	a tab works as the separator too
	// want +1 `lockstep:allow needs a reason: write //lockstep:allow <why` `wall time time.Now`
	_ = time.Now() //lockstep:allow
	// want +1 `lockstep:allow needs a reason`
	//lockstep:allow
	_ = time.Now() // want `wall time time.Now`
	_ = time.Now() //lockstep:allowed is another word // want `wall time time.Now`
	_ = time.Now() // lockstep:allow with a space is not the marker // want `wall time time.Now`
	go func() {}() /* a marker must be a line comment */ // want `goroutine start`
	//lockstep:allow only the next line

	_ = time.Now() // want `wall time time.Now`
	_ = time.Now() //lockstep:allow a trailing marker covers its own line only
	_ = time.Now() // want `wall time time.Now`
	return start
}
