package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// attaching returns a scenario that runs a node for a second and, if attach,
// attaches two files, the first twice.
func attaching(attach bool) *sim.Scenario {
	return &sim.Scenario{Name: "test/Attach", Main: func(p *sim.Proc) error {
		w := p.World()
		n := w.AddNode("n", func(*sim.Node) {})
		w.Start(n)
		p.Sleep(time.Second)
		if attach {
			w.Attach("report.html", "text/html", []byte("<p>first</p>"))
			w.Attach("plan.json", "application/json", []byte(`{}`))
			w.Attach("report.html", "text/html", []byte("<p>second</p>"))
		}
		w.Crash(n)
		return nil
	}}
}

func TestAttachmentsReachTheResultUnhashed(t *testing.T) {
	with := sim.RunScenario(attaching(true), sim.Options{Seed: 7})
	without := sim.RunScenario(attaching(false), sim.Options{Seed: 7})
	require.True(t, with.Passed())
	require.Equal(t, without.Hash, with.Hash, "attachments are not part of the trace hash")
	require.Empty(t, without.Attachments)

	// Attaching a name again replaces it in place.
	require.Equal(t, []sim.Attachment{
		{Name: "report.html", MediaType: "text/html", Data: []byte("<p>second</p>")},
		{Name: "plan.json", MediaType: "application/json", Data: []byte(`{}`)},
	}, with.Attachments)
	a, ok := with.Attachment("plan.json")
	require.True(t, ok)
	require.Equal(t, "application/json", a.MediaType)
	_, ok = with.Attachment("missing")
	require.False(t, ok)
}

func TestAttachNeedsAName(t *testing.T) {
	w := sim.NewWorld(sim.Options{})
	require.PanicsWithValue(t, `sim: Attach needs a name (media type "text/plain")`, func() {
		w.Attach("", "text/plain", nil)
	})
}
