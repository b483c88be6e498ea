// Package counter is a one-node counter with a planted bug: it
// acknowledges an increment before syncing it, so a crash in between loses
// an acknowledged increment.
package counter

import (
	"fmt"
	"strconv"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

func init() {
	sim.Register(sim.Scenario{
		Name:        "counter/AckBeforeSync",
		Description: "five increments, each acknowledged before its sync; the node may crash after any",
		Main:        run,
	})
}

func run(p *sim.Proc) error {
	w := p.World()
	n := w.AddNode("counter", func(*sim.Node) {})
	w.Start(n)
	r := w.Rand("crashes")
	acked := 0
	for i := 1; i <= 5; i++ {
		n.Disk.WriteFile("count", []byte(strconv.Itoa(i)))
		acked = i // the bug: acknowledged before it is synced
		if r.Chance(0.1) {
			w.Crash(n)
			w.Restart(n)
		} else {
			n.Disk.SyncNow()
		}
		p.Sleep(time.Millisecond)
	}
	data, _ := n.Disk.ReadFile("count")
	if got, _ := strconv.Atoi(string(data)); got < acked {
		return fmt.Errorf("acknowledged %d increments, the disk holds %d", acked, got)
	}
	return nil
}
