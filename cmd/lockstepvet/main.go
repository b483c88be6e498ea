// Command lockstepvet reports nondeterminism in simulated code: goroutines,
// channels, locks, wall time, unseeded randomness, map-order dependence, host
// calls and address-based ordering in packages that run on the Lockstep
// kernel. See the README section "Static check: lockstepvet".
//
// It runs on its own:
//
//	lockstepvet ./...
//
// or as a vet tool:
//
//	go vet -vettool=$(go env GOPATH)/bin/lockstepvet ./...
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/lockstep-dst/lockstep/cmd/lockstepvet/analyzer"
)

func main() { singlechecker.Main(analyzer.Analyzer) }
