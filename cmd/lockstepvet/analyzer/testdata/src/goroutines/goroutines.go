package goroutines

import "github.com/lockstep-dst/lockstep/sim"

func work() {}

func Start(w *sim.World, n *sim.Node) {
	go work()                                          // want `goroutine start: simulated code must run on the event loop`
	go func() {}()                                     // want `goroutine start`
	w.Spawn(n, "worker", func(p *sim.Proc) { work() }) // the way to do it
	n.After(0, "later", work)
}
