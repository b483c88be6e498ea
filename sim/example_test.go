package sim_test

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// A node whose timers die with it, a process written in blocking style that
// crashes and restarts it, and virtual time that jumps from event to event.
func Example() {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("server", func(n *sim.Node) {
		inc := n.Incarnation()
		n.After(time.Second, "tick", func() {
			fmt.Printf("%v: tick of incarnation %d\n", n.World().Now(), inc)
		})
	})
	w.Start(n)
	w.Spawn(nil, "script", func(p *sim.Proc) {
		p.Sleep(500 * time.Millisecond)
		w.Crash(n)                // the tick due at 1s is gone with incarnation 0
		p.Sleep(10 * time.Minute) // an idle ten minutes cost nothing
		w.Restart(n)
	})
	if f := w.Run(); f != nil {
		fmt.Println(f)
	}
	fmt.Println("ended at", w.Now())
	// Output:
	// 10m1.5s: tick of incarnation 1
	// ended at 10m1.5s
}

// Reading the disk after a crash shows what was synced, and only that.
func ExampleDisk() {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("db", func(*sim.Node) {})
	w.Start(n)
	n.Disk.WriteFile("term", []byte("3"))
	n.Disk.SyncNow()
	n.Disk.WriteFile("term", []byte("4")) // not synced
	w.Crash(n)
	w.Restart(n)
	b, _ := n.Disk.ReadFile("term")
	fmt.Println(string(b))
	// Output: 3
}

// A coverage probe: declared once at package level, counted with Sometimes
// wherever the state it names is reached. Counts never change the run (they
// are not part of its trace hash); simrun reports them per scenario and can
// fail a sweep that never reached a required probe.
var retriedAfterCrash = sim.NewProbe("example/retried-after-crash",
	"a client retried a request whose server had crashed")

func ExampleWorld_Sometimes() {
	w := sim.NewWorld(sim.Options{Seed: 1})
	server := w.AddNode("server", func(*sim.Node) {})
	w.Start(server)
	w.Schedule(time.Second, "crash", func() { w.Crash(server) })
	w.Spawn(nil, "client", func(p *sim.Proc) {
		for i := 0; i < 3; i++ {
			p.Sleep(700 * time.Millisecond)
			w.Sometimes(retriedAfterCrash, !server.Up())
		}
	})
	w.Run()
	fmt.Println(w.ProbeHits())
	// Output: map[example/retried-after-crash:2]
}
