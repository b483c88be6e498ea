package raftcheck

import "encoding/binary"

// sameCommand reports whether a and b hold the same bytes. The checks compare two peers'
// copies of a command for every entry applied: bytes.Equal is a call to the runtime's
// memequal, most of whose cost was the call itself for commands of a few to sixteen bytes
// (kv/SnapshotRecoverManyClients3B's are 5-6 and 12-15 bytes). A command of 4 to 16
// bytes is compared here, in line, as two words of each, its first and its last, which
// overlap in the middle and together cover every byte; any other through memequal, as
// are commands of different lengths (string comparison tests the lengths first). It is
// written to fit the inliner's budget, which a test of the lengths of its own exceeds.
func sameCommand(a, b []byte) bool {
	n := len(a)
	if n == len(b) {
		if uint(n-8) <= 8 { // 8 to 16 bytes
			return binary.LittleEndian.Uint64(a) == binary.LittleEndian.Uint64(b) &&
				binary.LittleEndian.Uint64(a[n-8:]) == binary.LittleEndian.Uint64(b[n-8:])
		}
		if uint(n-4) < 4 { // 4 to 7 bytes
			return binary.LittleEndian.Uint32(a) == binary.LittleEndian.Uint32(b) &&
				binary.LittleEndian.Uint32(a[n-4:]) == binary.LittleEndian.Uint32(b[n-4:])
		}
	}
	return string(a) == string(b)
}
