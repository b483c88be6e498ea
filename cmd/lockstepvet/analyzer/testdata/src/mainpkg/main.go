// Package main imports the kernel, as a command that runs scenarios does,
// but is exempt unless -pkgs names it: it drives the simulator from outside.
package main

import (
	"os"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func main() {
	start := time.Now()
	var w sim.World
	w.Schedule(0, "x", func() {})
	if time.Since(start) > time.Hour {
		os.Exit(1)
	}
}
