package netsim_test

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// put is a request that digests its contents (netsim.Digester), so that the
// value it carries is part of the trace hash.
type put struct{ Key, Value string }

func (p *put) Size() int  { return len(p.Key) + len(p.Value) }
func (p *put) Clone() any { c := *p; return &c }
func (p *put) Digest() uint64 {
	return sim.HashBytes([]byte(p.Key + "\x00" + p.Value))
}

// runPut sends one put from a client to a server and returns the run's trace
// hash.
func runPut(value string) uint64 {
	w := sim.NewWorld(sim.Options{Seed: 1})
	net := netsim.New(w)
	client := w.AddNode("client", func(*sim.Node) {})
	server := w.AddNode("server", func(*sim.Node) {})
	cep, sep := net.Attach(client), net.Attach(server)
	w.Start(client)
	w.Start(server)
	sep.Handle("Put", func(req *netsim.Request, respond func(netsim.Message)) { respond(req.Args.(*put)) })
	cep.Call(server.ID, "Put", &put{Key: "x", Value: value}, func(any, bool) {})
	w.Run()
	return w.Hash()
}

// Two runs that differ only in a value a message carries differ in trace
// hash, so -check-determinism catches a nondeterministic payload.
func ExampleDigester() {
	fmt.Println(runPut("1") == runPut("1"))
	fmt.Println(runPut("1") == runPut("2"))
	// Output:
	// true
	// false
}

// A call on the default network takes a datacenter's round trip: each of its
// two links has a base delay of its own, plus jitter. On labrpc's network,
// which the ported 6.824 scenarios ask for, it takes no time at all.
func ExampleZeroDelay() {
	for _, opts := range [][]netsim.Option{nil, {netsim.ZeroDelay()}} {
		w := sim.NewWorld(sim.Options{Seed: 1})
		net := netsim.New(w, opts...)
		client := w.AddNode("client", func(*sim.Node) {})
		server := w.AddNode("server", func(*sim.Node) {})
		cep, sep := net.Attach(client), net.Attach(server)
		w.Start(client)
		w.Start(server)
		sep.Handle("Put", func(req *netsim.Request, respond func(netsim.Message)) { respond(req.Args.(*put)) })
		cep.Call(server.ID, "Put", &put{Key: "x", Value: "1"}, func(any, bool) {
			fmt.Println("round trip", w.Now())
		})
		w.Run()
	}
	// Output:
	// round trip 798.583µs
	// round trip 0s
}
