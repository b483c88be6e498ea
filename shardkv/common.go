package shardkv

import (
	"fmt"
	"strconv"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
	"github.com/lockstep-dst/lockstep/sim"
)

// Key2Shard is the shard of key: its first byte modulo NShards, as in 6.824 (so the test
// keys "0".."9" fall in ten different shards, and "0".."29" by their first character).
func Key2Shard(key string) int {
	if len(key) == 0 {
		return 0
	}
	return int(key[0]) % ctrler.NShards
}

// Err is a server's answer.
type Err uint8

const (
	OK Err = iota
	// ErrWrongLeader: not the leader, or it gave up on the request; retry elsewhere.
	ErrWrongLeader
	// ErrWrongGroup: the group does not serve the key's shard in its current
	// configuration (or has not received the shard yet); the clerk re-queries the
	// controller.
	ErrWrongGroup
	// ErrNotReady: a migration request the group cannot answer yet (it has not reached
	// the configuration asked about); the caller retries later.
	ErrNotReady
)

func (e Err) String() string {
	switch e {
	case OK:
		return "OK"
	case ErrWrongLeader:
		return "ErrWrongLeader"
	case ErrWrongGroup:
		return "ErrWrongGroup"
	case ErrNotReady:
		return "ErrNotReady"
	}
	return "Err(" + strconv.Itoa(int(e)) + ")"
}

// The servers' RPC methods.
const (
	MethodOp     = "ShardKV.Op"     // clerk: Get, Put, Append
	MethodPull   = "ShardKV.Pull"   // new owner -> old owner: send me these shards of config Num
	MethodDelete = "ShardKV.Delete" // new owner -> old owner: I have them; delete your copies
)

// OpArgs is a clerk's request: one client command (Get, Put or Append), on the wire as
// its log encoding. It holds the client command's fields only, not a whole Command (a
// third of Command's size): the network copies every request it delivers.
type OpArgs struct {
	Op          Op
	Client, Seq int64
	Key, Value  string
	// enc is the command's encoding once encoded asked for it. The network digests every
	// request it delivers, and the leader that receives it proposes the same bytes, so a
	// delivered request is encoded once. Set only on the network's copy, which its
	// handler owns (Clone does not copy it); nothing changes a request after a clerk sent it.
	enc []byte
}

// Command is the log command the request proposes.
func (a *OpArgs) Command() Command {
	return Command{Op: a.Op, Client: a.Client, Seq: a.Seq, Key: a.Key, Value: a.Value}
}

func (a *OpArgs) Size() int {
	c := a.Command()
	return c.size()
}
func (a *OpArgs) Clone() any {
	return &OpArgs{Op: a.Op, Client: a.Client, Seq: a.Seq, Key: a.Key, Value: a.Value}
}
func (a *OpArgs) Digest() uint64 { return sim.HashBytes(a.encoded()) }
func (a *OpArgs) String() string { return a.Command().String() }

// encoded is Command().Encode(), encoded once.
func (a *OpArgs) encoded() []byte {
	if a.enc == nil {
		a.enc = a.Command().Encode()
	}
	return a.enc
}

// OpReply is a server's answer to a clerk.
type OpReply struct {
	Err   Err
	Value string // Get only
}

func (r *OpReply) Size() int  { return 1 + len(r.Value) }
func (r *OpReply) Clone() any { c := *r; return &c }

// Digest hashes the error byte and the value. The bytes are built in a buffer on the
// stack when the value is short (most replies carry none): the network digests every
// reply it delivers.
func (r *OpReply) Digest() uint64 {
	var buf [64]byte
	return sim.HashBytes(append(append(buf[:0], byte(r.Err)), r.Value...))
}

// ShardArgs asks the group that owned Shards in configuration Num-1 for them (Pull) or
// to delete them (Delete).
type ShardArgs struct {
	Num    int
	Shards []int
}

