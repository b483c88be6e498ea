package netsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

type blob struct{}

func (blob) Size() int  { return 1 }
func (blob) Clone() any { return blob{} }

// TestWatchListStaysBounded: a handler that never responds, to callers that
// give up, must not make its server's list of waiting calls grow with every
// call: the calls no one waits for are pruned.
func TestWatchListStaysBounded(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1, MaxTime: time.Hour})
	n := New(w, ZeroDelay())
	client := w.AddNode("client", func(*sim.Node) {})
	server := w.AddNode("server", func(*sim.Node) {})
	cep, sep := n.Attach(client), n.Attach(server)
	w.Start(client)
	w.Start(server)
	sep.Handle("Never", func(*Request, func(Message)) {})
	failed, most := 0, 0
	for k := 0; k < 2000; k++ {
		w.Schedule(time.Duration(k)*time.Millisecond, "call", func() {
			cep.CallTimeout(server.ID, "Never", blob{}, 10*time.Millisecond, func(_ any, ok bool) {
				require.False(t, ok)
				failed++
			})
			most = max(most, len(sep.watched))
		})
	}
	require.Nil(t, w.Run())
	require.Equal(t, 2000, failed)
	require.LessOrEqual(t, most, 64+10, "the list grew to %d", most)
}

// TestSparesStayBounded: copies given back that no message recopies (blob
// is no Recopier) do not pile up on the endpoint that gets them: each copy
// the network makes for that endpoint drops one.
func TestSparesStayBounded(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1, MaxTime: time.Hour})
	n := New(w, ZeroDelay())
	client := w.AddNode("client", func(*sim.Node) {})
	server := w.AddNode("server", func(*sim.Node) {})
	cep, sep := n.Attach(client), n.Attach(server)
	w.Start(client)
	w.Start(server)
	sep.HandleRequestRecycledArgs("Blob", func(req *Request) { req.Respond(blob{}) })
	replies, most := 0, 0
	for k := 0; k < 200; k++ {
		w.Schedule(time.Duration(k)*time.Millisecond, "call", func() {
			cep.Call(server.ID, "Blob", blob{}, func(reply any, ok bool) {
				require.True(t, ok)
				replies++
				cep.RecycleReply(reply)
			})
			most = max(most, sep.spareArgs.Len(), cep.spareReplies.Len())
		})
	}
	require.Nil(t, w.Run())
	require.Equal(t, 200, replies)
	require.LessOrEqual(t, most, 1, "a list of spare copies grew to %d", most)
}
