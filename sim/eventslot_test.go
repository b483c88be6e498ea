package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// The event loop runs an event from its slot in the queue and frees the slot
// only after OnEvent has seen the event: an event that pushes many events
// (more than the queue's bodies have room for, so that they move to a larger
// array) is still seen as itself, label and node, and so is each event it
// pushed. It fails if the slot is freed before the event runs (its first
// push would take the slot over).
func TestAnEventThatPushesManyIsSeenAsItself(t *testing.T) {
	var seen []string
	w := sim.NewWorld(sim.Options{Seed: 1, OnEvent: func(r sim.Record) {
		seen = append(seen, r.Node+" "+r.Label)
	}})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	const children = 300
	n.After(time.Millisecond, "parent", func() {
		for i := range children {
			w.Schedule(time.Duration(i+1)*time.Second, fmt.Sprint("child ", i), func() {})
		}
	})
	require.Nil(t, w.Run())
	want := []string{"n parent"}
	for i := range children {
		want = append(want, fmt.Sprint(" child ", i))
	}
	require.Equal(t, want, seen[len(seen)-len(want):])
}
