package lease

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/lockstep-dst/lockstep/sim"
)

// Both servers keep their durable state as one checksummed record of fixed
// fields in one file, replaced atomically: write a temporary file, sync,
// rename it over the state file, sync. sim.Storage says why each step is
// needed: without the first sync a crash may keep the rename and lose the
// write, leaving an empty state file where a good one was.

// The record: magic, CRC-32 (IEEE) of the fields, the fields (8 bytes each,
// big-endian).
var magic = [4]byte{'L', 'S', 'E', '1'}

const headerSize = 4 + 4

func encode(fields ...uint64) []byte {
	b := make([]byte, headerSize+8*len(fields))
	copy(b, magic[:])
	for i, f := range fields {
		binary.BigEndian.PutUint64(b[headerSize+8*i:], f)
	}
	binary.BigEndian.PutUint32(b[4:], crc32.ChecksumIEEE(b[headerSize:]))
	return b
}

// decode reads a record of n fields. A short record is torn (a crash in the
// middle of writing it); a record of the right length with a bad checksum or
// magic is corrupt: the disk model never changes a file's length when it
// corrupts it, so the two are told apart.
func decode(b []byte, n int) ([]uint64, error) {
	if len(b) != headerSize+8*n {
		return nil, fmt.Errorf("state file of %d bytes is torn (a record has %d)", len(b), headerSize+8*n)
	}
	if [4]byte(b[:4]) != magic {
		return nil, errors.New("state file is corrupt: bad magic")
	}
	if want, got := binary.BigEndian.Uint32(b[4:]), crc32.ChecksumIEEE(b[headerSize:]); want != got {
		return nil, fmt.Errorf("state file is corrupt: checksum %08x, record says %08x", got, want)
	}
	fields := make([]uint64, n)
	for i := range fields {
		fields[i] = binary.BigEndian.Uint64(b[headerSize+8*i:])
	}
	return fields, nil
}

const tmpSuffix = ".tmp"

// persist replaces file with a record of fields and calls done once the
// replacement is durable. done never runs if the node crashes first.
func persist(d sim.Storage, file string, done func(), fields ...uint64) {
	d.WriteFile(file+tmpSuffix, encode(fields...))
	d.Sync(func() {
		d.Rename(file+tmpSuffix, file)
		d.Sync(done)
	})
}

// load reads file's record at boot. A leftover temporary file is an
// update that never completed, so never acknowledged: it is dropped. It
// returns nil fields for a node that never persisted anything, and an error
// for a record that is torn or corrupt: the state file is synced before it
// replaces the old one, so a bad record is damage to synced data, whose
// contents may have been acknowledged.
func load(d sim.Storage, file string, n int) ([]uint64, error) {
	d.Remove(file + tmpSuffix)
	b, ok := d.ReadFile(file)
	if !ok {
		return nil, nil
	}
	return decode(b, n)
}
