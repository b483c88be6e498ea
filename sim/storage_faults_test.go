package sim_test

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

// newDiskWorld returns a world with one started node whose disk has faults,
// and a trace of the notes logged.
func newDiskWorld(seed uint64, faults sim.DiskFaults) (*sim.World, *sim.Node, *[]string) {
	notes := &[]string{}
	w := sim.NewWorld(sim.Options{Seed: seed, Trace: func(r sim.Record) {
		if r.Note != "" {
			*notes = append(*notes, r.Note)
		}
	}})
	n := w.AddNode("n", func(*sim.Node) {})
	n.Disk.SetFaults(faults)
	w.Start(n)
	return w, n, notes
}

// Item 3: a sync completes as a later event, after a latency of the model,
// and syncs complete in the order they were issued.
func TestSyncCompletesLaterInIssueOrder(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		w, n, _ := newDiskWorld(seed, sim.DiskFaults{})
		var order []int
		var at []time.Duration
		syncedAtIssue := true
		w.Schedule(time.Millisecond, "writer", func() {
			for i := range 5 {
				n.Disk.AppendFile("log", []byte{byte(i)})
				n.Disk.Sync(func() { order = append(order, i); at = append(at, w.Now()) })
			}
			syncedAtIssue = len(order) > 0 || n.Disk.Unsynced() == 0
		})
		require.Nil(t, w.Run())
		require.False(t, syncedAtIssue, "seed %d: a sync completed inside Sync", seed)
		require.Equal(t, []int{0, 1, 2, 3, 4}, order, "seed %d: syncs out of issue order", seed)
		for i, t0 := range at {
			require.GreaterOrEqual(t, t0, time.Millisecond+sim.SyncLatencyMin, "seed %d: sync %d too early", seed, i)
			require.LessOrEqual(t, t0, time.Millisecond+sim.SyncStallMax+sim.SyncCostPerByte, "seed %d: sync %d too late", seed, i)
		}
	}
}

// The latency grows with the bytes the sync must write.
func TestSyncLatencyCountsBytes(t *testing.T) {
	w, n, _ := newDiskWorld(1, sim.DiskFaults{})
	var small, big time.Duration
	w.Spawn(nil, "script", func(p *sim.Proc) {
		start := p.Now()
		n.Disk.WriteFile("small", []byte("x"))
		sim.SyncProc(p, n.Disk)
		small = p.Now() - start
		start = p.Now()
		n.Disk.WriteFile("big", make([]byte, 4<<20))
		sim.SyncProc(p, n.Disk)
		big = p.Now() - start
	})
	require.Nil(t, w.Run())
	require.GreaterOrEqual(t, small, sim.SyncLatencyMin)
	require.LessOrEqual(t, small, sim.SyncStallMax+sim.SyncCostPerByte)
	require.GreaterOrEqual(t, big, sim.SyncLatencyMin+(4<<20)*sim.SyncCostPerByte)
}

// Item 3: a crash between a write and the end of its sync loses the write,
// and the sync's done never runs; a crash after it keeps it.
func TestCrashBeforeSyncCompletesLosesTheWrite(t *testing.T) {
	for _, crashAfter := range []time.Duration{sim.SyncLatencyMin / 2, sim.SyncStallMax + time.Microsecond} {
		w, n, _ := newDiskWorld(1, sim.DiskFaults{})
		acked := false
		w.Schedule(0, "write", func() {
			n.Disk.WriteFile("f", []byte("acknowledged?"))
			n.Disk.Sync(func() { acked = true })
		})
		w.Schedule(crashAfter, "crash", func() { w.Crash(n); w.Restart(n) })
		require.Nil(t, w.Run())
		_, survived := n.Disk.ReadFile("f")
		require.Equal(t, acked, survived, "crash after %v: a write survives exactly if its sync completed", crashAfter)
		require.Equal(t, crashAfter > sim.SyncStallMax, acked, "crash after %v", crashAfter)
	}
}

// Most syncs take the base latency, about SyncStallChance of them stall.
func TestSyncLatencyDistribution(t *testing.T) {
	w, n, _ := newDiskWorld(1, sim.DiskFaults{})
	var lat []time.Duration
	w.Spawn(n, "syncer", func(p *sim.Proc) {
		for range 2000 {
			start := p.Now()
			sim.SyncProc(p, n.Disk)
			lat = append(lat, p.Now()-start)
		}
	})
	require.Nil(t, w.Run())
	stalls := 0
	for _, l := range lat {
		require.GreaterOrEqual(t, l, sim.SyncLatencyMin)
		require.LessOrEqual(t, l, sim.SyncStallMax)
		if l > sim.SyncLatencyMax {
			stalls++
		}
	}
	require.InDelta(t, sim.SyncStallChance*2000, stalls, 40)
}

