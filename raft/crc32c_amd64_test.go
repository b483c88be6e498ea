package raft

import "testing"

// TestAppendEntryRecordHeaderWithoutSSE42: on a CPU without SSE4.2 (haveCRCDirect false),
// appendEntryRecordHeader's routine goes straight to the general encoding for every entry,
// even one it would write itself; the records are the same (checkAppendEntryRecordHeader).
// A machine with the instruction does not otherwise take that first branch.
func TestAppendEntryRecordHeaderWithoutSSE42(t *testing.T) {
	defer func(had bool) { haveCRCDirect = had }(haveCRCDirect)
	haveCRCDirect = false
	checkAppendEntryRecordHeader(t)
}
