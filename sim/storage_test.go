package sim_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

// fileOp is one storage call of a randomly drawn sequence.
type fileOp struct {
	kind string // write, append, rename, remove, sync
	name string
	to   string
	data []byte
	// owned: a write hands over a fresh array holding data with spare more
	// bytes of capacity (WriteFileOwned), which later appends may fill; or,
	// with split < len(data), data[:split] and data[split:] as head and tail.
	owned bool
	spare int
	split int
}

func (o fileOp) String() string {
	switch {
	case o.kind == "write" && o.owned:
		return fmt.Sprintf("write-owned(%s,%q,+%d,split %d)", o.name, o.data, o.spare, o.split)
	}
	switch o.kind {
	case "rename":
		return fmt.Sprintf("rename(%s,%s)", o.name, o.to)
	case "write", "append":
		return fmt.Sprintf("%s(%s,%q)", o.kind, o.name, o.data)
	case "sync":
		return "sync"
	}
	return fmt.Sprintf("%s(%s)", o.kind, o.name)
}

var fileOpGen = rapid.Custom(func(t *rapid.T) fileOp {
	names := []string{"a", "b", "c"}
	return fileOp{
		kind:  rapid.SampledFrom([]string{"write", "append", "rename", "remove", "sync", "sleep"}).Draw(t, "kind"),
		name:  rapid.SampledFrom(names).Draw(t, "name"),
		to:    rapid.SampledFrom(names).Draw(t, "to"),
		data:  rapid.SliceOfN(rapid.Byte(), 0, 6).Draw(t, "data"),
		owned: rapid.Bool().Draw(t, "owned"),
		spare: rapid.IntRange(0, 8).Draw(t, "spare"),
		split: rapid.IntRange(0, 8).Draw(t, "split"),
	}
})

// files is the model of a disk: name -> contents. It is the obvious
// file-system semantics, written independently of the kernel's.
type files map[string]string

func (f files) clone() files {
	c := files{}
	for k, v := range f {
		c[k] = v
	}
	return c
}

// apply performs op keeping only keep bytes of its data (keep < 0: all).
func (f files) apply(op fileOp, keep int) files {
	data := string(op.data)
	if keep >= 0 {
		data = data[:keep]
	}
	switch op.kind {
	case "write":
		f[op.name] = data
	case "append":
		f[op.name] += data
	case "rename":
		// POSIX rename: an absent source is an error (here a no-op), and
		// renaming a file to itself leaves it in place.
		if v, ok := f[op.name]; ok && op.name != op.to {
			f[op.to] = v
			delete(f, op.name)
		}
	case "remove":
		delete(f, op.name)
	}
	return f
}

func (f files) String() string {
	var names []string
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%q ", k, f[k])
	}
	return b.String()
}

// contents reads the whole disk through its public interface.
func contents(t require.TestingT, d sim.Storage) files {
	out := files{}
	for _, name := range d.List() {
		b, ok := d.ReadFile(name)
		require.True(t, ok, "List names %q but ReadFile does not find it", name)
		require.Equal(t, len(b), d.Size(name))
		out[name] = string(b)
	}
	return out
}

// doOp performs a storage call; a sync completes at once (SyncNow), for the
// tests that drive a disk outside the event loop.
func doOp(d *sim.Disk, op fileOp) {
	switch op.kind {
	case "write":
		if op.owned {
			k := min(op.split, len(op.data))
			head := append(make([]byte, 0, k+op.spare), op.data[:k]...)
			var tail []byte
			if k < len(op.data) {
				tail = append(make([]byte, 0, len(op.data)-k+op.spare), op.data[k:]...)
			}
			d.WriteFileOwned(op.name, head, tail)
			return
		}
		d.WriteFile(op.name, op.data)
	case "append":
		d.AppendFile(op.name, op.data)
	case "rename":
		d.Rename(op.name, op.to)
	case "remove":
		d.Remove(op.name)
	case "sync":
		d.SyncNow()
	}
}

