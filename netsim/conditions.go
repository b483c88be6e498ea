package netsim

import "time"

// Conditions are the network's current fault rates. They change during a
// run (6.824 tests flip reliability and long reordering mid-test; fault
// plans change them on a schedule).
type Conditions struct {
	// DelayMin and DelayMax bound the uniform one-way delay of a request.
	DelayMin, DelayMax time.Duration
	// DropRequest is the probability a request is lost; the caller is told
	// after the delay, as labrpc does.
	DropRequest float64
	// DropReply is the probability a reply is lost after the handler ran, so
	// at-least-once execution is visible to the service.
	DropReply float64
	// Duplicate is the probability a request is delivered twice (a
	// retransmission): the handler runs twice, the first reply wins.
	Duplicate float64
	// LongReordering holds 2/3 of replies for 200–2200 ms, skewed short, the
	// distribution of labrpc's LongReordering.
	LongReordering bool
	// FailDelay is the maximum time after which a call over a disabled link
	// or to a dead server fails (uniform in [0, FailDelay)).
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

// WithLongDelays returns c where calls over disabled links fail only after up
// to 7 s, as the Raft tests set it, to catch leaders that send synchronously.
func (c Conditions) WithLongDelays() Conditions {
	c.FailDelay = LongFailDelay
	return c
}
