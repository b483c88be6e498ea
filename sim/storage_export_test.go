package sim

// DiskFileCap is the capacity of the array appends to a file go into as reads see it (its
// last part), for tests of how files grow.
func DiskFileCap(d *Disk, name string) int {
	ino, _ := d.view.lookup(name)
	return cap(d.view.get(ino).last)
}

// DiskFileParts returns the parts a file is in as reads see it, in order, for tests of
// how files grow.
func DiskFileParts(d *Disk, name string) [][]byte {
	ino, _ := d.view.lookup(name)
	c := d.view.get(ino)
	return append(c.full[:len(c.full):len(c.full)], c.last)
}

// SmallFileParts makes d's files start parts, and whole ones double, from 8 bytes on, so
// that tests whose files are a few bytes long exercise them.
func SmallFileParts(d *Disk) { d.partsFrom = 8 }
