package netsim

import (
	"fmt"
	"strings"
	"time"
)

// Conditions are the network's current fault rates. They change during a
// run (6.824 tests flip reliability and long reordering mid-test; fault
// plans change them on a schedule).
type Conditions struct {
	// DelayMin and DelayMax bound the uniform one-way delay of a request.
	// Replies travel without delay unless LongReordering holds them, as in
	// labrpc.
	DelayMin, DelayMax time.Duration
	// DropRequest is the probability a request is lost; the caller is told
	// after the delay, as labrpc does.
	DropRequest float64
	// DropReply is the probability a reply is lost after the handler ran, so
	// at-least-once execution is visible to the service.
	DropReply float64
	// Duplicate is the probability a request is delivered twice (a
	// retransmission), the second copy up to DelayMax+1 ms after the first:
	// the handler runs twice, and the caller hears only the first reply
	// sent.
	Duplicate float64
	// LongReordering holds 2/3 of replies for 200–2199 ms, skewed short, the
	// distribution of labrpc's LongReordering. It acts on replies only, as
	// labrpc's does (the ported tests depend on that); LongDelayRequest is
	// its counterpart for requests.
	LongReordering bool
	// LongDelayRequest is the probability a request is held in the network
	// for a further 200–2199 ms (LongReordering's distribution) before it
	// reaches the handler: a stale request (an old AppendEntries or
	// InstallSnapshot) arriving after newer ones. labrpc has no such fault.
	LongDelayRequest float64
	// LateDuplicate is the probability a request is delivered once more,
	// 200–2199 ms after its first copy: the handler runs again, typically
	// after the caller had its reply. The caller hears only the first reply
	// sent; the other is dropped.
	LateDuplicate float64
	// FailDelay bounds when a call over a disabled link or to a dead server
	// fails: after a uniform delay in [0, FailDelay). A call whose server
	// dies or is cut off while its handler has not yet responded fails at
	// the handler's next ServerDeadPoll instead, as in labrpc (or, if the
	// cut-off handler answers before that poll, after the uniform delay).
	FailDelay time.Duration
}

// The labrpc constants the 6.824 tests depend on.
const (
	UnreliableDelay   = 26 * time.Millisecond // rand()%27 ms before delivery
	UnreliableDrop    = 0.10                  // of requests, and again of replies
	ShortFailDelay    = 100 * time.Millisecond
	LongFailDelay     = 7000 * time.Millisecond // LongDelays: Raft tests
	LongReorderChance = 600.0 / 900.0
	ServerDeadPoll    = 100 * time.Millisecond // labrpc's isServerDead polling
)

// Reliable is labrpc's reliable network: no delay, no loss. A call over a
// disabled link fails within ShortFailDelay.
func Reliable() Conditions { return Conditions{FailDelay: ShortFailDelay} }

// Unreliable is labrpc's unreliable network: 0–26 ms delay, 10% of requests
// and 10% of replies dropped.
func Unreliable() Conditions {
	return Conditions{DelayMax: UnreliableDelay, DropRequest: UnreliableDrop, DropReply: UnreliableDrop,
		FailDelay: ShortFailDelay}
}

// WithLongDelays returns c where calls over disabled links (or to dead
// servers) fail after a uniform delay of up to 7 s, labrpc's LongDelays as the
// Raft tests set it, to catch leaders that send synchronously.
func (c Conditions) WithLongDelays() Conditions {
	c.FailDelay = LongFailDelay
	return c
}

// MaxDelay bounds every delay in Conditions. Nothing realistic comes near
// it; it keeps a plan's delays far from overflowing virtual time.
const MaxDelay = time.Hour

// Validate reports the first field of c that is out of bounds, by name:
// probabilities must be finite and in [0, 1], delays in [0, MaxDelay], and
// DelayMin no more than DelayMax.
func (c Conditions) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"DelayMin", c.DelayMin}, {"DelayMax", c.DelayMax}, {"FailDelay", c.FailDelay}} {
		if d.v < 0 || d.v > MaxDelay {
			return fmt.Errorf("%s %v is not in [0, %v]", d.name, d.v, MaxDelay)
		}
	}
	if c.DelayMin > c.DelayMax {
		return fmt.Errorf("DelayMax %v is below DelayMin %v", c.DelayMax, c.DelayMin)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"DropRequest", c.DropRequest}, {"DropReply", c.DropReply}, {"Duplicate", c.Duplicate},
		{"LongDelayRequest", c.LongDelayRequest}, {"LateDuplicate", c.LateDuplicate}} {
		if !(p.v >= 0 && p.v <= 1) { // NaN fails both comparisons
			return fmt.Errorf("%s %v is not a probability in [0, 1]", p.name, p.v)
		}
	}
	return nil
}

// String is c in one line for the trace: the delay range, the fail delay,
// and every fault that is on.
func (c Conditions) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "delay %v-%v, fail after <%v", c.DelayMin, c.DelayMax, c.FailDelay)
	pct := func(name string, p float64) {
		if p > 0 {
			fmt.Fprintf(&b, ", %s %g%%", name, p*100)
		}
	}
	pct("request loss", c.DropRequest)
	pct("reply loss", c.DropReply)
	pct("duplicates", c.Duplicate)
	if c.LongReordering {
		b.WriteString(", long reordering of replies")
	}
	pct("long-held requests", c.LongDelayRequest)
	pct("late duplicates", c.LateDuplicate)
	return b.String()
}
