package shardkv

import (
	"fmt"
	"strconv"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
)

// Op is a command of a group's log.
type Op uint8

// The commands. Clients propose Get, Put and Append; the group's leader proposes the rest
// as it moves through configurations. There is no zero Op: the empty command is the Raft
// leader's no-op (package rsm).
const (
	OpGet Op = iota + 1
	OpPut
	OpAppend
	// OpConfig moves the group to the next configuration (Config.Num = current + 1).
	OpConfig
	// OpInsert installs shards pulled from their previous owner, for configuration Num.
	OpInsert
	// OpDelete drops this group's copies of shards it gave up in configuration Num, once
	// their new owner has them (Challenge 1).
	OpDelete
	// OpGCDone records that the previous owner of shards inserted in configuration Num
	// deleted its copies.
	OpGCDone
)

func (o Op) String() string {
	names := [...]string{OpGet: "get", OpPut: "put", OpAppend: "append", OpConfig: "config",
		OpInsert: "insert", OpDelete: "delete", OpGCDone: "gc-done"}
	if o >= OpGet && o <= OpGCDone {
		return names[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Command is one entry of a group's log.
type Command struct {
	Op Op
	// Get, Put, Append: one attempt at one client operation, named by (Client, Seq).
	Client int64
	Seq    int64
	Key    string
	Value  string
	// OpConfig: the next configuration.
	Config ctrler.Config
	// OpInsert, OpDelete, OpGCDone: the configuration the migration belongs to, and the
	// shards (OpInsert: with their data).
	Num    int
	Shards []int
	Data   []ShardData
}

// Encode is the command's log encoding: the op byte, then its fields.
func (c Command) Encode() []byte {
	e := wire.Encoder{B: make([]byte, 0, 16+len(c.Key)+len(c.Value))}
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
	switch c.Op {
	case OpGet, OpPut, OpAppend:
		e.Int(c.Client)
		e.Int(c.Seq)
		e.Str(c.Key)
		e.Str(c.Value)
	case OpConfig:
		ctrler.EncodeConfig(e, c.Config)
	case OpInsert:
		e.Int(int64(c.Num))
		e.Uint(uint64(len(c.Data)))
		for _, d := range c.Data {
			d.encode(e)
		}
	case OpDelete, OpGCDone:
		e.Int(int64(c.Num))
		e.Ints(c.Shards)
	}
}

// DecodeCommand decodes what Encode produced.
func DecodeCommand(b []byte) (Command, error) {
	d := wire.Decoder{B: b}
	c := Command{Op: Op(d.Byte())}
	switch c.Op {
	case OpGet, OpPut, OpAppend:
		c.Client, c.Seq = d.Int(), d.Int()
		c.Key, c.Value = d.Str(), d.Str()
	case OpConfig:
		cf, rest, err := ctrler.ReadConfig(d.B)
		if err != nil {
			return Command{}, fmt.Errorf("shardkv: command: %w", err)
		}
		c.Config, d.B = cf, rest
	case OpInsert:
		c.Num = int(d.Int())
		n := d.Count()
		for i := 0; i < n && d.Err == nil; i++ {
			c.Data = append(c.Data, decodeShardData(&d))
		}
	case OpDelete, OpGCDone:
		c.Num = int(d.Int())
		c.Shards = d.Ints()
	default:
		if d.Err == nil {
			return Command{}, fmt.Errorf("shardkv: unknown op %d in command", c.Op)
		}
	}
	if err := d.End("shardkv: command"); err != nil {
		return Command{}, err
	}
	return c, nil
}

func (c Command) String() string {
	switch c.Op {
	case OpGet:
		return fmt.Sprintf("c%d#%d get(%q)", c.Client, c.Seq, c.Key)
	case OpPut, OpAppend:
		return fmt.Sprintf("c%d#%d %v(%q, %q)", c.Client, c.Seq, c.Op, c.Key, c.Value)
	case OpConfig:
		return fmt.Sprintf("config(%v)", c.Config)
	case OpInsert:
		return fmt.Sprintf("insert(%d, %v)", c.Num, c.Data)
	}
	return fmt.Sprintf("%v(%d, %v)", c.Op, c.Num, c.Shards)
}
