// Command leasesim is the lease example's own runner: simrun's commands,
// flags and output (sim/cli), with only this system's scenarios registered,
// as a user's runner for their own system would be.
//
//	go run ./examples/lease/cmd/leasesim list
//	go run ./examples/lease/cmd/leasesim run -seeds 1-100
//	go run ./examples/lease/cmd/leasesim replay -scenario example/LeaseSwarm -seed 7 -v
package main

import (
	"os"

	_ "github.com/lockstep-dst/lockstep/examples/lease" // registers the example/Lease* scenarios
	"github.com/lockstep-dst/lockstep/sim/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Config{Command: "go run ./examples/lease/cmd/leasesim"}))
}
