package rafthost

// logBuffers recycles the arrays of the log files a peer writes whole (encodeLog): a
// service that snapshots every few dozen commands makes its peer rewrite the log at every
// snapshot, and a new array per rewrite was 12% of the bytes
// kv/SnapshotRecoverManyClients3B allocated, a fifth once snapshots were recycled too.
//
// The storage keeps a rewritten log's array (WriteFileOwned), appends into its spare room,
// and gives it back (sim.Storage.WriteFileOwned) once the file is replaced, by the rename of
// the next rewrite, and a Sync issued after that rename completed. The peer issues its
// operations and counts its syncs itself (write), so it knows both. It counts them from its
// first rewrite on, when it makes its logBuffers: the peer issues operations only while no
// Sync of its own is in flight (write waits for each), so no sync issued before then can
// complete after it and be counted as a later one.
type logBuffers struct {
	// tmp is the array last written to the temporary log file, file the array of the log
	// file (nil: not one this instance wrote whole).
	tmp, file []byte
	// retired is the array of the log file the last rewrite's rename replaced, free once
	// more than retiredAt syncs completed (syncs complete in issue order).
	retired   []byte
	retiredAt uint64
	// issued and done count the syncs issued and completed.
	issued, done uint64
}

// written notes that data, an array of the peer's own, was written to the temporary log
// file.
func (l *logBuffers) written(data []byte) { l.tmp = data }

// renamed notes the rename of the temporary log file over the log file.
func (l *logBuffers) renamed() {
	l.retired, l.retiredAt = l.file, l.issued
	l.file, l.tmp = l.tmp, nil
}

// get returns an empty array with room for n bytes that the storage gave back, or nil.
func (l *logBuffers) get(n int) []byte {
	if l.retired == nil || l.done <= l.retiredAt || cap(l.retired) < n {
		return nil
	}
	b := l.retired[:0]
	l.retired = nil
	return b
}
