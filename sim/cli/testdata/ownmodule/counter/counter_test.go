package counter

import (
	"testing"

	"github.com/lockstep-dst/lockstep/sim/simtest"
)

func TestSweep(t *testing.T) {
	simtest.Sweep(t, "counter/*", simtest.Command("go run ./cmd/mysim"))
}
