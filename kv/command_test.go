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
