package clock

import (
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Sim is a node's simulated clock. It reads the node's offset and drift on
// every call, so a fault that jumps the clock takes effect at once.
type Sim struct {
	node  *sim.Node
	start time.Duration // the node's local time when this instance booted
}

var _ Clock = (*Sim)(nil)

// NewSim returns the clock of node's current instance.
func NewSim(node *sim.Node) *Sim {
	return &Sim{node: node, start: node.LocalTime()}
}

// Now is Epoch plus the node's drifted virtual time plus its offset.
func (c *Sim) Now() time.Time {
	offset, _ := c.node.ClockSkew()
	return Epoch.Add(c.node.LocalTime() + offset)
}

// Since is the drifted virtual time since this instance booted; offsets
// (wall-clock jumps) do not move it, as with a real monotonic clock.
func (c *Sim) Since() time.Duration {
	return c.node.LocalTime() - c.start
}

// AfterFunc schedules f after d of local time: a fast clock (positive drift)
// fires early in world time.
func (c *Sim) AfterFunc(d time.Duration, f func()) Timer {
	_, drift := c.node.ClockSkew()
	world := time.Duration(float64(d) / (1 + drift))
	return c.node.AfterFunc(world, "timer", f)
}
