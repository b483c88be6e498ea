package raftcheck

import (
	"fmt"
	"math"
)

// commandStore keeps copies of the commands the state machine check remembers, packed into
// chunks, and names each by a commandRef, which holds no pointer: the table of committed
// entries (stateMachineSafety) is then memory the garbage collector never scans, and it no
// longer keeps alive the arrays the commands were applied from (a leader's chunks of
// proposed commands, a follower's received messages). It is the largest table a checker
// keeps, one slot per index for the whole run, and as []byte its slots were 48 bytes, each
// with a pointer; a slot is 32 bytes now. Callgrind, kv/SnapshotRecoverManyClients3B seeds
// 1-10 at -gogc 100: the collector's marking cost 26 M instructions less, the check and
// the copies 10 M more.
type commandStore struct {
	chunks [][]byte
}

// commandRef names a command in a commandStore: n bytes from off in chunk, or a nil command
// if n < 0.
type commandRef struct {
	chunk, off uint32
	n          int32
}

// chunkLen is the most bytes a chunk of commands holds: the first is chunkLen/16 (a short
// run keeps few commands), each next twice the last. A command longer than chunkLen/8 is a
// chunk of its own, not copied: it is the command of the Ready that applied it, which
// nothing writes (a core hands out the command of its own log entry, which it never writes
// again, see raft.Ready, and a service must not write what it is applied either), and
// copying them made raft/RPCBytes2B, whose commands are kilobytes, allocate 14% more.
const chunkLen = 4096

// add copies cmd into the store.
func (s *commandStore) add(cmd []byte) commandRef {
	if cmd == nil {
		return commandRef{n: -1}
	}
	if len(cmd) > math.MaxInt32 {
		panic(fmt.Sprintf("raftcheck: a command of %d bytes", len(cmd)))
	}
	n := len(s.chunks)
	if len(cmd) > chunkLen/8 {
		s.chunks = append(s.chunks, cmd[:len(cmd):len(cmd)])
		return commandRef{chunk: uint32(n), n: int32(len(cmd))}
	}
	if n == 0 || cap(s.chunks[n-1])-len(s.chunks[n-1]) < len(cmd) {
		size := chunkLen / 16
		if n > 0 {
			size = min(max(2*cap(s.chunks[n-1]), chunkLen/16), chunkLen)
		}
		s.chunks = append(s.chunks, make([]byte, 0, size))
		n++
	}
	c := &s.chunks[n-1]
	off := len(*c)
	*c = append(*c, cmd...)
	return commandRef{chunk: uint32(n - 1), off: uint32(off), n: int32(len(cmd))}
}

// get returns the command r names, its capacity clipped.
func (s *commandStore) get(r commandRef) []byte {
	if r.n < 0 {
		return nil
	}
	end := int(r.off) + int(r.n)
	return s.chunks[r.chunk][r.off:end:end]
}
