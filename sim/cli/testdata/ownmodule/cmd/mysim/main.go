// Command mysim is a user's own Lockstep runner: the runner of package
// sim/cli with the user's scenarios registered by import. Its zero Config
// names it as it was started: by its path when built, or as 'go run
// ./cmd/mysim' under go run.
package main

import (
	"os"

	_ "example.com/mysim/counter" // registers counter/* scenarios
	"github.com/lockstep-dst/lockstep/sim/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], cli.Config{})) }
