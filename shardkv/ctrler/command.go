package ctrler

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
)

// Op is a controller operation.
type Op uint8

// The operations. There is no zero Op: the empty command is the Raft leader's no-op
// (package rsm), which never reaches the state machine.
const (
	OpJoin Op = iota + 1
	OpLeave
	OpMove
	OpQuery
)

func (o Op) String() string {
	switch o {
	case OpJoin:
		return "join"
	case OpLeave:
		return "leave"
	case OpMove:
		return "move"
	case OpQuery:
		return "query"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Command is one attempt at one client operation, named by (Client, Seq) so that every
// replica recognises a retry of an operation it already applied.
type Command struct {
	Op     Op
	Client int64 // the clerk's id, unique in the run
	Seq    int64 // the clerk's operation number: one per operation, not per attempt
	// Servers are Join's new groups: GID -> server names.
	Servers map[int][]string
	// GIDs are Leave's departing groups.
	GIDs []int
	// Shard and GID are Move's: assign Shard to GID.
	Shard, GID int
	// Num is Query's configuration number; -1 (or any number past the latest) is the latest.
	Num int
}

// Encode is the command's log encoding: op, client, sequence number, then the op's
// arguments; Join's groups in GID order, so equal commands encode to equal bytes (the
// replicated state machine matches a reply to its request by them).
func (c Command) Encode() []byte {
	e := wire.Encoder{B: make([]byte, 0, 32)}
	c.encode(&e)
	return e.B
}

// size is len(c.Encode()), counted.
func (c Command) size() int {
	e := wire.Encoder{Count: true}
	c.encode(&e)
	return e.N
}

func (c Command) encode(e *wire.Encoder) {
	e.Byte(byte(c.Op))
	e.Uint(uint64(c.Client))
	e.Uint(uint64(c.Seq))
	switch c.Op {
	case OpJoin:
		appendGroups(e, c.Servers)
	case OpLeave:
		e.Uint(uint64(len(c.GIDs)))
		for _, g := range c.GIDs {
			e.Int(int64(g))
		}
	case OpMove:
		e.Int(int64(c.Shard))
		e.Int(int64(c.GID))
	case OpQuery:
		e.Int(int64(c.Num))
	}
}

// DecodeCommand decodes what Encode produced.
func DecodeCommand(b []byte) (Command, error) {
	if len(b) == 0 {
		return Command{}, fmt.Errorf("ctrler: empty command")
	}
	c := Command{Op: Op(b[0])}
	if c.Op < OpJoin || c.Op > OpQuery {
		return Command{}, fmt.Errorf("ctrler: unknown op %d in command", b[0])
	}
	d := wire.Decoder{B: b[1:]}
	c.Client, c.Seq = int64(d.Uint()), int64(d.Uint())
	switch c.Op {
	case OpJoin:
		c.Servers = readGroups(&d)
	case OpLeave:
		n := d.Count()
		for i := 0; i < n && d.Err == nil; i++ {
			c.GIDs = append(c.GIDs, int(d.Int()))
		}
	case OpMove:
		c.Shard, c.GID = int(d.Int()), int(d.Int())
	case OpQuery:
		c.Num = int(d.Int())
	}
	return c, d.End("ctrler: command")
}

// clone deep-copies the command's arguments (a request crosses nodes).
func (c Command) clone() Command {
	if c.Servers != nil {
		m := make(map[int][]string, len(c.Servers))
		for gid, s := range c.Servers {
			m[gid] = slices.Clone(s)
		}
		c.Servers = m
	}
	c.GIDs = slices.Clone(c.GIDs)
	return c
}

func (c Command) String() string {
	var arg string
	switch c.Op {
	case OpJoin:
		arg = fmt.Sprint(c.Servers)
	case OpLeave:
		arg = fmt.Sprint(c.GIDs)
	case OpMove:
		arg = fmt.Sprintf("%d->%d", c.Shard, c.GID)
	case OpQuery:
		arg = strconv.Itoa(c.Num)
	}
	return fmt.Sprintf("c%d#%d %v(%s)", c.Client, c.Seq, c.Op, arg)
}
