//go:build !amd64

package raft

// haveCRCDirect is false: only amd64 has crcUpdateDirect.
const haveCRCDirect = false

func crcUpdateDirect(crc uint32, b []byte) uint32 {
	panic("raft: no direct CRC-32C on this architecture")
}

func putHeaderDirect(rec []byte) { panic("raft: no direct CRC-32C on this architecture") }

// appendEntryRecordHeader is AppendEntryRecordHeader of the entry of term, index and cmd (see
// crc32c_amd64.go).
func appendEntryRecordHeader(buf []byte, term, index int, cmd []byte) (_ []byte, length, bodyCRC uint32) {
	return appendEntryRecordOf(buf, term, index, cmd)
}
