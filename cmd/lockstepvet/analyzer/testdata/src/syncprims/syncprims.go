package syncprims

import (
	"sync"
	"sync/atomic"

	"github.com/lockstep-dst/lockstep/sim"
)

type counter struct {
	mu sync.Mutex     // want `sync primitive sync.Mutex: simulated code runs one event at a time`
	rw sync.RWMutex   // want `sync primitive sync.RWMutex`
	wg sync.WaitGroup // want `sync primitive sync.WaitGroup`
	n  atomic.Int64   // want `sync primitive sync/atomic.Int64`
	m  sync.Map       // want `sync primitive sync.Map`
	o  sync.Once      // want `sync primitive sync.Once`
	p  *sync.Pool     // want `sync primitive sync.Pool`
	c  *sync.Cond     // want `sync primitive sync.Cond`
	w  *sim.World
}

func (c *counter) Inc() {
	c.mu.Lock() // the value's declaration is the report
	defer c.mu.Unlock()
	var total int64
	atomic.AddInt64(&total, 1) // want `sync primitive sync/atomic.AddInt64`
}

// A plain counter needs nothing: one event runs at a time.
type plain struct{ n int }

func (p *plain) Inc() { p.n++ }