// diskRun runs ops on a fresh node's disk inside the event loop: a sync is
// the asynchronous Sync, a sleep lets virtual time pass (so some syncs
// complete and some do not). Then it crashes and restarts the node, and
// returns the disk before the crash, after it, and the file operations split
// where the last completed sync made them durable.
func diskRun(t *rapid.T, faults sim.DiskFaults) (before, after files, synced, unsynced []fileOp) {
	ops := rapid.SliceOfN(fileOpGen, 0, 30).Draw(t, "ops")
	w := sim.NewWorld(sim.Options{Seed: rapid.Uint64().Draw(t, "seed")})
	n := w.AddNode("n", func(*sim.Node) {})
	n.Disk.SetFaults(faults)
	sim.SmallFileParts(n.Disk)
	require.Equal(t, faults, n.Disk.Faults())
	w.Start(n)
	var done []fileOp // file operations, in order
	durable := 0      // done[:durable] are durable
	outOfOrder := false
	// No require inside a process (it runs on a coroutine): record, then
	// assert outside.
	w.Spawn(nil, "script", func(p *sim.Proc) {
		for _, op := range ops {
			switch op.kind {
			case "sync":
				k := len(done)
				n.Disk.Sync(func() {
					outOfOrder = outOfOrder || k < durable
					durable = k
				})
			case "sleep":
				p.Sleep(time.Duration(len(op.data)) * 200 * time.Microsecond)
			default:
				doOp(n.Disk, op)
				done = append(done, op)
			}
		}
		before = contents(t, n.Disk)
		w.Crash(n)
		w.Restart(n)
		after = contents(t, n.Disk)
	})
	require.Nil(t, w.Run())
	require.False(t, outOfOrder, "syncs completed out of issue order")
	return before, after, done[:durable], done[durable:]
}

func model(ops []fileOp) files {
	f := files{}
	for _, op := range ops {
		f.apply(op, -1)
	}
	return f
}

func TestUnsyncedWritesAreLostSyncedOnesKept(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		before, after, synced, unsynced := diskRun(t, sim.DiskFaults{})
		require.Equal(t, model(append(append([]fileOp(nil), synced...), unsynced...)).String(), before.String(),
			"reads do not see every write")
		require.Equal(t, model(synced).String(), after.String(),
			"after a crash the disk must hold exactly the writes up to the last completed Sync")
	})
}

// prefixStates lists the states a crash may leave without Reorder: the synced
// state plus a prefix of the unsynced operations (only the empty one without
// keepSome), then, for the next operation if it writes data, a torn version
// of it (with tear), or only the create of its file (a write to an absent
// file is a create and a write, which a crash may separate).
func prefixStates(synced, unsynced []fileOp, keepSome, tear bool) []string {
	state := model(synced)
	unsynced = realOps(state.clone(), unsynced)
	var out []string
	for k := 0; ; k++ {
		out = append(out, state.String())
		if k == len(unsynced) {
			return out
		}
		if op := unsynced[k]; op.kind == "write" || op.kind == "append" {
			_, exists := state[op.name]
			for j := 0; j < len(op.data) && tear; j++ {
				out = append(out, state.clone().apply(op, j).String())
			}
			if !exists && keepSome {
				out = append(out, state.clone().apply(fileOp{kind: "write", name: op.name}, -1).String())
			}
		}
		if !keepSome {
			return out
		}
		state.apply(unsynced[k], -1)
	}
}

// realOps drops the operations that change nothing where they are issued (a
// rename of an absent file or of a file to itself, a remove of an absent
// file): the disk records no operation for them.
func realOps(state files, ops []fileOp) []fileOp {
	var out []fileOp
	for _, op := range ops {
		_, exists := state[op.name]
		if (op.kind == "rename" && (!exists || op.name == op.to)) || (op.kind == "remove" && !exists) {
			continue
		}
		out = append(out, op)
		state.apply(op, -1)
	}
	return out
}

func TestKeepSomeUnsyncedKeepsAPrefix(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		_, after, synced, unsynced := diskRun(t, sim.DiskFaults{KeepSomeUnsynced: true})
		states := prefixStates(synced, unsynced, true, false)
		require.Contains(t, states, after.String(),
			"after crash %v is not the synced state plus a prefix of the unsynced ops %v", after, unsynced)
	})
}

func TestTearLastKeepsAPrefixOfTheNextWrite(t *testing.T) {
	for _, keepSome := range []bool{false, true} {
		t.Run(fmt.Sprintf("KeepSomeUnsynced=%v", keepSome), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				_, after, synced, unsynced := diskRun(t, sim.DiskFaults{KeepSomeUnsynced: keepSome, TearLast: true})
				states := prefixStates(synced, unsynced, keepSome, true)
				require.Contains(t, states, after.String(),
					"after crash %v is not synced state + unsynced prefix (+ torn next write) of %v", after, unsynced)
			})
		})
	}
}

