package netsim_test

import (
	"testing"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkCall measures request/reply RPC between two nodes on labrpc's
// reliable network (no delay): 64 calls in flight, each caller issuing its
// next call from the reply callback. One op is one call; msgs/s counts
// delivered messages (requests that reached the handler plus replies that
// reached the caller).
func BenchmarkCall(b *testing.B) { benchCall(b, netsim.ZeroDelay()) }

// BenchmarkCallDatacenter is BenchmarkCall on the default network, whose
// latency draws cost per message.
func BenchmarkCallDatacenter(b *testing.B) { benchCall(b) }

// BenchmarkCallDeferred is BenchmarkCall with a handler that answers 150 ms
// later, as a KV server answers when its command commits: the call waits on
// its server's watch list meanwhile (watch.go).
func BenchmarkCallDeferred(b *testing.B) { benchCallAfter(b, 150*time.Millisecond, netsim.ZeroDelay()) }

func benchCall(b *testing.B, opts ...netsim.Option) { benchCallAfter(b, 0, opts...) }

func benchCallAfter(b *testing.B, wait time.Duration, opts ...netsim.Option) {
	w := sim.NewWorld(sim.Options{Seed: 1, MaxEvents: 1 << 62, MaxTime: time.Duration(1<<62 - 1)})
	net := netsim.New(w, opts...)
	client := w.AddNode("client", func(*sim.Node) {})
	server := w.AddNode("server", func(*sim.Node) {})
	cep, sep := net.Attach(client), net.Attach(server)
	w.Start(client)
	w.Start(server)
	reply := &msg{ID: 1}
	sep.Handle("Echo", func(req *netsim.Request, respond func(netsim.Message)) {
		if wait == 0 {
			respond(reply)
			return
		}
		server.After(wait, "answer", func() { respond(reply) })
	})

	const inFlight = 64
	args := &msg{ID: 7}
	started := 0
	var done netsim.Done
	done = func(r any, ok bool) {
		if !ok {
			b.Fatal("call failed on a reliable network")
		}
		if started < b.N {
			started++
			cep.Call(server.ID, "Echo", args, done)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < inFlight && started < b.N; i++ {
		started++
		cep.Call(server.ID, "Echo", args, done)
	}
	if f := w.Run(); f != nil {
		b.Fatal(f)
	}
	b.StopTimer()
	s := net.Stats()
	if s.Calls != b.N || s.Replies != b.N {
		b.Fatalf("%d calls, %d replies, want %d", s.Calls, s.Replies, b.N)
	}
	b.ReportMetric(float64(s.Delivered+s.Replies)/b.Elapsed().Seconds(), "msgs/s")
	// Events per call: a request and a reply, plus the handler's own
	// answer event when it answers later; the network adds none while the
	// server stays up and reachable (watch.go).
	b.ReportMetric(float64(w.Events())/float64(b.N), "events/call")
}
