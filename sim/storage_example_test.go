package sim_test

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/sim"
)

// A write is durable only once its sync completed, a later event: code in
// blocking style waits for it with SyncProc, event code acknowledges in the
// Sync callback.
func ExampleSyncProc() {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("db", func(*sim.Node) {})
	w.Start(n)
	w.Spawn(n, "writer", func(p *sim.Proc) {
		n.Disk.WriteFile("term", []byte("3"))
		sim.SyncProc(p, n.Disk) // term 3 is durable from here on
		n.Disk.WriteFile("term", []byte("4"))
		n.Disk.Sync(func() { fmt.Println("term 4 durable") })
		w.Crash(n) // before that sync completed: term 4 is lost
	})
	w.Run()
	w.Restart(n)
	b, _ := n.Disk.ReadFile("term")
	fmt.Println(string(b))
	// Output: 3
}
