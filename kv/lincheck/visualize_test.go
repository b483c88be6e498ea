package lincheck

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/page"
)

// visualized checks ops in a world (tracing or not) and returns what
// Visualize attached there.
func visualized(t *testing.T, ops []porcupine.Operation, b Bounds, tracing bool) []sim.Attachment {
	opts := sim.Options{}
	if tracing {
		opts.Trace = func(sim.Record) {}
	}
	world := sim.NewWorld(opts)
	res, _ := Check(register, ops, keyOf, b)
	Visualize(world, "test/linearizability", register, ops, keyOf, res)
	return world.Attachments()
}

// A violation is always shown; a pass only when a person will look (the run
// is traced, as simrun -html traces it); an undecided check has nothing to
// show.
func TestVisualizeAttachesPorcupinesViewAndTheHistory(t *testing.T) {
	var st Stamper
	stamp := func(ms int) int64 { return st.Stamp(time.Duration(ms) * time.Millisecond) }
	// A write of "x" to k returns at 2ms; a read of k from 3ms sees nothing.
	illegal := []porcupine.Operation{w(0, stamp(1), stamp(2), "k", "x"), r(1, stamp(3), stamp(4), "k", "")}
	illegal = append(illegal, w(2, stamp(5), stamp(6), "j", "y"))
	got := visualized(t, illegal, Bounds{}, false)
	require.Len(t, got, 2)
	require.Equal(t, "test/linearizability", got[0].Name)
	require.Equal(t, "text/html", got[0].MediaType)
	require.Contains(t, string(got[0].Data), "<html")
	require.NotRegexp(t, `(src|href)="https?:`, string(got[0].Data), "porcupine's view loads nothing")

	require.Equal(t, "test/linearizability.history.json", got[1].Name)
	require.Equal(t, page.HistoryMediaType, got[1].MediaType)
	var h page.History
	require.NoError(t, json.Unmarshal(got[1].Data, &h))
	require.Equal(t, []page.Op{
		{Client: 0, Call: 1 * time.Millisecond, Return: 2 * time.Millisecond, Key: "k", Text: "{k true x} -> ", Bad: true},
		{Client: 1, Call: 3 * time.Millisecond, Return: 4 * time.Millisecond, Key: "k", Text: "{k false } -> ", Bad: true},
		{Client: 2, Call: 5 * time.Millisecond, Return: 6 * time.Millisecond, Key: "j", Text: "{j true y} -> "},
	}, h.Ops, "virtual times, the model's descriptions (here the default), the illegal key's operations bad")

	require.Empty(t, visualized(t, sequential("k", 3), Bounds{}, false))
	require.Len(t, visualized(t, sequential("k", 3), Bounds{}, true), 2)
	require.Empty(t, visualized(t, sequential("k", 3), Bounds{MaxOpsPerKey: 2}, true), "undecided: no view")

	Visualize(nil, "x", register, nil, keyOf, Result{}) // no world, nothing to do
}