// A sync issued before a write does not make that write durable.
func TestSyncCoversOnlyEarlierWrites(t *testing.T) {
	w, n, _ := newDiskWorld(1, sim.DiskFaults{})
	w.Schedule(0, "write", func() {
		n.Disk.WriteFile("early", []byte("1"))
		n.Disk.Sync(nil)
		n.Disk.WriteFile("late", []byte("2"))
	})
	require.Nil(t, w.Run()) // the sync completed, and no other was issued
	w.Crash(n)
	w.Restart(n)
	require.Equal(t, []string{"early"}, n.Disk.List())
}

// SyncProc blocks a process until the sync completed; the process of a node
// that crashes meanwhile dies with it.
func TestSyncProc(t *testing.T) {
	w, n, _ := newDiskWorld(1, sim.DiskFaults{})
	var durableWhenWoken bool
	var woke time.Duration
	w.Spawn(n, "writer", func(p *sim.Proc) {
		n.Disk.WriteFile("f", []byte("x"))
		sim.SyncProc(p, n.Disk)
		durableWhenWoken, woke = n.Disk.Unsynced() == 0, p.Now()
	})
	require.Nil(t, w.Run())
	require.True(t, durableWhenWoken)
	require.GreaterOrEqual(t, woke, sim.SyncLatencyMin)

	w, n, _ = newDiskWorld(1, sim.DiskFaults{})
	after := false
	w.Spawn(n, "writer", func(p *sim.Proc) {
		n.Disk.WriteFile("f", []byte("x"))
		sim.SyncProc(p, n.Disk)
		after = true
	})
	w.Schedule(sim.SyncLatencyMin/2, "crash", func() { w.Crash(n) })
	require.Nil(t, w.Run())
	require.False(t, after, "a process ran on after its node crashed during its sync")
}

// Item 3: every crash logs what it found, and the statistics count crashes
// that found unsynced operations.
func TestCrashLogsWhatItFound(t *testing.T) {
	w, n, notes := newDiskWorld(1, sim.DiskFaults{})
	n.Disk.WriteFile("a", []byte("1"))
	n.Disk.AppendFile("a", []byte("2"))
	w.Crash(n)
	w.Restart(n)
	w.Crash(n)
	require.Contains(t, *notes, "disk: crash found 3 unsynced ops (0 syncs in flight): kept 0, tore 0, lost 3")
	require.Contains(t, *notes, "disk: crash found 0 unsynced ops (0 syncs in flight): kept 0, tore 0, lost 0")
	require.Equal(t, sim.StorageStats{Crashes: 2, Unsynced: 1}, w.StorageStats())
}

// Item 3: corruption of synced data keeps the file's length, changes one
// file, by one bit or one zeroed sector, is counted and logged, and happens
// on about CorruptChance of the crashes.
func TestCorruptKeepsLengthAndChangesOneFile(t *testing.T) {
	orig := map[string][]byte{"small": []byte("hello, world"), "big": bytes.Repeat([]byte("0123456789abcdef"), 100)}
	flips, sectors, clean := 0, 0, 0
	for seed := uint64(1); seed <= 200; seed++ {
		w, n, notes := newDiskWorld(seed, sim.DiskFaults{Corrupt: true})
		for name, b := range orig {
			n.Disk.WriteFile(name, b)
		}
		n.Disk.WriteFile("empty", nil)
		n.Disk.SyncNow()
		w.Crash(n)
		w.Restart(n)
		changed := 0
		for name, b := range orig {
			got, ok := n.Disk.ReadFile(name)
			require.True(t, ok)
			require.Len(t, got, len(b), "seed %d: corruption changed the length of %s", seed, name)
			if bytes.Equal(got, b) {
				continue
			}
			changed++
			var diff []int
			for i := range b {
				if got[i] != b[i] {
					diff = append(diff, i)
				}
			}
			last := strings.Join(*notes, "\n")
			if len(diff) == 1 && bitsSet(got[diff[0]]^b[diff[0]]) == 1 {
				flips++
				require.Contains(t, last, fmt.Sprintf("corrupted %s at byte %d (bit flip)", name, diff[0]))
				continue
			}
			sectors++
			lo := diff[0] / sim.SectorSize * sim.SectorSize
			hi := min(lo+sim.SectorSize, len(b))
			require.Equal(t, make([]byte, hi-lo), got[lo:hi], "seed %d: neither a bit flip nor a zeroed sector", seed)
			require.Equal(t, b[:lo], got[:lo])
			require.Equal(t, b[hi:], got[hi:])
			require.Contains(t, last, fmt.Sprintf("corrupted %s bytes %d-%d (lost write", name, lo, hi))
		}
		got, ok := n.Disk.ReadFile("empty")
		require.True(t, ok)
		require.Empty(t, got)
		require.LessOrEqual(t, changed, 1, "seed %d: more than one file corrupted", seed)
		require.Equal(t, sim.StorageStats{Crashes: 1, Corrupted: changed}, w.StorageStats())
		if changed == 0 {
			clean++
		}
	}
	require.Positive(t, flips)
	require.Positive(t, sectors)
	require.InDelta(t, 100, clean, 30, "CorruptChance is one half")
}