// encode allocates the buffer at the size Size counts: appending to an empty one
// reallocates it at every doubling.
func (a *ShardArgs) encode() []byte {
	e := wire.Encoder{B: make([]byte, 0, a.Size())}
	a.encodeTo(&e)
	return e.B
}
func (a *ShardArgs) encodeTo(e *wire.Encoder) {
	e.Int(int64(a.Num))
	e.Ints(a.Shards)
}
func (a *ShardArgs) Size() int {
	e := wire.Encoder{Count: true}
	a.encodeTo(&e)
	return e.N
}
func (a *ShardArgs) Clone() any {
	return &ShardArgs{Num: a.Num, Shards: append([]int(nil), a.Shards...)}
}
func (a *ShardArgs) Digest() uint64 { return sim.HashBytes(a.encode()) }

// ShardReply is the answer to a Pull (with the shards) or a Delete.
type ShardReply struct {
	Err    Err
	Shards []ShardData // Pull: in the order asked
}

// ShardData is one shard's state as it moves between groups: its keys and values, and
// its duplicate table, which moves with it so that a retry of an operation the old
// owner applied is recognised by the new one.
type ShardData struct {
	Shard    int
	Data     map[string]string
	Sessions map[int64]int64
}

func (d ShardData) clone() ShardData {
	c := ShardData{Shard: d.Shard, Data: make(map[string]string, len(d.Data)), Sessions: make(map[int64]int64, len(d.Sessions))}
	for k, v := range d.Data {
		c.Data[k] = v
	}
	for k, v := range d.Sessions {
		c.Sessions[k] = v
	}
	return c
}

func (d ShardData) encode(e *wire.Encoder) {
	e.Int(int64(d.Shard))
	e.StrMap(d.Data)
	e.Sessions(d.Sessions)
}

func decodeShardData(d *wire.Decoder) ShardData {
	return ShardData{Shard: int(d.Int()), Data: d.StrMap(), Sessions: d.Sessions()}
}

// skipShardData reads past what decodeShardData would decode, checking its lengths,
// without building the maps.
func skipShardData(d *wire.Decoder) {
	d.Int()
	for n := d.Count(); n > 0 && d.Err == nil; n-- {
		d.SkipStr()
		d.SkipStr()
	}
	for n := d.Count(); n > 0 && d.Err == nil; n-- {
		d.Int()
		d.Int()
	}
}

// encode allocates the buffer at the size Size counts: appending to an empty one
// reallocates it at every doubling.
func (r *ShardReply) encode() []byte {
	e := wire.Encoder{B: make([]byte, 0, r.Size())}
	r.encodeTo(&e)
	return e.B
}
func (r *ShardReply) encodeTo(e *wire.Encoder) {
	e.Byte(byte(r.Err))
	e.Uint(uint64(len(r.Shards)))
	for _, s := range r.Shards {
		s.encode(e)
	}
}

// Size is the reply's wire size, counted (see wire.Encoder).
func (r *ShardReply) Size() int {
	e := wire.Encoder{Count: true}
	r.encodeTo(&e)
	return e.N
}
func (r *ShardReply) Clone() any {
	c := &ShardReply{Err: r.Err}
	for _, s := range r.Shards {
		c.Shards = append(c.Shards, s.clone())
	}
	return c
}
func (r *ShardReply) Digest() uint64 { return sim.HashBytes(r.encode()) }

func (d ShardData) String() string {
	return fmt.Sprintf("shard %d (%d keys, %d sessions)", d.Shard, len(d.Data), len(d.Sessions))
}

// Digest hashes the shard's data and duplicate table (checkers compare shards by it).
func (d ShardData) Digest() uint64 { return sim.HashBytes(d.encoded()) }

// encoded is d's encoding, in a buffer allocated at its final size.
func (d ShardData) encoded() []byte {
	c := wire.Encoder{Count: true}
	d.encode(&c)
	e := wire.Encoder{B: make([]byte, 0, c.N)}
	d.encode(&e)
	return e.B
}