func TestTornWritesHappen(t *testing.T) {
	torn, kept, lost := 0, 0, 0
	for seed := uint64(0); seed < 200; seed++ {
		w := sim.NewWorld(sim.Options{Seed: seed})
		n := w.AddNode("n", func(*sim.Node) {})
		n.Disk.SetFaults(sim.DiskFaults{KeepSomeUnsynced: true, TearLast: true})
		w.Start(n)
		n.Disk.WriteFile("f", []byte("0123456789"))
		w.Crash(n)
		w.Restart(n)
		b, ok := n.Disk.ReadFile("f")
		switch {
		case !ok:
			lost++ // impossible with TearLast and a 10-byte write, unless torn to... absent
		case string(b) == "0123456789":
			kept++
		default:
			require.True(t, strings.HasPrefix("0123456789", string(b)), "torn write %q is not a prefix", b)
			torn++
		}
	}
	require.Positive(t, torn)
	require.Positive(t, kept)
	require.Zero(t, lost)
}

func TestReadFileReturnsACopy(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	n.Disk.WriteFile("f", []byte("hello"))
	n.Disk.SyncNow()
	b, ok := n.Disk.ReadFile("f")
	require.True(t, ok)
	b[0] = 'J'
	b2, _ := n.Disk.ReadFile("f")
	require.Equal(t, "hello", string(b2), "mutating ReadFile's result changed the disk")

	_, ok = n.Disk.ReadFile("absent")
	require.False(t, ok)
	require.Zero(t, n.Disk.Size("absent"))
}

// TestReadFileSharedKeepsWhatItShowed: the disk's own bytes that ReadFileShared returns
// show what ReadFile shows at the time, and go on showing it through every later write,
// append (which fills spare room right after them), rename, remove, sync and crash, with
// every fault that may tear a write or corrupt durable data, and through the caller's
// appends to them.
func TestReadFileSharedKeepsWhatItShowed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, n, _ := newDiskWorld(rapid.Uint64().Draw(t, "seed"), sim.DiskFaults{KeepSomeUnsynced: true, TearLast: true, Reorder: true, Corrupt: true})
		sim.SmallFileParts(n.Disk)
		type read struct{ shared, want []byte }
		var reads []read
		steps := rapid.IntRange(0, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			if rapid.IntRange(0, 9).Draw(t, "crash?") == 0 {
				w.Crash(n)
				w.Restart(n)
			} else {
				op := fileOpGen.Draw(t, "op")
				if op.kind == "remove" || op.kind == "sleep" {
					op.kind = "append" // mostly appends: they write right after what was read
				}
				doOp(n.Disk, op)
			}
			for _, name := range n.Disk.List() {
				b, _ := n.Disk.ReadFileShared(name)
				want, _ := n.Disk.ReadFile(name)
				require.Equal(t, string(want), string(b), "step %d: ReadFileShared(%s)", i, name)
				_ = append(b, "caller's"...)
				reads = append(reads, read{b, want})
			}
			for k, r := range reads {
				require.Equal(t, string(r.want), string(r.shared), "step %d: read %d changed", i, k)
			}
		}
	})
}

func TestWriteFileCopiesItsInput(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	buf := []byte("state-1")
	n.Disk.WriteFile("w", buf)
	n.Disk.AppendFile("a", buf)
	buf[6] = '2' // the caller reuses its buffer, unsynced
	got, _ := n.Disk.ReadFile("w")
	require.Equal(t, "state-1", string(got))
	got, _ = n.Disk.ReadFile("a")
	require.Equal(t, "state-1", string(got))
	n.Disk.SyncNow()
	buf[6] = '3' // and again after the sync
	w.Crash(n)
	w.Restart(n)
	got, _ = n.Disk.ReadFile("w")
	require.Equal(t, "state-1", string(got), "a later mutation of the caller's buffer was persisted")
	got, _ = n.Disk.ReadFile("a")
	require.Equal(t, "state-1", string(got))
}

