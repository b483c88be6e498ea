package sim

// DiskFileCap is the capacity of the array a file's contents are in as reads see them (its
// b part), for tests of how files grow.
func DiskFileCap(d *Disk, name string) int {
	ino, _ := d.view.lookup(name)
	return cap(d.view.get(ino).b)
}
