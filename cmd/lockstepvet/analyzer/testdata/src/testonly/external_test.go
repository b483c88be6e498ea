package testonly_test

import (
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func TestExternal(t *testing.T) {
	_ = time.Now()
	_ = sim.Checkf
}