// TestWriteFileOwnedKeepsTheArray: WriteFileOwned keeps the caller's array
// rather than a copy, and appends to the file fill its spare capacity; what a
// sync made durable is still exactly the write, before and after a crash.
func TestWriteFileOwnedKeepsTheArray(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	buf := append(make([]byte, 0, 16), "abc"...)
	n.Disk.WriteFileOwned("f", buf, nil)
	n.Disk.SyncNow()
	n.Disk.AppendFile("f", []byte("de"))
	require.Equal(t, "abcde", string(buf[:5]), "the append did not go into the handed-over array")
	got, _ := n.Disk.ReadFile("f")
	require.Equal(t, "abcde", string(got))
	w.Crash(n)
	w.Restart(n)
	got, _ = n.Disk.ReadFile("f")
	require.Equal(t, "abc", string(got), "the crash must keep exactly the synced write")
	n.Disk.AppendFile("f", []byte("XY")) // after the restart, into a new array
	require.Equal(t, "abcde", string(buf[:5]))
	got, _ = n.Disk.ReadFile("f")
	require.Equal(t, "abcXY", string(got))
}

// TestWriteFileOwnedInTwoParts: a file written as a head and a tail reads as
// their concatenation, keeps neither caller's array from being read later
// (a crash keeps exactly the synced write), and an append to it neither
// writes into the head's nor the tail's spare capacity: those arrays are the
// caller's to keep reading (a framed record's payload is a snapshot the node
// also sends).
func TestWriteFileOwnedInTwoParts(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	head := append(make([]byte, 0, 16), "hdr:"...)
	tail := append(make([]byte, 0, 16), "payload"...)
	n.Disk.WriteFileOwned("f", head, tail)
	require.Equal(t, 11, n.Disk.Size("f"))
	n.Disk.SyncNow()
	n.Disk.AppendFile("f", []byte("+more"))
	got, _ := n.Disk.ReadFile("f")
	require.Equal(t, "hdr:payload+more", string(got))
	require.Equal(t, "hdr:\x00\x00\x00\x00\x00", string(head[:9]), "an append wrote into the head's spare capacity")
	require.Equal(t, "payload\x00\x00\x00\x00\x00", string(tail[:12]), "an append wrote into the tail's spare capacity")
	w.Crash(n)
	w.Restart(n)
	got, _ = n.Disk.ReadFile("f")
	require.Equal(t, "hdr:payload", string(got), "the crash must keep exactly the synced write")
}

func TestDiskListSizeSyncs(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	d := n.Disk
	d.WriteFile("log/2", []byte("bb"))
	d.WriteFile("log/1", []byte("a"))
	d.WriteFile("state", []byte("sss"))
	require.Equal(t, []string{"log/1", "log/2", "state"}, d.List())
	require.Equal(t, 3, d.TotalSize("log/"))
	require.Equal(t, 6, d.TotalSize(""))
	require.Equal(t, 6, d.Unsynced(), "three creates and three writes")
	d.SyncNow()
	require.Equal(t, 0, d.Unsynced())
	d.Rename("absent", "state") // an absent source is a no-op
	got, _ := d.ReadFile("state")
	require.Equal(t, "sss", string(got))
}

func TestRenameToItselfKeepsTheFile(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	n.Disk.WriteFile("f", []byte("x"))
	n.Disk.Rename("f", "f")
	got, ok := n.Disk.ReadFile("f")
	require.True(t, ok, "Rename(f, f) deleted f")
	require.Equal(t, "x", string(got))
	n.Disk.SyncNow()
	w.Crash(n)
	w.Restart(n)
	_, ok = n.Disk.ReadFile("f")
	require.True(t, ok, "Rename(f, f) deleted f from the durable state")
}

