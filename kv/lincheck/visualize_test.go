package lincheck

import (
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// check runs Check on ops in a world (tracing or not) and visualizes it there.
func visualized(t *testing.T, ops []porcupine.Operation, b Bounds, tracing bool) []sim.Attachment {
	opts := sim.Options{}
	if tracing {
		opts.Trace = func(sim.Record) {}
	}
	world := sim.NewWorld(opts)
	res, _ := Check(register, ops, keyOf, b)
	Visualize(world, "test/linearizability", register, res)
	return world.Attachments()
}

// A violation is always shown; a pass only when a person will look (the run
// is traced, as simrun -html traces it); an undecided check has nothing to
// show.
func TestVisualizeAttachesPorcupinesView(t *testing.T) {
	illegal := []porcupine.Operation{w(0, 0, 1, "k", "x"), r(1, 2, 3, "k", "")}
	got := visualized(t, illegal, Bounds{}, false)
	require.Len(t, got, 1)
	require.Equal(t, "test/linearizability", got[0].Name)
	require.Equal(t, "text/html", got[0].MediaType)
	require.Contains(t, string(got[0].Data), "<html")
	require.NotRegexp(t, `(src|href)="https?:`, string(got[0].Data), "porcupine's view loads nothing")

	require.Empty(t, visualized(t, sequential("k", 3), Bounds{}, false))
	require.Len(t, visualized(t, sequential("k", 3), Bounds{}, true), 1)
	require.Empty(t, visualized(t, sequential("k", 3), Bounds{MaxOpsPerKey: 2}, true), "undecided: no view")

	Visualize(nil, "x", register, Result{}) // no world, nothing to do
}
