package netsim

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// blob is the smallest Message: no contents, and no Recopier.
type blob struct{}

func (blob) Size() int  { return 1 }
func (blob) Clone() any { return blob{} }

// clientServer is a world of two running nodes, a client and a server, on a
// network without delays: the world, the two endpoints and the server's ID.
func clientServer() (w *sim.World, cep, sep *Endpoint, server int) {
	w = sim.NewWorld(sim.Options{Seed: 1, MaxTime: time.Hour})
	n := New(w, ZeroDelay())
	c := w.AddNode("client", func(*sim.Node) {})
	s := w.AddNode("server", func(*sim.Node) {})
	cep, sep = n.Attach(c), n.Attach(s)
	w.Start(c)
	w.Start(s)
	return w, cep, sep, s.ID
}
