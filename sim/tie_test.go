package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

// tieRun runs nodes a, b and c, each a chain of timers, with b also sending
// (world events scheduled by its code) and a world process that schedules
// for every node, plus the given faults, all of which touch only node a. It
// returns the tiebreaks of every event of b and of every world event b's
// code scheduled, in order.
func tieRun(seed uint64, faults []time.Duration) []uint64 {
	w := sim.NewWorld(sim.Options{Seed: seed})
	var ties []uint64
	record := func() {
		// The run ends at 30 ms by a world event, whose tie with b's events
		// due then is the world stream's: compare what ran before.
		if w.Now() < 30*time.Millisecond {
			ties = append(ties, sim.CurrentTie(w))
		}
	}
	boot := func(n *sim.Node) {
		r := n.Rand("timers")
		var tick func()
		tick = func() {
			if n.Name == "b" {
				record()
				w.Schedule(time.Millisecond, "send", record)
			}
			n.After(time.Duration(r.IntN(3))*time.Millisecond, "tick", tick)
		}
		n.After(0, "tick", tick)
	}
	a, _, _ := w.AddNode("a", boot), w.AddNode("b", boot), w.AddNode("c", boot)
	for _, n := range w.Nodes() {
		w.Start(n)
	}
	for i, at := range faults {
		crash := i%2 == 0
		w.Schedule(at, "fault", func() {
			if crash {
				w.Crash(a)
			} else if !a.Up() {
				w.Restart(a)
			}
		})
	}
	w.Spawn(nil, "world", func(p *sim.Proc) {
		for range 20 {
			p.Sleep(time.Millisecond)
			w.Schedule(0, "poke", func() {})
		}
	})
	w.Schedule(30*time.Millisecond, "end", w.Stop)
	if f := w.Run(); f != nil {
		panic(f)
	}
	return ties
}

// Issue 8 item 9: the tiebreaks of a node's events are keyed by the node, its
// incarnation and its own count of events, so removing a fault that does not
// touch node b (here: any fault of node a) leaves every tiebreak of b's events
// and of the messages b sends as it was. Shrinking a failing run by removing
// faults stands on this.
func TestRemovingAFaultOfAnotherNodeKeepsTiebreaks(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		faults := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) time.Duration {
			return time.Duration(rapid.IntRange(0, 29).Draw(t, "at")) * time.Millisecond
		}), 1, 8).Draw(t, "faults")
		drop := rapid.IntRange(0, len(faults)-1).Draw(t, "drop")
		fewer := append(append([]time.Duration(nil), faults[:drop]...), faults[drop+1:]...)
		all := tieRun(seed, faults)
		require.NotEmpty(t, all)
		require.Equal(t, all, tieRun(seed, fewer),
			"removing fault %d of %v changed node b's tiebreaks", drop, fmt.Sprint(faults))
	})
}
