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

// appendEntryRecordHeader is AppendEntryRecordHeader of the entry of term, index and cmd. It
// appends the entry's whole record to buf in place, by the CRC32 instruction, if the CPU has
// it, term is below 0x80, index below 1<<14, cmd shorter than crcDirectLimit-4 bytes (so
// that the body, at most 4 bytes more, is shorter than crcDirectLimit), and buf has the
// room: the command goes into the record and into the body's CRC in one pass. Any
// other entry or buffer it hands to appendEntryRecordOf (a jump, with the arguments as they
// came). The entry comes as its fields, not a pointer: the routine's pointers escape as far
// as the compiler knows, and a host's entry may be a variable of its own.
func appendEntryRecordHeader(buf []byte, term, index int, cmd []byte) (out []byte, length, bodyCRC uint32)