func bitsSet(b byte) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

// Item 12: a fault model is validated, and a bad one is refused.
func TestDiskFaultsValidate(t *testing.T) {
	for _, f := range []sim.DiskFaults{{}, {KeepSomeUnsynced: true}, {TearLast: true}, {Corrupt: true},
		{KeepSomeUnsynced: true, TearLast: true, Reorder: true, Corrupt: true}} {
		require.NoError(t, f.Validate(), "%v", f)
	}
	bad := sim.DiskFaults{Reorder: true}
	require.ErrorContains(t, bad.Validate(), "reorder needs keep-some-unsynced")
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	require.Panics(t, func() { n.Disk.SetFaults(bad) })
	require.Equal(t, "keep-some-unsynced=true tear-last=false reorder=true corrupt=false",
		sim.DiskFaults{KeepSomeUnsynced: true, Reorder: true}.String())
}

var reorder = sim.DiskFaults{KeepSomeUnsynced: true, TearLast: true, Reorder: true}

// Item 16: with Reorder the surviving operations need not be a prefix (a
// later write to one file survives while an earlier one to another file is
// lost), but each file keeps a prefix of its appends, torn at most at its end.
func TestReorderKeepsEachFilesAppendsAsAPrefix(t *testing.T) {
	notPrefix := 0
	rapid.Check(t, func(t *rapid.T) {
		w, n, _ := newDiskWorld(rapid.Uint64().Draw(t, "seed"), reorder)
		sim.SmallFileParts(n.Disk)
		names := []string{"a", "b", "c"}
		all := map[string]string{}
		var order []string // file of each append, in order
		count := rapid.IntRange(1, 20).Draw(t, "appends")
		for i := range count {
			name := rapid.SampledFrom(names).Draw(t, "file")
			chunk := fmt.Sprintf("<%d>", i)
			n.Disk.AppendFile(name, []byte(chunk))
			all[name] += chunk
			order = append(order, name)
		}
		w.Crash(n)
		w.Restart(n)
		got := contents(t, n.Disk)
		// Which appends survived whole, by their numbers.
		survived := map[int]bool{}
		for name, full := range all {
			g, ok := got[name]
			if !ok {
				continue
			}
			require.True(t, strings.HasPrefix(full, g), "file %s holds %q, not a prefix of its appends %q", name, g, full)
			for _, chunk := range strings.SplitAfter(g, ">") {
				if strings.HasSuffix(chunk, ">") {
					i, err := strconv.Atoi(chunk[1 : len(chunk)-1])
					require.NoError(t, err)
					survived[i] = true
				}
			}
		}
		for i := 1; i < count; i++ {
			if survived[i] && !survived[i-1] {
				notPrefix++
				break
			}
		}
	})
	require.Positive(t, notPrefix, "Reorder never kept a later append without an earlier one to another file")
}

// Item 16: directory operations survive as a prefix of the directory's (as
// in a metadata journal): files created in order survive as a prefix of
// that order, whichever of their data survives.
func TestReorderKeepsDirectoryOperationsAsAPrefix(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, n, _ := newDiskWorld(rapid.Uint64().Draw(t, "seed"), reorder)
		sim.SmallFileParts(n.Disk)
		count := rapid.IntRange(1, 12).Draw(t, "files")
		for i := range count {
			n.Disk.WriteFile(fmt.Sprintf("f%02d", i), []byte("data"))
		}
		w.Crash(n)
		w.Restart(n)
		got := n.Disk.List()
		for i, name := range got {
			require.Equal(t, fmt.Sprintf("f%02d", i), name, "created files %v survived out of order", got)
		}
	})
}

// Item 16 (and 14, a model no stronger than POSIX): a rename can survive a
// crash while the write to the file it renames did not; without Reorder it
// never does.
func TestReorderCanKeepARenameAndLoseItsWrite(t *testing.T) {
	emptied := func(f sim.DiskFaults) int {
		count := 0
		for seed := uint64(1); seed <= 200; seed++ {
			w, n, _ := newDiskWorld(seed, f)
			n.Disk.WriteFile("state", []byte("old"))
			n.Disk.SyncNow()
			n.Disk.WriteFile("tmp", []byte("new"))
			n.Disk.Rename("tmp", "state")
			w.Crash(n)
			w.Restart(n)
			b, _ := n.Disk.ReadFile("state")
			require.Contains(t, []string{"old", "new", ""}, string(b))
			if string(b) == "" {
				count++
			}
		}
		return count
	}
	require.Positive(t, emptied(sim.DiskFaults{KeepSomeUnsynced: true, Reorder: true}),
		"Reorder never kept the rename without the write")
	require.Zero(t, emptied(sim.DiskFaults{KeepSomeUnsynced: true}),
		"without Reorder the operations survive in order: the rename never without the write")
}

