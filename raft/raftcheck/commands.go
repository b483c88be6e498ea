package raftcheck

import (
	"encoding/binary"
	"fmt"
	"math"
)

// A committed entry keeps the command first applied at its index as a copy of its own,
// with no pointer: a command of up to shortCommand bytes (every command of the kv
// scenarios) in the entry itself, a longer one in the checker's commandStore, which the
// entry names by offsets. The table of committed entries (stateMachineSafety), one slot per
// index for the whole run and the largest a checker keeps, is then memory the garbage
// collector never scans, and no longer keeps alive the arrays the commands were applied
// from (a leader's chunks of proposed commands, a follower's received messages), but for
// a command longer than chunkLen/8, which is kept as it was applied (see chunkLen). As a
// []byte shared with the Ready, a slot was 48 bytes with a pointer; it is 40 without.

// shortCommand is the longest command a committed entry holds in itself.
const shortCommand = 16

// setCommand makes cmd the entry's command, a copy of it kept in the entry or in s.
func (e *committedEntry) setCommand(s *commandStore, cmd []byte) {
	switch n := len(cmd); {
	case cmd == nil:
		e.n = -1
	case n <= shortCommand:
		e.n = int32(n)
		copy(e.cmd[:], cmd)
	default:
		if n > math.MaxInt32 {
			panic(fmt.Sprintf("raftcheck: a command of %d bytes", n))
		}
		e.n = int32(n)
		chunk, off := s.add(cmd)
		binary.LittleEndian.PutUint32(e.cmd[:], chunk)
		binary.LittleEndian.PutUint32(e.cmd[4:], off)
	}
}

// command returns the entry's command (setCommand), its capacity clipped.
func (e *committedEntry) command(s *commandStore) []byte {
	n := int(e.n)
	switch {
	case n <= shortCommand && n >= 0:
		return e.cmd[:n:n]
	case n < 0:
		return nil
	}
	return s.get(binary.LittleEndian.Uint32(e.cmd[:]), binary.LittleEndian.Uint32(e.cmd[4:]), n)
}

// commandStore keeps the commands of the committed entries longer than shortCommand bytes,
// packed into chunks.
type commandStore struct {
	chunks [][]byte
}

// chunkLen is the most bytes a chunk of commands holds: the first is chunkLen/16 (a short
// run keeps few long commands), each next twice the last, and at least the command that
// opens it. A command longer than chunkLen/8
// is a chunk of its own, not copied: it is the command of the Ready that applied it, which
// nothing writes (a core hands out the command of its own log entry, which it never writes
// again, see raft.Ready, and a service must not write what it is applied either), and
// copying them made raft/RPCBytes2B, whose commands are kilobytes, allocate 14% more.
const chunkLen = 4096

// add keeps cmd, and returns where: at off in chunk.
func (s *commandStore) add(cmd []byte) (chunk, off uint32) {
	n := len(s.chunks)
	if len(cmd) > chunkLen/8 {
		s.chunks = append(s.chunks, cmd[:len(cmd):len(cmd)])
		return uint32(n), 0
	}
	if n == 0 || cap(s.chunks[n-1])-len(s.chunks[n-1]) < len(cmd) {
		size := chunkLen / 16
		if n > 0 {
			size = min(2*cap(s.chunks[n-1]), chunkLen)
		}
		s.chunks = append(s.chunks, make([]byte, 0, max(size, len(cmd))))
		n++
	}
	c := &s.chunks[n-1]
	start := len(*c)
	*c = append(*c, cmd...)
	return uint32(n - 1), uint32(start)
}

// get returns the n bytes at off in chunk, their capacity clipped.
func (s *commandStore) get(chunk, off uint32, n int) []byte {
	end := int(off) + n
	return s.chunks[chunk][off:end:end]
}
