package raft

import (
	"fmt"
	"testing"
)

// BenchmarkDecodeLog recovers a log of 3,000 kv-sized commands, as a restarted peer of a
// service that never snapshots (kv/PersistConcurrent3A) does at every boot.
func BenchmarkDecodeLog(b *testing.B) {
	var buf []byte
	for i := 1; i <= 3000; i++ {
		buf = AppendEntryRecord(buf, Entry{Term: 1 + i/500, Index: i, Command: []byte(fmt.Sprintf("append key %d value %d", i%20, i))})
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		ents, valid, err := DecodeLog(buf, SnapshotMeta{})
		if err != nil || valid != len(buf) || len(ents) != 3000 {
			b.Fatalf("decoded %d entries, %d bytes, err %v", len(ents), valid, err)
		}
	}
}
