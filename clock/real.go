//lockstep:host the real clock, for code that runs outside the simulator

package clock

import "time"

// Real is the machine's clock, for code running outside the simulator. Its
// callbacks run on their own goroutines, as time.AfterFunc's do: a host on a
// real machine must serialise them itself.
type Real struct {
	start time.Time
}

var _ Labeled = (*Real)(nil)

// NewReal returns a clock on package time.
func NewReal() *Real { return &Real{start: time.Now()} }

// Now is the wall-clock time.
func (c *Real) Now() time.Time { return time.Now() }

// Since is the monotonic time since the clock was made.
func (c *Real) Since() time.Duration { return time.Since(c.start) }

// AfterFunc runs f after d on its own goroutine.
func (c *Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// AfterFuncLabel is AfterFunc: a real clock has no trace to show label in.
func (c *Real) AfterFuncLabel(d time.Duration, _ string, f func()) Timer { return c.AfterFunc(d, f) }
