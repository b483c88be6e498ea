// Package lease is Lockstep's second example system, of a different kind
// than the register in examples/register: a lock service that grants
// leases on time, and the storage service the lock protects, which fences
// off writers whose lease ran out. It is written as a user outside the
// repository would write it, on the public API of sim, netsim, clock and
// faults only, and docs/own-system.md walks through it.
//
// The nodes:
//
//   - lockserver grants one lease at a time, for Config.Lease on its own
//     clock from the moment the request arrived, with a fencing token taken
//     from a counter it makes durable before the grant leaves. A restarted server has forgotten who holds
//     the lease, so it grants nothing until a whole lease has passed.
//   - storage holds one value. A write carries the token of the lease it is
//     made under and its number within the lease (seq); the storage applies
//     it only if (token, seq) is after the last write it applied, and
//     acknowledges it once durable.
//   - client1..client3 take the lease, write a job of values under it, and
//     give it back. A client counts its lease from the moment it asked,
//     shortened by a margin for clock drift, and stops writing when it runs
//     out by its own clock.
//
// The checks (check.go): lease/tokens (a token is never granted twice, even
// across restarts), lease/exclusion (a client acts only on the newest lease
// granted), lease/fencing (the storage applies writes in (token, seq)
// order), lease/durable (the storage keeps what it acknowledged), and, in
// Main, lease/progress (once the faults end, writes are stored again).
//
// The scenarios: example/Lease (crashes of any node), example/LeaseUnreliable
// (long-delayed requests and replies, late duplicates: unreliable-plus) and
// example/LeaseSwarm (the swarm profile: clock drift and jumps, pauses,
// partitions, storage faults).
//
// Planted bugs. Config has one switch per bug; Planted lists them with the
// profile that finds each and the seeds within which it does, and
// TestPlantedBugsAreFound holds every row to its word (go test
// ./examples/lease -run Planted -v prints the first failing seed of each):
//
//	bug                profile                   seeds  first failing  check that fires
//	NoRestartGrace     crashes:down=10ms..200ms  1-10   1              lease/exclusion
//	NoCounterSync      crashes                   1-10   1              lease/tokens
//	CountFromReply     none                      1-5    1              lease/exclusion
//	NoDriftMargin      swarm:only=clock          1-40   1              lease/exclusion
//	AcceptStaleTokens  unreliable-plus           1-20   3              lease/fencing
//
// Each profile is the fault the bug needs. NoRestartGrace needs a lock
// server that comes back within a lease of its crash: crashes with short
// downtimes fail 66 of seeds 1-100, the default crashes (down 0.2-2 s) 12.
// CountFromReply needs no fault at all: the time a request waits in the
// lock server's queue is enough. NoDriftMargin needs clock drift: the swarm
// profile restricted to its clock faults fails 14 of seeds 1-100, the whole
// swarm profile, which turns clock faults on for about half its seeds, 7.
// The seed ranges leave room above the first failing seed, so that a change
// that reshuffles which seeds fail does not make a row false at once.
//
// Each bug is also registered as the scenario example/planted/Lease<bug>
// under its profile (planted.go), which '*' does not match.
//
// The correct configuration passes the same seeds under the same profiles
// (TestCorrectPassesPlantedSweeps).
package lease

import "time"

// Config holds the knobs of the system. The zero value is the correct
// system with its default timings; each Bool is a deliberate bug.
type Config struct {
	// Lease is how long a lease lasts on the lock server's clock (default
	// 1 s).
	Lease time.Duration
	// DriftMargin is the fraction of a lease a client gives up to clock
	// drift (default 0.05): safe while no two clocks' rates differ by more
	// than 5%. The swarm profile drifts clocks by up to ±1%.
	DriftMargin float64
	// MaxJob is the most writes a client makes under one lease (default 100)
	// and Think the mean pause between them (default 15 ms): most jobs
	// outlast the lease, so leases run out as often as they are released.
	MaxJob int
	Think  time.Duration

	// NoRestartGrace: the lock server grants at once after a restart,
	// although a lease granted before the crash may still run.
	NoRestartGrace bool
	// NoCounterSync: the lock server writes its token counter but never
	// syncs it, so a crash may lose it.
	NoCounterSync bool
	// CountFromReply: a client counts its lease from the grant's arrival,
	// not from its request, so a grant delayed in the network extends it.
	CountFromReply bool
	// NoDriftMargin: a client trusts the whole lease, as if its clock ran at
	// the rate of the server's.
	NoDriftMargin bool
	// AcceptStaleTokens: the storage applies every write, fencing none off.
	AcceptStaleTokens bool
}

func (c Config) withDefaults() Config {
	if c.Lease == 0 {
		c.Lease = time.Second
	}
	if c.DriftMargin == 0 {
		c.DriftMargin = 0.05
	}
	if c.MaxJob == 0 {
		c.MaxJob = 100
	}
	if c.Think == 0 {
		c.Think = 15 * time.Millisecond
	}
	return c
}
