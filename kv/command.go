package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/lockstep-dst/lockstep/raft"
)

// Op is a client operation.
type Op uint8

// The operations. The zero value is the no-op a new leader proposes (see Server.leadership),
// which never comes from a client.
const (
	OpNoop Op = iota
	OpGet
	OpPut
	OpAppend
)

func (o Op) String() string {
	switch o {
	case OpNoop:
		return "noop"
	case OpGet:
		return "get"
	case OpPut:
		return "put"
	case OpAppend:
		return "append"
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Command is what a server proposes to Raft: one attempt at one client operation, named by
// (Client, Seq) so that every replica recognises a retry of an operation it already applied.
type Command struct {
	Op     Op
	Client int64 // the clerk's id, unique in the run
	Seq    int64 // the clerk's operation number: one per operation, not per attempt
	Key    string
	Value  string // Put and Append only
}

// Encode is the command's log encoding: the op byte, then the client, the sequence number
// and the key length as uvarints, then the key, then the value (the rest). The no-op is the
// empty command. Compactness matters: the log is what maxraftstate bounds.
func (c Command) Encode() []byte {
	if c.Op == OpNoop {
		return []byte{}
	}
	// The exact size, in one allocation.
	return c.AppendEncode(make([]byte, 0, c.encodedLen()))
}

// AppendEncode appends Encode's bytes to b: a server that proposes each command once and
// drops its encoding (Raft's Propose copies it into the log entry) encodes every command
// into one buffer.
func (c Command) AppendEncode(b []byte) []byte { return c.appendEncode(b) }

// appendEncode is AppendEncode, for the server's handleOp, which encodes the command of every
// request it proposes: by pointer, rather than a copy of the command per call, and with the
// one-byte client, sequence number and key length of most commands appended at once (a
// uvarint below 0x80 is that one byte).
func (c *Command) appendEncode(b []byte) []byte {
	if c.Op == OpNoop {
		return b
	}
	if client, seq, klen := uint64(c.Client), uint64(c.Seq), uint64(len(c.Key)); client|seq|klen < 0x80 {
		b = append(b, byte(c.Op), byte(client), byte(seq), byte(klen))
	} else {
		b = append(b, byte(c.Op))
		b = binary.AppendUvarint(b, client)
		b = binary.AppendUvarint(b, seq)
		b = binary.AppendUvarint(b, klen)
	}
	b = append(b, c.Key...)
	return append(b, c.Value...)
}

// encodedLen is the length of Encode's bytes.
func (c Command) encodedLen() int {
	return 1 + uvarintLen(uint64(c.Client)) + uvarintLen(uint64(c.Seq)) + uvarintLen(uint64(len(c.Key))) + len(c.Key) + len(c.Value)
}

var errShortCommand = errors.New("kv: truncated command")

// DecodeCommand decodes what Encode produced.
func DecodeCommand(b []byte) (Command, error) {
	v, err := decodeView(b)
	if err != nil {
		return Command{}, err
	}
	return Command{Op: v.Op, Client: v.Client, Seq: v.Seq, Key: string(v.Key), Value: string(v.Value)}, nil
}

// commandView is a decoded command whose key and value are slices of the encoding: what a
// replica applies without copying them (the store copies what it keeps). Valid while the
// encoding is not modified; Raft's log entries never are.
type commandView struct {
	Op          Op
	Client, Seq int64
	Key, Value  []byte
}

// view is c as a commandView (for the Store's Command methods, which tests use).
func (c Command) view() commandView {
	return commandView{Op: c.Op, Client: c.Client, Seq: c.Seq, Key: []byte(c.Key), Value: []byte(c.Value)}
}

// decodeView decodes what Encode produced, without copying the key and value.
func decodeView(b []byte) (commandView, error) {
	var c commandView
	err := c.decode(b)
	return c, err
}

// decode sets c to the command b encodes (see decodeView). Every replica decodes every
// command it applies: filling c in place rather than returning a nine-word view, and the
// fast path for one-byte varints below, halved decodeView's instructions.
func (c *commandView) decode(b []byte) error {
	if len(b) == 0 {
		*c = commandView{Op: OpNoop}
		return nil
	}
	op := Op(b[0])
	if op < OpGet || op > OpAppend {
		*c = commandView{}
		return fmt.Errorf("kv: unknown op %d in command", b[0])
	}
	var client, seq, klen uint64
	if len(b) >= 4 && (b[1]|b[2]|b[3]) < 0x80 {
		// One byte each: most clients, keys and sequence numbers below 128.
		client, seq, klen, b = uint64(b[1]), uint64(b[2]), uint64(b[3]), b[4:]
	} else {
		var o int
		client, seq, klen, o = commandHead(b)
		if o < 0 {
			*c = commandView{}
			return errShortCommand
		}
		b = b[o:]
	}
	if klen > uint64(len(b)) {
		*c = commandView{}
		return errShortCommand
	}
	if op == OpGet && uint64(len(b)) != klen {
		*c = commandView{}
		return errors.New("kv: get command with a value")
	}
	c.Op, c.Client, c.Seq = op, int64(client), int64(seq)
	c.Key, c.Value = b[:klen:klen], b[klen:]
	return nil
}

// commandHead is decode's reading of the client, the sequence number and the key's length
// after the op byte, with the offset after them (negative if cut short), for a command
// where they do not take one byte each: first a sequence number of two bytes between a
// one-byte client and key length (a clerk's 128th to 16383rd operation), then any. A loop
// of binary.Uvarint calls was most of the decoding in kv/Swarm, whose clerks run for
// 20 s; three uvarintAt calls were 1.55 M of its 219 M instructions (seeds 1-3), this is
// 0.63 M. It is apart from decode, whose one-byte case a third case there made slower.
func commandHead(b []byte) (client, seq, klen uint64, o int) {
	if len(b) >= 5 && (b[1]|b[3]|b[4]) < 0x80 { // b[2] continues the number: see decode
		return uint64(b[1]), uint64(b[2]&0x7f) | uint64(b[3])<<7, uint64(b[4]), 5
	}
	client, o = uvarintAt(b, 1)
	seq, o = uvarintAt(b, o)
	klen, o = uvarintAt(b, o)
	return client, seq, klen, o
}

// uvarintAt decodes the uvarint at b[o:] and returns it with the offset after it, or a
// negative offset if it is cut short or overflows, or if o is negative (so that a
// sequence of calls reports the first failure at its end). The one- and two-byte cases
// inline.
func uvarintAt(b []byte, o int) (uint64, int) {
	// As unsigned, a negative o is out of range too.
	if uint(o) < uint(len(b)) {
		x := b[o]
		if x < 0x80 {
			return uint64(x), o + 1
		}
		if uint(o) < uint(len(b)-1) && b[o+1] < 0x80 {
			return uint64(x&0x7f) | uint64(b[o+1])<<7, o + 2
		}
	}
	return uvarintLong(b, o)
}

// uvarintLong is uvarintAt's general case.
func uvarintLong(b []byte, o int) (uint64, int) {
	if o < 0 || o >= len(b) {
		return 0, -1
	}
	v, n := binary.Uvarint(b[o:])
	if n <= 0 {
		return 0, -1
	}
	return v, o + n
}

func (c Command) String() string {
	switch c.Op {
	case OpNoop:
		return "noop"
	case OpGet:
		return fmt.Sprintf("c%d#%d get(%q)", c.Client, c.Seq, c.Key)
	}
	return fmt.Sprintf("c%d#%d %v(%q, %q)", c.Client, c.Seq, c.Op, c.Key, short(c.Value))
}

func short(s string) string {
	if len(s) > 40 {
		return s[:18] + "…" + s[len(s)-18:]
	}
	return s
}

// Err is a server's answer to an RPC.
type Err uint8

const (
	OK Err = iota
	// ErrWrongLeader: this server is not the leader, or lost leadership before the
	// operation committed. The operation may or may not have been applied; the clerk
	// retries it with the same sequence number.
	ErrWrongLeader
)

func (e Err) String() string {
	if e == OK {
		return "OK"
	}
	return "ErrWrongLeader"
}

// MethodOp is the server's one RPC: every operation, Get included, is a Command.
const MethodOp = "KV.Op"

// OpArgs is a clerk's request. It crosses nodes, so it is a netsim.Message.
type OpArgs struct{ Command }

// Size is the request's wire size: the command's encoding.
func (a *OpArgs) Size() int {
	return 1 + 2*binary.MaxVarintLen64 + len(a.Key) + len(a.Value)
}

// Clone copies the request (strings are immutable, so a struct copy shares nothing that
// can change).
func (a *OpArgs) Clone() any { c := *a; return &c }

// CloneInto copies the request into dst, an earlier copy the server gave back
// (netsim.Recopier: see StartServer).
func (a *OpArgs) CloneInto(dst any) any {
	if c, ok := dst.(*OpArgs); ok {
		*c = *a
		return c
	}
	return a.Clone()
}

// OpReply is a server's answer.
type OpReply struct {
	Err Err
	// sum, if not 0, is Value's CRC-32C (raft.Checksum), which the server's store keeps
	// as the value grows (entry.checksum), for Digest. Only the server sets it, with
	// Value, in the reply it hands the network, which takes the digest from that reply
	// at once (netsim's digest) and clones it. (It fits the padding after Err.)
	sum   uint32
	Value string // Get only
	// Leader is, with ErrWrongLeader, the address (node id) of the server the replier
	// believes leads its current term, or -1: a hint that saves the clerk a round of
	// servers after every election.
	Leader int
}

// Size is the reply's wire size.
func (r *OpReply) Size() int { return 2 + len(r.Value) }

// Clone copies the reply.
func (r *OpReply) Clone() any { c := *r; return &c }

// CloneInto copies the reply into dst, an earlier copy a clerk gave back
// (netsim.Recopier: see netsim.Endpoint.RecycleReply).
func (r *OpReply) CloneInto(dst any) any {
	if c, ok := dst.(*OpReply); ok {
		*c = *r
		return c
	}
	return r.Clone()
}

// The digests' hash: FNV-1a's constants fold words; long strings fold as their length and
// their CRC-32C (raft.Checksum, the Raft records' checksum), which the CPU computes eight
// bytes an instruction (the values of the 6.824 workloads run to kilobytes, and every Get's
// reply carries one: a word-at-a-time FNV over them was 2.4% of
// kv/SnapshotRecoverManyClients3B's instructions). Deterministic on every machine:
// hash/crc32 gives the same value with or without the instruction.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashUint(h, v uint64) uint64 {
	h = (h ^ v) * fnvPrime
	return h ^ h>>32
}

// hashString folds s, its length and its contents, into h: a string of up to 16 bytes (keys,
// and the tokens the clerks append) as two words, since a checksum's call costs more than such a
// string; a longer one by its CRC-32C.
func hashString(h uint64, s string) uint64 {
	// The string's own bytes, not a copy ([]byte(s) would allocate one per digest): only
	// read here.
	p := unsafe.Slice(unsafe.StringData(s), len(s))
	var a, b uint64 // with the length, these determine a short string
	switch n := len(p); {
	case n > 16:
		return hashLong(h, n, raft.Checksum(p))
	case n >= 8: // the first and the last eight bytes, overlapping below 16
		a, b = binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[n-8:])
	case n >= 4:
		a, b = uint64(binary.LittleEndian.Uint32(p)), uint64(binary.LittleEndian.Uint32(p[n-4:]))
	case n > 0: // bytes 0, n/2 and n-1 are all of them
		a = uint64(p[0]) | uint64(p[n/2])<<8 | uint64(p[n-1])<<16
	}
	return hashUint(hashUint(hashUint(h, uint64(len(p))), a), b)
}

// hashLong is hashString(h, s) for a string s longer than 16 bytes, of length n and
// CRC-32C sum.
func hashLong(h uint64, n int, sum uint32) uint64 { return hashUint(h, uint64(n)<<32|uint64(sum)) }

// Digest is the request's contents for the trace hash (netsim.Digester).
func (a *OpArgs) Digest() uint64 {
	h := hashUint(fnvOffset, uint64(a.Op))
	h = hashUint(h, uint64(a.Client))
	h = hashUint(h, uint64(a.Seq))
	h = hashString(h, a.Key)
	return hashString(h, a.Value)
}

// Digest is the reply's contents for the trace hash (netsim.Digester). A Get's value is
// hashed here, once per reply delivered, and nowhere else (see Server.apply).
func (r *OpReply) Digest() uint64 {
	h := hashUint(fnvOffset, uint64(r.Err))
	h = hashUint(h, uint64(int64(r.Leader)))
	if r.sum != 0 {
		return hashLong(h, len(r.Value), r.sum) // hashString(h, r.Value), with the sum kept
	}
	return hashString(h, r.Value)
}
