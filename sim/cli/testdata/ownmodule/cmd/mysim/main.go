// Command mysim is a user's own Lockstep runner: the runner of package
// sim/cli with the user's scenarios registered by import. Its zero Config
// names it in replay lines as it was started: by its path when built, or
// by go run and its directory (./cmd/mysim from the module's root) under
// go run.
package main

import (
	"os"

	_ "example.com/mysim/counter" // registers counter/* scenarios
	"github.com/lockstep-dst/lockstep/sim/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.Config{})) }
