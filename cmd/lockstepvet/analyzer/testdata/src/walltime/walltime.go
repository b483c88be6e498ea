package walltime

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func Wall(w *sim.World, p *sim.Proc) time.Duration {
	start := time.Now()                    // want `wall time time.Now: it reads or waits on the real clock`
	time.Sleep(time.Millisecond)           // want `wall time time.Sleep`
	<-time.After(time.Second)              // want `channel receive` `wall time time.After`
	time.AfterFunc(time.Second, func() {}) // want `wall time time.AfterFunc`
	_ = time.Tick(time.Second)             // want `wall time time.Tick`
	t := time.NewTimer(time.Second)        // want `wall time time.NewTimer`
	k := time.NewTicker(time.Second)       // want `wall time time.NewTicker`
	t.Stop()
	k.Stop()
	_ = time.Until(start) // want `wall time time.Until`
	now := time.Now       // want `wall time time.Now`
	_ = now
	// Durations, constants and virtual time are fine.
	d := 3 * time.Second
	p.Sleep(d)
	w.Schedule(time.Millisecond, "tick", func() {})
	return time.Since(start) + w.Now() // want `wall time time.Since`
}
