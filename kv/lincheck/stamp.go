package lincheck

import (
	"fmt"
	"time"
)

// Stamper gives a history's Call and Return stamps in the order the calls and returns
// happened in virtual time. The zero value is ready.
type Stamper struct {
	// The instant of the latest stamp, and how many stamps were given at it.
	now time.Duration
	n   int64
}

// StampBits is the room a stamp leaves for events at one virtual instant.
const StampBits = 20

// Stamp returns the stamp for a call or return at virtual time t: t in nanoseconds
// shifted left by StampBits, plus the number of stamps given at t before. Events at one
// virtual instant still happen in an order, and stamps keep it. With plain times a
// clerk's operation and the next one, which starts at the very instant the first
// returns, would have equal times, which porcupine takes as overlapping (it orders a call
// before a return of equal time, not knowing better): it would try both orders of every
// pair, a weaker check and a far longer search (twice the real concurrency per key).
// Stamps must be taken as the events happen, in the run's event order.
func (s *Stamper) Stamp(t time.Duration) int64 {
	if t != s.now {
		s.now, s.n = t, 0
	}
	if s.n == 1<<StampBits || t >= 1<<(62-StampBits) {
		panic(fmt.Sprintf("lincheck: history stamp out of range at %v (%d stamps at that instant)", t, s.n))
	}
	s.n++
	return int64(t)<<StampBits | (s.n - 1)
}
