//go:build !amd64

package raft

// haveCRCDirect is false: only amd64 has crcUpdateDirect.
const haveCRCDirect = false

func crcUpdateDirect(crc uint32, b []byte) uint32 {
	panic("raft: no direct CRC-32C on this architecture")
}

func putHeaderDirect(rec []byte) { panic("raft: no direct CRC-32C on this architecture") }

func putEntryRecordDirect(rec []byte, term, index uint64, cmd []byte) (length, crc uint32) {
	panic("raft: no direct CRC-32C on this architecture")
}
