package sim_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

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
}

func (o fileOp) String() string {
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
		kind: rapid.SampledFrom([]string{"write", "append", "rename", "remove", "sync"}).Draw(t, "kind"),
		name: rapid.SampledFrom(names).Draw(t, "name"),
		to:   rapid.SampledFrom(names).Draw(t, "to"),
		data: rapid.SliceOfN(rapid.Byte(), 0, 6).Draw(t, "data"),
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
func (f files) apply(op fileOp, keep int) {
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

func doOp(d *sim.Disk, op fileOp) {
	switch op.kind {
	case "write":
		d.WriteFile(op.name, op.data)
	case "append":
		d.AppendFile(op.name, op.data)
	case "rename":
		d.Rename(op.name, op.to)
	case "remove":
		d.Remove(op.name)
	case "sync":
		d.Sync(nil)
	}
}

// diskRun applies ops to a fresh node's disk with faults, crashes and
// restarts the node, and returns the disk before the crash, after it, and
// the ops split at the last Sync.
func diskRun(t *rapid.T, faults sim.DiskFaults) (before, after files, synced, unsynced []fileOp) {
	ops := rapid.SliceOfN(fileOpGen, 0, 30).Draw(t, "ops")
	w := sim.NewWorld(sim.Options{Seed: rapid.Uint64().Draw(t, "seed")})
	n := w.AddNode("n", func(*sim.Node) {})
	n.Disk.SetFaults(faults)
	require.Equal(t, faults, n.Disk.Faults())
	w.Start(n)
	last := -1
	for i, op := range ops {
		doOp(n.Disk, op)
		if op.kind == "sync" {
			last = i
		}
	}
	synced, unsynced = ops[:last+1], ops[last+1:]
	require.Equal(t, len(unsynced), n.Disk.Unsynced())
	before = contents(t, n.Disk)
	w.Crash(n)
	w.Restart(n)
	after = contents(t, n.Disk)
	return before, after, synced, unsynced
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
			"after a crash the disk must hold exactly the writes up to the last Sync")
	})
}

func TestKeepSomeUnsyncedKeepsAPrefix(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		_, after, synced, unsynced := diskRun(t, sim.DiskFaults{KeepSomeUnsynced: true})
		state := model(synced)
		var candidates []string
		for k := 0; ; k++ {
			candidates = append(candidates, state.String())
			if state.String() == after.String() {
				return
			}
			if k == len(unsynced) {
				break
			}
			state.apply(unsynced[k], -1)
		}
		t.Fatalf("after crash %v is not the synced state plus a prefix of the unsynced ops %v; candidates:\n%s",
			after, unsynced, strings.Join(candidates, "\n"))
	})
}

func TestTearLastKeepsAPrefixOfTheNextWrite(t *testing.T) {
	for _, keepSome := range []bool{false, true} {
		t.Run(fmt.Sprintf("KeepSomeUnsynced=%v", keepSome), func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				_, after, synced, unsynced := diskRun(t, sim.DiskFaults{KeepSomeUnsynced: keepSome, TearLast: true})
				state := model(synced)
				for k := 0; k <= len(unsynced); k++ {
					if k > 0 && !keepSome {
						break // without KeepSomeUnsynced no whole unsynced op survives
					}
					if state.String() == after.String() {
						return
					}
					if k == len(unsynced) {
						break
					}
					if op := unsynced[k]; op.kind == "write" || op.kind == "append" {
						for j := 0; j < len(op.data); j++ {
							torn := state.clone()
							torn.apply(op, j)
							if torn.String() == after.String() {
								return
							}
						}
					}
					state.apply(unsynced[k], -1)
				}
				t.Fatalf("after crash %v is not synced state + unsynced prefix (+ torn next write) of %v", after, unsynced)
			})
		})
	}
}

// TestTornWritesHappen makes sure the tearing property above is not vacuous:
// over many seeds a crash does keep a strict prefix of a write.
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
	n.Disk.Sync(nil)
	b, ok := n.Disk.ReadFile("f")
	require.True(t, ok)
	b[0] = 'J'
	b2, _ := n.Disk.ReadFile("f")
	require.Equal(t, "hello", string(b2), "mutating ReadFile's result changed the disk")

	_, ok = n.Disk.ReadFile("absent")
	require.False(t, ok)
	require.Zero(t, n.Disk.Size("absent"))
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
	n.Disk.Sync(nil)
	buf[6] = '3' // and again after the sync
	w.Crash(n)
	w.Restart(n)
	got, _ = n.Disk.ReadFile("w")
	require.Equal(t, "state-1", string(got), "a later mutation of the caller's buffer was persisted")
	got, _ = n.Disk.ReadFile("a")
	require.Equal(t, "state-1", string(got))
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
	require.Equal(t, 3, d.Unsynced())
	d.Sync(nil)
	require.Equal(t, 0, d.Unsynced())
	require.Equal(t, 1, d.Syncs())
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
	n.Disk.Sync(nil)
	w.Crash(n)
	w.Restart(n)
	_, ok = n.Disk.ReadFile("f")
	require.True(t, ok, "Rename(f, f) deleted f from the durable state")
}

func TestWritesToACrashedNodesDiskPanic(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	require.Panics(t, func() { n.Disk.WriteFile("f", nil) }, "a node that never started")
	w.Start(n)
	w.Crash(n)
	for name, op := range map[string]func(){
		"write":  func() { n.Disk.WriteFile("f", []byte("x")) },
		"append": func() { n.Disk.AppendFile("f", []byte("x")) },
		"rename": func() { n.Disk.Rename("f", "g") },
		"remove": func() { n.Disk.Remove("f") },
		"sync":   func() { n.Disk.Sync(nil) },
	} {
		require.Panics(t, op, name)
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
	n.Disk.Sync(nil)
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
				if op.kind == "write" || op.kind == "remove" {
					op.kind = "append" // mostly appends: they are what could alias
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