// Item 18: a node updates a state file and acknowledges each update after
// its last sync completed; crashes land after events whose writes are
// pending, which is a crash at any operation inside them. A protocol that
// renames before syncing the data it renames loses an acknowledged state on
// some seed; the correct one (write tmp, sync, rename, sync) never does.
func TestWriteRenameWithoutSyncLosesDataCorrectProtocolNever(t *testing.T) {
	run := func(seed uint64, correct bool) (lost bool) {
		w := sim.NewWorld(sim.Options{Seed: seed})
		n := w.AddNode("n", func(*sim.Node) {})
		n.Disk.SetFaults(reorder)
		w.Start(n)
		acked := 0
		gap := w.Rand("gap")
		var update func(v int)
		update = func(v int) {
			d := n.Disk
			data := []byte(strconv.Itoa(v))
			done := func() {
				acked = v
				n.After(gap.Duration(0, 2*time.Millisecond), "next", func() { update(v + 1) })
			}
			d.WriteFile("tmp", data)
			if correct {
				d.Sync(func() {
					d.Rename("tmp", "state")
					d.Sync(done)
				})
				return
			}
			d.Rename("tmp", "state")
			d.Sync(done)
		}
		n.After(0, "first", func() { update(1) })
		r := w.Rand("crash")
		w.Schedule(r.Duration(time.Millisecond, 20*time.Millisecond), "crash", func() {
			w.Crash(n)
			w.Restart(n)
			b, _ := n.Disk.ReadFile("state")
			v, _ := strconv.Atoi(string(b)) // "" reads as 0
			lost = v < acked
		})
		require.Nil(t, w.Run())
		return lost
	}
	caught := 0
	for seed := uint64(1); seed <= 100; seed++ {
		require.False(t, run(seed, true), "seed %d: write tmp, sync, rename, sync lost an acknowledged state", seed)
		if run(seed, false) {
			caught++
		}
	}
	require.Positive(t, caught, "100 seeds never caught a rename before the sync of the data it renames")
}

// TestSyncsAcrossCrashesCompleteInOrder: the events that complete syncs are
// reused (a crash frees the ones it cancelled, Disk.syncEvent). Across
// crashes and restarts, each instance's syncs complete in issue order, a sync
// a crash cancelled never completes, and every sync of the last instance
// does.
func TestSyncsAcrossCrashesCompleteInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, n, _ := newDiskWorld(rapid.Uint64().Draw(t, "seed"), sim.DiskFaults{})
		sim.SmallFileParts(n.Disk)
		rounds := rapid.IntRange(1, 5).Draw(t, "rounds")
		issued := make([]int, rounds)
		var done [][2]int // (round, sync) in completion order
		early := false
		at := time.Duration(0)
		gap := func(label string, most int) time.Duration { // > 0: no ties between a crash and a sync
			return time.Duration(rapid.IntRange(1, most).Draw(t, label)) * time.Microsecond
		}
		for r := range rounds {
			issued[r] = rapid.IntRange(0, 8).Draw(t, "syncs")
			for i := range issued[r] {
				at += gap("gap", 2000)
				w.Schedule(at, "sync", func() {
					n.Disk.AppendFile("log", []byte{byte(i)})
					issuedAt := w.Now()
					n.Disk.Sync(func() {
						done = append(done, [2]int{r, i})
						// An event reused while still scheduled would complete
						// a later sync at an earlier one's time.
						early = early || w.Now()-issuedAt < sim.SyncLatencyMin
					})
				})
			}
			if r < rounds-1 {
				at += gap("crash after", 3000)
				w.Schedule(at, "crash", func() { w.Crash(n); w.Restart(n) })
			}
		}
		require.Nil(t, w.Run())
		require.False(t, early, "a sync completed sooner than the least latency")
		completed := make([]int, rounds)
		for k, d := range done {
			r, i := d[0], d[1]
			require.Equal(t, completed[r], i, "completion %d: round %d's sync %d out of order (%v)", k, r, i, done)
			if k > 0 {
				require.LessOrEqual(t, done[k-1][0], r, "a sync of an earlier instance completed after a later one's (%v)", done)
			}
			completed[r]++
		}
		require.Equal(t, issued[rounds-1], completed[rounds-1], "syncs of the last instance never completed (%v)", done)
	})
}
