package raft

// haveCRCDirect: the CPU has SSE4.2, whose CRC32 instruction crcUpdateDirect uses. Set once
// at init and only read after, as crcTable is.
var haveCRCDirect = hasSSE42()

// hasSSE42 reports whether CPUID says the CPU has SSE4.2.
func hasSSE42() bool

// crcUpdateDirect is crcUpdate by the CRC32 instruction: 8 bytes at a time, then the rest
// by its 4-, 2- and 1-byte forms.
//
//go:noescape
func crcUpdateDirect(crc uint32, b []byte) uint32

// putHeaderDirect is putHeader by the CRC32 instruction, for a body shorter than
// crcDirectLimit: the length's CRC is one instruction rather than lengthCRC's four table
// lookups, and the body's is crcUpdateDirect's loop, without a call of its own.
//
//go:noescape
func putHeaderDirect(rec []byte)

// appendEntryRecordDirect appends e's whole entry record to buf in place, by the CRC32
// instruction, for a term below 0x80, an index below 1<<14 and a body shorter than
// crcDirectLimit, if buf has the room (ok; else it writes nothing): the command goes into the
// record and into the body's CRC in one pass. It returns buf's new length, and the body's
// length and CRC.
//
//go:noescape
func appendEntryRecordDirect(buf []byte, e *Entry) (n int, length, crc uint32, ok bool)
