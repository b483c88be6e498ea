package kv

import (
	"encoding/binary"
	"testing"

	"pgregory.net/rapid"
)

// TestCommandEncodingIsTheUvarintFormat: Encode writes the documented format (the op byte,
// the client, the sequence number and the key's length as uvarints, the key, the value)
// whether or not the numbers take one byte each, which the encoder writes without
// AppendUvarint.
func TestCommandEncodingIsTheUvarintFormat(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := Command{
			Op:     rapid.SampledFrom([]Op{OpGet, OpPut, OpAppend}).Draw(t, "op"),
			Client: rapid.OneOf(rapid.Int64Range(0, 1<<62), rapid.Int64Range(0, 200)).Draw(t, "client"),
			Seq:    rapid.OneOf(rapid.Int64Range(0, 1<<62), rapid.Int64Range(0, 200)).Draw(t, "seq"),
			Key:    rapid.OneOf(rapid.String(), rapid.StringMatching(`[a-z0-9]{0,3}`)).Draw(t, "key"),
			Value:  rapid.String().Draw(t, "value"),
		}
		want := binary.AppendUvarint([]byte{byte(c.Op)}, uint64(c.Client))
		want = binary.AppendUvarint(want, uint64(c.Seq))
		want = binary.AppendUvarint(want, uint64(len(c.Key)))
		want = append(append(want, c.Key...), c.Value...)
		if got := c.Encode(); string(got) != string(want) {
			t.Fatalf("%v encoded as %q, not %q", c, got, want)
		}
	})
}

// TestCloneIntoCopiesEveryField: CloneInto copies a request or a reply into an earlier copy,
// every field of it (the reply's unexported checksum too), as Clone would, and into a new
// copy if the earlier one is of another type.
func TestCloneIntoCopiesEveryField(t *testing.T) {
	args := &OpArgs{Command{Op: OpAppend, Client: 3, Seq: 200, Key: "k", Value: "value"}}
	oldArgs := &OpArgs{Command{Op: OpGet, Client: 9, Seq: 1, Key: "old", Value: "old"}}
	if got := args.CloneInto(oldArgs); got != oldArgs || *oldArgs != *args {
		t.Fatalf("OpArgs.CloneInto gave %+v (into %p: %p), want %+v", got, oldArgs, got, *args)
	}
	reply := &OpReply{Err: ErrWrongLeader, sum: 7, Value: "value", Leader: 4}
	oldReply := &OpReply{Value: "old", Leader: -1}
	if got := reply.CloneInto(oldReply); got != oldReply || *oldReply != *reply {
		t.Fatalf("OpReply.CloneInto gave %+v (into %p: %p), want %+v", got, oldReply, got, *reply)
	}
	if got, ok := reply.CloneInto(oldArgs).(*OpReply); !ok || *got != *reply {
		t.Fatalf("OpReply.CloneInto an OpArgs gave %+v, want a new %+v", got, *reply)
	}
	if got, ok := args.CloneInto(oldReply).(*OpArgs); !ok || *got != *args {
		t.Fatalf("OpArgs.CloneInto an OpReply gave %+v, want a new %+v", got, *args)
	}
}