// Item 4 on storage: code of a crashed node, or of an instance that restarted
// itself since, that writes to the node's disk fails the run with the check
// "down-node", and the write is not made.
func TestWritesOfADownNodeFailTheRun(t *testing.T) {
	for name, op := range map[string]func(d *sim.Disk){
		"write":   func(d *sim.Disk) { d.WriteFile("f", []byte("x")) },
		"append":  func(d *sim.Disk) { d.AppendFile("f", []byte("x")) },
		"rename":  func(d *sim.Disk) { d.Rename("g", "f") },
		"remove":  func(d *sim.Disk) { d.Remove("g") },
		"sync":    func(d *sim.Disk) { d.Sync(nil) },
		"syncnow": func(d *sim.Disk) { d.SyncNow() },
	} {
		w := sim.NewWorld(sim.Options{Seed: 1})
		n := w.AddNode("n", func(*sim.Node) {})
		op(n.Disk)
		require.NotNil(t, w.Failed(), "%s on a node that never started", name)
		require.Equal(t, "down-node", w.Failed().Check)

		w = sim.NewWorld(sim.Options{Seed: 1})
		n = w.AddNode("n", func(*sim.Node) {})
		w.Start(n)
		n.Disk.WriteFile("g", []byte("old"))
		n.Disk.SyncNow()
		w.Crash(n)
		op(n.Disk)
		require.NotNil(t, w.Failed(), "%s on a crashed node", name)
		require.Equal(t, "down-node", w.Failed().Check)
		require.Contains(t, w.Failed().Error(), strings.TrimSuffix(name, "now")+" on its disk")
		require.Equal(t, []string{"g"}, n.Disk.List(), "%s of a crashed node was made", name)

		w = sim.NewWorld(sim.Options{Seed: 1})
		n = w.AddNode("n", func(*sim.Node) {})
		w.Start(n)
		n.Disk.WriteFile("g", []byte("old"))
		n.Disk.SyncNow()
		n.After(time.Millisecond, "restart myself", func() {
			w.Restart(n)
			op(n.Disk) // leftover code of the old instance
		})
		f := w.Run()
		require.NotNil(t, f, "%s by the old instance after a restart", name)
		require.Equal(t, "down-node", f.Check)
		require.Equal(t, []string{"g"}, n.Disk.List(), "%s of an old instance was made", name)
	}
}

// TestCrashedDiskShowsOnlyWhatSurvived: between a crash and the restart,
// whoever inspects the node's disk (a durability checker, a test) must see
// what survived the crash, not the lost unsynced writes.
func TestCrashedDiskShowsOnlyWhatSurvived(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	n.Disk.WriteFile("synced", []byte("s"))
	n.Disk.SyncNow()
	n.Disk.WriteFile("unsynced", []byte("u"))
	w.Crash(n)
	require.Equal(t, []string{"synced"}, n.Disk.List(), "a crashed node's disk shows writes the crash lost")
	_, ok := n.Disk.ReadFile("unsynced")
	require.False(t, ok)
}

// TestAppendsAcrossCrashesDoNotAlias: appends extend stored slices in place
// (apply), and boot shares slices between the durable state and the read
// view; across any number of crashes, neither may see the other's later
// appends. The model is the obvious one: reads see every write, a crash
// keeps exactly what was synced.
func TestAppendsAcrossCrashesDoNotAlias(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := sim.NewWorld(sim.Options{Seed: rapid.Uint64().Draw(t, "seed")})
		n := w.AddNode("n", func(*sim.Node) {})
		sim.SmallFileParts(n.Disk)
		w.Start(n)
		durable, view := files{}, files{}
		steps := rapid.IntRange(0, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			if rapid.IntRange(0, 9).Draw(t, "crash?") == 0 {
				w.Crash(n)
				w.Restart(n)
				view = durable.clone()
			} else {
				op := fileOpGen.Draw(t, "op")
				switch op.kind {
				case "remove", "sleep":
					op.kind = "append" // mostly appends: they are what could alias
				case "write":
					// A handed-over array with room: the appends after it
					// fill it in place.
					op.owned, op.spare = true, 8 // and a tail, as split draws
				}
				doOp(n.Disk, op)
				if op.kind == "sync" {
					durable = view.clone()
				} else {
					view.apply(op, -1)
				}
			}
			require.Equal(t, view.String(), contents(t, n.Disk).String(), "step %d", i)
		}
	})
}

// TestWritesAndAppendsDoNotAlias: a write's data is one copy shared by the
// pending operation, the read view and, once synced, the durable state, and a
// pending append refers to the bytes it appended to the read view (apply).
// Across writes, appends, renames, removes, syncs and crashes, and with the
// caller reusing its buffer and scribbling over what ReadFile returned, reads
// must see exactly every operation so far and a crash must keep exactly what
// was synced.
func TestWritesAndAppendsDoNotAlias(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := sim.NewWorld(sim.Options{Seed: rapid.Uint64().Draw(t, "seed")})
		n := w.AddNode("n", func(*sim.Node) {})
		sim.SmallFileParts(n.Disk)
		w.Start(n)
		durable, view := files{}, files{}
		buf := make([]byte, 0, 8) // the caller's buffer, reused for every operation
		steps := rapid.IntRange(0, 80).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			if rapid.IntRange(0, 9).Draw(t, "crash?") == 0 {
				w.Crash(n)
				w.Restart(n)
				view = durable.clone()
			} else {
				op := fileOpGen.Draw(t, "op")
				if op.kind == "sleep" {
					op.kind = "write"
				}
				buf = append(buf[:0], op.data...)
				doOp(n.Disk, fileOp{kind: op.kind, name: op.name, to: op.to, data: buf, owned: op.owned, spare: op.spare, split: op.split})
				for j := range buf {
					buf[j] ^= 0xff
				}
				if op.kind == "sync" {
					durable = view.clone()
				} else {
					view.apply(op, -1)
				}
			}
			require.Equal(t, view.String(), contents(t, n.Disk).String(), "step %d", i)
			for _, name := range n.Disk.List() {
				if b, _ := n.Disk.ReadFile(name); len(b) > 0 {
					b[0] ^= 0xff
				}
			}
		}
	})
}

