package sim

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestDiskPendingTailIsZero: every slot of pending's array past its length
// holds a zero operation, whatever the disk went through (syncs that make
// all of the pending operations durable or only the earlier ones, crashes
// that keep some of them), as newOp assumes when it extends pending over such
// a slot rather than appending a zero operation: a slot left holding an
// operation would keep the arrays of its data from the collector, and pass
// its fields on to the operation issued there next, which sets only its own.
func TestDiskPendingTailIsZero(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := NewWorld(Options{Seed: rapid.Uint64().Draw(t, "seed")})
		n := w.AddNode("n", func(*Node) {})
		n.Disk.SetFaults(DiskFaults{KeepSomeUnsynced: true, TearLast: true, Reorder: rapid.Bool().Draw(t, "reorder")})
		w.Start(n)
		steps := rapid.SliceOfN(rapid.IntRange(0, 6), 1, 60).Draw(t, "steps")
		names := []string{"a", "b"}
		dirty := -1 // the first step after which a slot past the length held something
		// No require inside a process (it runs on a coroutine): record, then assert outside.
		w.Spawn(nil, "script", func(p *Proc) {
			for i, s := range steps {
				d, name := n.Disk, names[i%2]
				switch s {
				case 0:
					d.WriteFile(name, []byte{byte(i), 1, 2})
				case 1:
					d.AppendFile(name, []byte{byte(i)})
				case 2:
					d.Rename(name, names[(i+1)%2])
				case 3:
					d.Remove(name)
				case 4:
					d.Sync(func() {})
				case 5:
					p.Sleep(time.Duration(i%4) * time.Millisecond) // some syncs complete, some not
				case 6:
					w.Crash(n)
					w.Restart(n)
				}
				if dirty < 0 && !pendingTailIsZero(d) {
					dirty = i
				}
			}
		})
		require.Nil(t, w.Run())
		require.Equal(t, -1, dirty, "a slot past pending's length held an operation after step %d of %v", dirty, steps)
		require.True(t, pendingTailIsZero(n.Disk), "a slot past pending's length held an operation once every sync completed (%v)", steps)
	})
}

// pendingTailIsZero reports whether every slot of d.pending's array past its
// length holds a zero operation.
func pendingTailIsZero(d *Disk) bool {
	for _, op := range d.pending[len(d.pending):cap(d.pending)] {
		if !reflect.ValueOf(op).IsZero() {
			return false
		}
	}
	return true
}
