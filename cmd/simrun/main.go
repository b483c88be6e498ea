// Command simrun lists, sweeps and replays this repository's scenarios: it
// is the runner of package sim/cli with every system of the repository
// registered (systems.go). 'simrun -h' lists its commands; sim/cli's
// documentation says what each does and its exit statuses.
//
// As a batch tool it runs its sweeps with the garbage collector at GOGC=400
// under a soft memory limit of 256 MiB per worker, unless $GOGC or
// $GOMEMLIMIT say otherwise or -gogc does (sim/cli's gc.go says why).
//
// default.pgo, beside this file, is a CPU profile of a sweep of every
// scenario, which go build, go run and go install use for profile-guided
// optimization (inlining and devirtualizing the hot calls it shows): 4-6%
// fewer instructions per run than a build without it. A stale profile only
// optimizes less. To take it again after the hot paths change:
//
//	go build -o /tmp/simrun ./cmd/simrun && /tmp/simrun run -scenario '*' -seeds 1-20 -parallel 1 -cpuprofile cmd/simrun/default.pgo
//
// Go benchmarks of other packages (go test -bench) build without it unless
// given -pgo=$PWD/cmd/simrun/default.pgo.
package main

import (
	"os"

	"github.com/lockstep-dst/lockstep/sim/cli"
)

// config names simrun in messages and as the command of its replay lines,
// which are run from the repository's root like the README's commands.
var config = cli.Config{Name: "simrun", Command: "go run ./cmd/simrun"}

func main() { os.Exit(cli.Main(os.Args[1:], config)) }