// TestLargeFileAppendsDoNotCopy: once a file is larger than growDoubleFrom, an append that
// does not fit starts a new part rather than moving the file, so a long append-only log
// never copies what it holds, and starts a logarithmic number of parts.
func TestLargeFileAppendsDoNotCopy(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	rec := make([]byte, 100)
	var before [][]byte
	for i := 0; i < 2000; i++ { // 200 KB
		n.Disk.AppendFile("log", rec)
		parts := sim.DiskFileParts(n.Disk, "log")
		if n.Disk.Size("log") > 8<<10 {
			require.GreaterOrEqual(t, len(parts), len(before), "append %d", i)
			for j, p := range before {
				require.Same(t, &p[0], &parts[j][0], "append %d moved part %d", i, j)
			}
		}
		before = parts
	}
	require.Equal(t, 200_000, n.Disk.Size("log"))
	got, _ := n.Disk.ReadFile("log")
	require.Equal(t, make([]byte, 200_000), got)
	// Parts of an eighth of the file from 4 KB to 200 KB: ln(50)/ln(9/8), about 33.
	require.LessOrEqual(t, len(before), 40, "parts of a 200 KB append-only file")
}

// TestFirstAppendAfterRestartIsInPlace: a restart hands the spare capacity of the durable
// file's array to what reads see, so the first append after it does not move the file
// (for a long log, a copy of it per restart), and the crash still keeps exactly what was
// synced.
func TestFirstAppendAfterRestartIsInPlace(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	for i := 0; i < 100; i++ {
		n.Disk.AppendFile("log", []byte("0123456789"))
	}
	n.Disk.SyncNow()
	n.Disk.AppendFile("log", []byte("unsynced"))
	w.Crash(n)
	w.Restart(n)
	before := sim.DiskFileCap(n.Disk, "log")
	require.Greater(t, before, 1000, "the durable file's room was not handed over")
	n.Disk.AppendFile("log", []byte("after"))
	require.Equal(t, before, sim.DiskFileCap(n.Disk, "log"), "the first append after the restart moved the file")
	got, _ := n.Disk.ReadFile("log")
	require.Equal(t, strings.Repeat("0123456789", 100)+"after", string(got))
	w.Crash(n)
	w.Restart(n)
	got, _ = n.Disk.ReadFile("log")
	require.Equal(t, strings.Repeat("0123456789", 100), string(got), "a crash keeps exactly what was synced")
}

// TestCrashWithoutWritesStillShowsCorruption: a crash with nothing written since the last
// boot may still corrupt durable data, and reads must see it (boot keeps the view only
// while nothing changed the disk).
func TestCrashWithoutWritesStillShowsCorruption(t *testing.T) {
	seen := false
	for seed := uint64(1); seed <= 40 && !seen; seed++ {
		w := sim.NewWorld(sim.Options{Seed: seed})
		n := w.AddNode("n", func(*sim.Node) {})
		w.Start(n)
		n.Disk.SetFaults(sim.DiskFaults{Corrupt: true})
		n.Disk.WriteFile("f", []byte(strings.Repeat("x", 600)))
		n.Disk.SyncNow()
		w.Crash(n)
		w.Restart(n)
		corrupted := w.StorageStats().Corrupted
		w.Crash(n) // nothing written since the restart
		if w.StorageStats().Corrupted == corrupted {
			continue
		}
		seen = true
		got, _ := n.Disk.ReadFile("f")
		require.NotEqual(t, strings.Repeat("x", 600), string(got), "seed %d: reads after the crash miss its corruption", seed)
		w.Restart(n)
		again, _ := n.Disk.ReadFile("f")
		require.Equal(t, got, again, "seed %d", seed)
	}
	require.True(t, seen, "no crash corrupted the file")
}
