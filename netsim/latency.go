package netsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Latency is the network's own one-way delay: what every message, request
// and reply alike, takes to cross a healthy link, before any fault in
// Conditions adds to it. Each directed link has a base delay, drawn once per
// run from the link's own stream (some pairs of machines are nearer than
// others, and a->b need not equal b->a); each message adds jitter drawn from
// its call's own stream, and now and then a slow-message tail.
//
// Jitter is per message, so two messages on one link can arrive in the other
// order, as datagrams or calls on separate connections do; a protocol that
// needs per-link FIFO order must build it, as it would on a real network.
//
// The zero Latency is labrpc's network: no delay at all. The ported 6.824
// tests run on it (New(w, ZeroDelay())), because their constants were chosen
// for it.
type Latency struct {
	// BaseMin and BaseMax bound each directed link's base one-way delay,
	// uniform in [BaseMin, BaseMax].
	BaseMin, BaseMax time.Duration
	// Jitter is the mean of the exponentially distributed delay each
	// message adds to its link's base (queueing in hosts and switches).
	Jitter time.Duration
	// TailChance is the probability that a message is slow: it adds a
	// further delay uniform in [TailMin, TailMax] (a retransmitted packet, a
	// congested port, a descheduled sender).
	TailChance       float64
	TailMin, TailMax time.Duration
}

// Datacenter is the default latency, that of machines in one datacenter:
// per-link base 100-400 µs one way (a round trip of 0.2-0.8 ms), jitter with
// a mean of 50 µs, and 1% of messages 1-10 ms slower, on the scale of a
// storage sync (0.1-1 ms: sim.SyncLatencyMin, sim.SyncLatencyMax). On a
// network without delay a request, its handling and its reply happen at one
// virtual instant, so a crash, a partition or a clock jump never falls while
// a message is in flight; with latency it can.
func Datacenter() Latency {
	return Latency{BaseMin: 100 * time.Microsecond, BaseMax: 400 * time.Microsecond,
		Jitter: 50 * time.Microsecond, TailChance: 0.01, TailMin: time.Millisecond, TailMax: 10 * time.Millisecond}
}

// Zero reports whether l adds no delay to any message.
func (l Latency) Zero() bool {
	return l.BaseMax == 0 && l.Jitter == 0 && (l.TailChance == 0 || l.TailMax == 0)
}

// Validate reports the first field of l that is out of bounds, by name:
// delays in [0, MaxDelay], each minimum no more than its maximum, and
// TailChance a probability.
func (l Latency) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"BaseMin", l.BaseMin}, {"BaseMax", l.BaseMax}, {"Jitter", l.Jitter}, {"TailMin", l.TailMin}, {"TailMax", l.TailMax}} {
		if d.v < 0 || d.v > MaxDelay {
			return fmt.Errorf("latency %s %v is not in [0, %v]", d.name, d.v, MaxDelay)
		}
	}
	if l.BaseMin > l.BaseMax {
		return fmt.Errorf("latency BaseMax %v is below BaseMin %v", l.BaseMax, l.BaseMin)
	}
	if l.TailMin > l.TailMax {
		return fmt.Errorf("latency TailMax %v is below TailMin %v", l.TailMax, l.TailMin)
	}
	if !(l.TailChance >= 0 && l.TailChance <= 1) { // NaN fails both comparisons
		return fmt.Errorf("latency TailChance %v is not a probability in [0, 1]", l.TailChance)
	}
	return nil
}

func (l Latency) String() string {
	if l.Zero() {
		return "zero delay (labrpc)"
	}
	s := fmt.Sprintf("per-link base %v-%v, jitter mean %v", l.BaseMin, l.BaseMax, l.Jitter)
	if l.TailChance > 0 {
		s += fmt.Sprintf(", %g%% of messages +%v-%v", l.TailChance*100, l.TailMin, l.TailMax)
	}
	return s
}

// Option configures a Network at New.
type Option func(*Network)

// WithLatency gives the network latency l instead of Datacenter. New panics
// if l is invalid (see Latency.Validate).
func WithLatency(l Latency) Option { return func(n *Network) { n.setLatency(l) } }

// ZeroDelay is labrpc's network: messages take no time at all unless
// Conditions add a delay. The ported 6.824 scenarios use it so that their
// constants and behaviour are those of the original tests.
func ZeroDelay() Option { return WithLatency(Latency{}) }

// Latency returns the network's latency model.
func (n *Network) Latency() Latency { return n.lat }

// SetLatency replaces the network's latency model from now on; link bases
// keep their place in the new range (a link that was the slowest stays the
// slowest). It panics if l is invalid (see Latency.Validate).
func (n *Network) SetLatency(l Latency) {
	n.setLatency(l)
	if n.w.Tracing() {
		n.w.Mark(sim.Mark{Kind: sim.MarkLink, Text: "net latency " + l.String()})
	}
}

func (n *Network) setLatency(l Latency) {
	if err := l.Validate(); err != nil {
		panic("netsim: " + err.Error())
	}
	n.lat = l
}

// latencyKey keys a link's base-delay draw apart from its calls' streams,
// which are keyed by their sequence numbers.
const latencyKey = 1<<64 - 1

// oneWay is the delay of one message over l's link from -> to: the link's
// base plus jitter and, rarely, a tail, the per-message draws taken from r.
func (n *Network) oneWay(l *link, r *sim.Rand) time.Duration {
	lat := &n.lat
	d := lat.BaseMin
	if lat.BaseMax > lat.BaseMin {
		// The same fraction of the range every time: the base is the link's.
		d += time.Duration(l.rand.Keyed(latencyKey).Float64() * float64(lat.BaseMax-lat.BaseMin))
	}
	if lat.Jitter > 0 {
		d += r.Exp(lat.Jitter)
	}
	if r.Chance(lat.TailChance) {
		d += r.Duration(lat.TailMin, lat.TailMax)
	}
	return d
}
