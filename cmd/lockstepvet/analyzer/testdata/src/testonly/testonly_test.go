package testonly

import (
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func TestRun(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); Run(&sim.World{}) }()
	wg.Wait()
	_ = time.Now()
}
