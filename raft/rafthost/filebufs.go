package rafthost

// fileBuffers recycles the arrays of the log files a peer writes whole (encodeLog): a
// service that snapshots every few dozen commands makes its peer rewrite the log at every
// snapshot, and a new array per rewrite was 12% of the bytes
// kv/SnapshotRecoverManyClients3B allocated, a fifth once snapshots were recycled too. It
// recycles the heads of the snapshot files the same way (raft.AppendSnapshotRecordHead,
// written with the snapshot's data as its tail): one allocated per snapshot was 3% of the
// objects that run allocated.
//
// The storage keeps an array written whole (WriteFileOwned), appends into its spare room,
// and gives it back (sim.Storage.WriteFileOwned) once the file is replaced, by the rename of
// the next rewrite (of the next snapshot, for a head), and a Sync issued after that rename
// completed. The peer issues its operations and counts its syncs itself (write), so it knows
// both. It counts them from its first rewrite on, when it makes its fileBuffers (a head
// written before then is not noted, so never comes back): the peer issues operations only
// while no Sync of its own is in flight (write waits for each), so no sync issued before
// then can complete after it and be counted as a later one.
type fileBuffers struct {
	// log follows the log file's arrays; heads, the snapshot file's heads.
	log, heads givenBack
	// issued and done count the syncs issued and completed.
	issued, done uint64
}

// givenBack follows the arrays written whole to one file through its temporary file.
type givenBack struct {
	// tmp is the array last written to the temporary file, file the array of the file
	// (nil: not one this instance wrote whole).
	tmp, file []byte
	// retired is the array of the file the last rename replaced, free once more than
	// retiredAt syncs completed (syncs complete in issue order).
	retired   []byte
	retiredAt uint64
}

// written notes that data, an array of the peer's own, was written to the temporary log
// file.
func (l *fileBuffers) written(data []byte) { l.log.written(data) }

// renamed notes the rename of the temporary log file over the log file.
func (l *fileBuffers) renamed() { l.log.renamed(l.issued) }

// get returns an empty array with room for n bytes that the storage gave back, or nil.
func (l *fileBuffers) get(n int) []byte { return l.log.get(n, l.done) }

// written notes that data, an array of the peer's own, was written to the temporary file.
func (g *givenBack) written(data []byte) { g.tmp = data }

// renamed notes the rename of the temporary file over the file, issued syncs after the
// peer's first.
func (g *givenBack) renamed(issued uint64) {
	g.retired, g.retiredAt = g.file, issued
	g.file, g.tmp = g.tmp, nil
}

// get returns an empty array with room for n bytes that the storage gave back, done syncs
// after the peer's first completed, or nil.
func (g *givenBack) get(n int, done uint64) []byte {
	if g.retired == nil || done <= g.retiredAt || cap(g.retired) < n {
		return nil
	}
	b := g.retired[:0]
	g.retired = nil
	return b
}
