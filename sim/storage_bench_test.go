package sim_test

import (
	"fmt"
	"testing"

	"github.com/lockstep-dst/lockstep/sim"
)

// BenchmarkDisk measures the storage's own cost per operation in the
// patterns the systems on it use: a state file replaced atomically (write a
// temporary, sync, rename, sync), copied or handed over, an append-only log synced every few
// records, and crashes that find unsynced writes under the harshest fault
// model, all outside the event loop (SyncNow); and appends each followed by
// a Sync whose completion issues the next, in the event loop (SyncEvents:
// one event per operation).
func BenchmarkDisk(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("ReplaceFile/%dKiB", size>>10), func(b *testing.B) {
			w := sim.NewWorld(sim.Options{Seed: 1})
			n := w.AddNode("n", func(*sim.Node) {})
			w.Start(n)
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				data[0] = byte(i)
				n.Disk.WriteFile("snapshot.tmp", data)
				n.Disk.SyncNow()
				n.Disk.Rename("snapshot.tmp", "snapshot")
				n.Disk.SyncNow()
			}
		})
	}
	for _, size := range []int{4 << 10, 64 << 10} {
		// The same, with the file handed over as a framing head and a payload the
		// writer keeps (WriteFileOwned), as a Raft host writes a snapshot record.
		b.Run(fmt.Sprintf("ReplaceFileOwned/%dKiB", size>>10), func(b *testing.B) {
			w := sim.NewWorld(sim.Options{Seed: 1})
			n := w.AddNode("n", func(*sim.Node) {})
			w.Start(n)
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				n.Disk.WriteFileOwned("snapshot.tmp", []byte{byte(i), 0, 0, 0}, data)
				n.Disk.SyncNow()
				n.Disk.Rename("snapshot.tmp", "snapshot")
				n.Disk.SyncNow()
			}
		})
	}
	b.Run("AppendLog", func(b *testing.B) {
		w := sim.NewWorld(sim.Options{Seed: 1})
		n := w.AddNode("n", func(*sim.Node) {})
		w.Start(n)
		rec := make([]byte, 100)
		b.SetBytes(int64(len(rec)))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%10_000 == 0 {
				n.Disk.WriteFile("log", nil) // compaction: the log starts over
			}
			n.Disk.AppendFile("log", rec)
			if i%4 == 3 {
				n.Disk.SyncNow()
			}
		}
	})
	b.Run("CrashWithFaults", func(b *testing.B) {
		w := sim.NewWorld(sim.Options{Seed: 1})
		n := w.AddNode("n", func(*sim.Node) {})
		n.Disk.SetFaults(sim.DiskFaults{KeepSomeUnsynced: true, TearLast: true, Reorder: true, Corrupt: true})
		w.Start(n)
		state := make([]byte, 4<<10)
		rec := make([]byte, 100)
		b.ReportAllocs()
		for b.Loop() {
			n.Disk.Remove("log") // a log of a bounded size, as after a compaction
			n.Disk.WriteFile("state", state)
			for range 8 {
				n.Disk.AppendFile("log", rec)
			}
			n.Disk.SyncNow()
			n.Disk.WriteFile("state.tmp", state)
			n.Disk.AppendFile("log", rec)
			n.Disk.Rename("state.tmp", "state")
			w.Crash(n)
			w.Restart(n)
		}
	})
	b.Run("SyncEvents", func(b *testing.B) {
		w := sim.NewWorld(sim.Options{Seed: 1, MaxTime: 1 << 62, MaxEvents: 1 << 62})
		n := w.AddNode("n", func(*sim.Node) {})
		w.Start(n)
		rec := make([]byte, 8)
		left := b.N
		var step func()
		step = func() {
			if left == 0 {
				return
			}
			left--
			if left%10_000 == 0 {
				n.Disk.Remove("log") // a log of a bounded size, as after a compaction
			}
			n.Disk.AppendFile("log", rec)
			n.Disk.Sync(step)
		}
		w.Schedule(0, "start", step)
		b.ReportAllocs()
		b.ResetTimer()
		if f := w.Run(); f != nil {
			b.Fatal(f)
		}
	})
}
