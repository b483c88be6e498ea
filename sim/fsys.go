package sim

import "slices"

// fsys is a file system state: a directory of names referring to files
// (inodes, never 0), and the files' contents. Renames move names, not data,
// which is what lets a crash keep a rename and lose the write it renames.
//
// Both are short slices searched from the front rather than maps: a node
// keeps a handful of files (a Raft peer five, two of them temporary), and
// every storage operation looks a name or a file up, which a scan of a few
// entries does several times cheaper than hashing into a map (the maps were
// 3.5% of the instructions of kv/SnapshotRecoverManyClients3B). A node with
// hundreds of files would pay a scan of them per operation. The zero fsys is
// an empty file system, so a node that never writes costs nothing here.
//
// Invariants: no two entries of names have the same name or the same ino
// (no file has two names); no two entries of files have the same ino. An
// entry of files whose ino no name refers to is garbage (a write a crash kept
// whose create it lost) until collect drops it; nothing can reach it.
type fsys struct {
	names []dirent
	files []inode
	// lastAppended is where appendSlot found the file it was asked for last (it may be
	// past the end of files now, or another file's place: appended checks).
	lastAppended int
}

// fsysCap is the room a file system's first file makes for more: a node
// that writes at all keeps a few files (a Raft peer five), which would
// otherwise grow each slice three times.
const fsysCap = 8

type dirent struct {
	name string
	ino  uint64
}

type inode struct {
	ino uint64
	c   contents
}

// lookup returns the file name refers to.
func (fs *fsys) lookup(name string) (uint64, bool) {
	for i := range fs.names {
		if fs.names[i].name == name {
			return fs.names[i].ino, true
		}
	}
	return 0, false
}

// get returns file ino's contents (empty if it has none).
func (fs *fsys) get(ino uint64) contents {
	if i := fs.find(ino); i >= 0 {
		return fs.files[i].c
	}
	return contents{}
}

// find returns the index of file ino in files, or -1.
func (fs *fsys) find(ino uint64) int {
	for i := range fs.files {
		if fs.files[i].ino == ino {
			return i
		}
	}
	return -1
}

// set makes c file ino's contents.
func (fs *fsys) set(ino uint64, c contents) { fs.slot(ino).c = c }

// slot returns file ino's entry in files, adding one without contents if it
// has none. The pointer is good until files next grows or shrinks.
func (fs *fsys) slot(ino uint64) *inode {
	if i := fs.find(ino); i >= 0 {
		return &fs.files[i]
	}
	if fs.files == nil {
		fs.files = make([]inode, 0, fsysCap)
	}
	fs.files = append(fs.files, inode{ino: ino})
	return &fs.files[len(fs.files)-1]
}

// appended returns file ino's entry in files if it is where appendSlot found a file last,
// else nil (appendSlot finds it then). Nearly every append is to the same file (a Raft
// peer's log), whose entry an append then finds without find's scan; the test alone is
// in line where a call to appendSlot with it would not be.
func (fs *fsys) appended(ino uint64) *inode {
	if i := fs.lastAppended; uint(i) < uint(len(fs.files)) && fs.files[i].ino == ino {
		return &fs.files[i]
	}
	return nil
}

// appendSlot is slot for the file of an append, noting where it is for appended.
func (fs *fsys) appendSlot(ino uint64) *inode {
	i := fs.find(ino)
	if i < 0 {
		fs.slot(ino)
		i = len(fs.files) - 1
	}
	fs.lastAppended = i
	return &fs.files[i]
}

// drop deletes file ino's contents. The last entry takes its place: the
// order of files is never seen (files are found by ino), and moving one entry
// costs less than shifting every later one.
func (fs *fsys) drop(ino uint64) {
	if i := fs.find(ino); i >= 0 {
		fs.files = deleteUnordered(fs.files, i)
	}
}

// bind makes name refer to ino, deleting the file it referred to before.
func (fs *fsys) bind(name string, ino uint64) {
	for i := range fs.names {
		if fs.names[i].name == name {
			if old := fs.names[i].ino; old != ino {
				fs.drop(old)
				fs.names[i].ino = ino
			}
			return
		}
	}
	fs.add(name, ino)
}

// add binds name, which refers to no file, to ino.
func (fs *fsys) add(name string, ino uint64) {
	if fs.names == nil {
		fs.names = make([]dirent, 0, fsysCap)
	}
	fs.names = append(fs.names, dirent{name: name, ino: ino})
}

// unbind removes name from the directory and returns the file it referred
// to, whose contents stay (a rename binds them again). The last name takes
// its place, as in drop: names are found by name, and whatever walks them
// all either sorts them (list, corrupt) or does not depend on their order.
func (fs *fsys) unbind(name string) (uint64, bool) {
	for i := range fs.names {
		if fs.names[i].name == name {
			ino := fs.names[i].ino
			fs.names = deleteUnordered(fs.names, i)
			return ino, true
		}
	}
	return 0, false
}

// rename binds to to the file from refers to, if from refers to one, and
// reports whether it did (a rename of an absent name fails and changes
// nothing). from and to differ.
func (fs *fsys) rename(from, to string) bool {
	ino, ok := fs.unbind(from)
	if ok {
		fs.bind(to, ino)
	}
	return ok
}

// remove deletes name and its file, if name refers to one, and reports
// whether it did.
func (fs *fsys) remove(name string) bool {
	ino, ok := fs.unbind(name)
	if ok {
		fs.drop(ino)
	}
	return ok
}

// list returns the names, sorted.
func (fs *fsys) list() []string {
	names := make([]string, len(fs.names))
	for i, e := range fs.names {
		names[i] = e.name
	}
	slices.Sort(names)
	return names
}

// collect drops the contents of the files no name refers to: a crash that
// kept a file's data but not its create leaves them behind.
func (fs *fsys) collect() {
	fs.files = slices.DeleteFunc(fs.files, func(f inode) bool {
		return !slices.ContainsFunc(fs.names, func(e dirent) bool { return e.ino == f.ino })
	})
}

// deleteUnordered removes s[i], moving the last element into its place and
// clearing the vacated one (it holds no references then), and returns the
// shorter slice.
func deleteUnordered[E any](s []E, i int) []E {
	last := len(s) - 1
	s[i] = s[last]
	var zero E
	s[last] = zero
	return s[:last]
}
