package mapreduce

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// FS is the file system the nodes of one world share, as the lab's workers
// and coordinator share one directory. It has the semantics the lab relies
// on and nothing more:
//
//   - a file is a byte string; a handle writes at its own offset, as an
//     *os.File does, and a file created in place (Create) is visible under
//     its name, empty and then growing, while it is written;
//   - a temporary file (CreateTemp) has a name no reader asks for, and
//     Rename publishes it under its final name atomically, replacing what
//     was there: a reader sees the old file or the new one, never a mix;
//   - a writer that crashes mid-write simply stops writing: with CreateTemp
//     it leaves at most an unpublished temporary file, in place it leaves a
//     partial file under the final name.
//
// Access is instantaneous; the worker charges the virtual time a read or
// write costs (Config.WritePerByte, Config.ComputePerByte). Every read is
// recorded so that checks can assert that no partial or temporary file was
// ever read. Contents are copied in and out: nodes share no memory through
// the file system.
type FS struct {
	w      *sim.World
	files  map[string]*file
	temps  uint64
	reads  []Read
	writes int
}

// file is an inode: renaming moves it to another name, and a handle keeps
// writing to it whatever its name has become.
type file struct {
	data []byte
	// text is the contents of a file installed whole by WriteText, kept as
	// the immutable string it was given: readers share it rather than copy
	// it out (a job's map tasks read the 3.3 MB corpus that the seed's runs
	// share). A file holds text or data, never both.
	text string
	// temp: created by CreateTemp and not yet renamed.
	temp bool
	// dirty lists the handles that have written since the file was last
	// truncated and have not closed. A reader that sees a non-empty list sees
	// a file somebody is still writing (or died writing): a partial file.
	dirty []*Writer
}

func (f *file) size() int { return len(f.data) + len(f.text) }

func (f *file) partial() bool { return f.temp || len(f.dirty) > 0 }

func (f *file) markDirty(h *Writer) {
	for _, d := range f.dirty {
		if d == h {
			return
		}
	}
	f.dirty = append(f.dirty, h)
}

func (f *file) clean(h *Writer) {
	for i, d := range f.dirty {
		if d == h {
			f.dirty = append(f.dirty[:i], f.dirty[i+1:]...)
			return
		}
	}
}

// Reader says who reads a file, for the read log: a worker process, and the
// task attempt it reads for (0 for reads outside a task: the checker's).
type Reader struct {
	Who     string
	Attempt uint64
}

// Read is one recorded read.
type Read struct {
	At      time.Duration
	By      Reader
	Name    string
	Found   bool
	Size    int
	Partial bool // the file was being written, or its writer died mid-write
	Temp    bool // the file was an unpublished temporary file
}

func (r Read) String() string {
	state := "complete"
	switch {
	case !r.Found:
		state = "missing"
	case r.Temp:
		state = "temporary"
	case r.Partial:
		state = "partial"
	}
	return fmt.Sprintf("%v: %s (attempt %d) read %s (%d bytes, %s)", r.At, r.By.Who, r.By.Attempt, r.Name, r.Size, state)
}

// NewFS returns an empty file system on w's clock.
func NewFS(w *sim.World) *FS {
	return &FS{w: w, files: map[string]*file{}}
}

// Writer is an open file handle.
type Writer struct {
	fs     *FS
	f      *file
	name   string // the name it was opened under
	owner  string
	off    int
	closed bool
}

// Name is the name the handle was opened under (a temporary name for
// CreateTemp).
func (h *Writer) Name() string { return h.name }

// Write writes p at the handle's offset, extending the file (with zeros, as
// a sparse file reads, if another writer truncated it below the offset).
func (h *Writer) Write(p []byte) {
	if h.closed {
		panic(fmt.Sprintf("mapreduce: write to closed file %s", h.name))
	}
	f := h.f
	if f.text != "" { // no handle is open on an installed file; were one, it writes a copy
		f.data, f.text = []byte(f.text), ""
	}
	end := h.off + len(p)
	switch {
	case h.off == 0 && len(f.data) == 0 && end > cap(f.data):
		// A new or truncated file's first write (the workers' usual case:
		// one write of a whole intermediate file): append allocates without
		// first zeroing the bytes it copies (and zeroes the spare capacity).
		f.data = append(f.data[:0], p...)
	case end <= len(f.data):
		copy(f.data[h.off:end], p)
	case end <= cap(f.data):
		// The bytes past len were zeroed by make and never written: a file
		// only grows until it is truncated, and truncation drops the buffer.
		f.data = f.data[:end]
		copy(f.data[h.off:end], p)
	default:
		grown := make([]byte, end, max(end, 2*cap(f.data)))
		copy(grown, f.data)
		copy(grown[h.off:end], p)
		f.data = grown
	}
	// The written bytes, where they went, in the trace hash: runs that write
	// different contents differ in hash at the first such write.
	h.fs.w.Digest(digestString(digest(digestBytes(digestSeed, p), uint64(h.off)), h.name))
	h.off = end
	f.markDirty(h)
	h.fs.writes++
}

