//go:build !amd64

package raft

// haveCRCDirect is false: only amd64 has crcUpdateDirect.
const haveCRCDirect = false

func crcUpdateDirect(crc uint32, b []byte) uint32 {
	panic("raft: no direct CRC-32C on this architecture")
}

func putHeaderDirect(rec []byte) { panic("raft: no direct CRC-32C on this architecture") }

func appendEntryRecordDirect(buf []byte, e *Entry) (n int, length, crc uint32, ok bool) {
	panic("raft: no direct CRC-32C on this architecture")
}
