package raft

import "hash/crc32"

// The CRC-32C (Castagnoli) the records carry and Checksum gives: short input straight
// through the CPU's CRC32 instruction where there is one, everything else through hash/crc32.
//
// A host checksums every log record it writes, and most are a few tens of bytes: there
// hash/crc32's path to the SSE4.2 instruction (Checksum, Update, its table switch, the
// function variable, archUpdateCastagnoli's checks for long input) cost about 60 of the 90
// instructions of a checksum, for the few that fold the bytes. On amd64 with SSE4.2, input
// shorter than crcDirectLimit goes to a loop of the instruction (crcUpdateDirect); longer
// input goes to hash/crc32, whose three interleaved streams fold long input (a snapshot) in
// about a third of the time one stream takes. The value is the same either way.

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// crcDirectLimit is the length from which input goes to hash/crc32 even where the direct
// loop is available: below it hash/crc32 runs the same single stream.
const crcDirectLimit = 3 * 168

// crcChecksum is crc32.Checksum(b, crcTable).
func crcChecksum(b []byte) uint32 { return crcUpdate(0, b) }

// crcUpdate is crc32.Update(crc, crcTable, b).
func crcUpdate(crc uint32, b []byte) uint32 {
	if haveCRCDirect && len(b) < crcDirectLimit {
		return crcUpdateDirect(crc, b)
	}
	return crc32.Update(crc, crcTable, b)
}