// Close finishes the handle's writes: the file is complete once every
// handle that wrote since its last truncation has closed.
func (h *Writer) Close() {
	if h.closed {
		return
	}
	h.closed = true
	h.f.clean(h)
}

// Create opens name for writing in place, truncating it if it exists (the
// inode is kept, as O_TRUNC does, so other open handles still write to it).
// The file is visible, and partial, until the handle closes.
func (fs *FS) Create(owner, name string) *Writer {
	f, ok := fs.files[name]
	if !ok {
		f = &file{}
		fs.files[name] = f
	}
	f.data, f.text = nil, ""
	h := &Writer{fs: fs, f: f, name: name, owner: owner}
	// Truncation discards what earlier handles wrote: only the new writer's
	// bytes can be incomplete now (an earlier handle that writes again marks
	// the file dirty again).
	f.dirty = append(f.dirty[:0], h)
	return h
}

// CreateTemp opens a new temporary file for a file that will be published
// as final. Its name ("<final>.tmp<n>") matches no name a reader asks for.
func (fs *FS) CreateTemp(owner, final string) *Writer {
	fs.temps++
	name := fmt.Sprintf("%s.tmp%d", final, fs.temps)
	f := &file{temp: true}
	fs.files[name] = f
	h := &Writer{fs: fs, f: f, name: name, owner: owner}
	f.dirty = append(f.dirty, h)
	return h
}

// Rename atomically moves from to to, replacing to. It reports false if from
// does not exist.
func (fs *FS) Rename(from, to string) bool {
	f, ok := fs.files[from]
	if !ok {
		return false
	}
	if from == to {
		return true
	}
	delete(fs.files, from)
	f.temp = false
	fs.files[to] = f
	fs.w.Digest(digestString(digestString(digestSeed, from), to))
	return true
}

// WriteFile creates name with data at once, complete: for setting up inputs.
func (fs *FS) WriteFile(name string, data []byte) {
	fs.files[name] = &file{data: append([]byte(nil), data...)}
}

// WriteText is WriteFile for contents held as a string, which the file keeps
// without a copy: a string is immutable, so the file and whoever else holds
// it (other runs' file systems, readers) share memory no one can change.
func (fs *FS) WriteText(name string, text string) {
	fs.files[name] = &file{text: text}
}

// ReadFile returns a copy of name's contents and records the read.
func (fs *FS) ReadFile(by Reader, name string) ([]byte, bool) {
	f := fs.read(by, name)
	if f == nil {
		return nil, false
	}
	if f.text != "" {
		return []byte(f.text), true
	}
	return append([]byte(nil), f.data...), true
}

// ReadString is ReadFile for a reader that wants a string: one copy, not a copy
// and a conversion (the workers read 8 MB a wc job).
func (fs *FS) ReadString(by Reader, name string) (string, bool) {
	f := fs.read(by, name)
	if f == nil {
		return "", false
	}
	if f.text != "" {
		return f.text, true
	}
	return string(f.data), true
}

// read records a read of name and returns its file, or nil if it does not exist.
func (fs *FS) read(by Reader, name string) *file {
	f, ok := fs.files[name]
	r := Read{At: fs.w.Now(), By: by, Name: name, Found: ok}
	if ok {
		r.Size, r.Partial, r.Temp = f.size(), f.partial(), f.temp
	}
	fs.reads = append(fs.reads, r)
	return f
}

// Exists reports whether name exists (not recorded: it reads no contents).
func (fs *FS) Exists(name string) bool {
	_, ok := fs.files[name]
	return ok
}

// Partial reports whether name exists and is incomplete (not recorded).
func (fs *FS) Partial(name string) bool {
	f, ok := fs.files[name]
	return ok && f.partial()
}

// describe says who left name partial, for error messages.
func (fs *FS) describe(name string) string {
	f, ok := fs.files[name]
	if !ok {
		return "missing"
	}
	var owners []string
	for _, h := range f.dirty {
		owners = append(owners, h.owner)
	}
	return fmt.Sprintf("%d bytes, unfinished writers %v", f.size(), owners)
}

// Remove deletes name; open handles keep writing to the orphaned inode.
func (fs *FS) Remove(name string) { delete(fs.files, name) }

// List returns the names that start with prefix, sorted.
func (fs *FS) List(prefix string) []string {
	var names []string
	for name := range fs.files {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Reads returns the read log, oldest first.
func (fs *FS) Reads() []Read { return append([]Read(nil), fs.reads...) }

// Temps returns the names of temporary files never published (left by
// writers that died), sorted.
func (fs *FS) Temps() []string {
	var names []string
	for name, f := range fs.files {
		if f.temp {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
