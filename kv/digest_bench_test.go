package kv

import (
	"strings"
	"testing"
)

// BenchmarkDigest measures the trace digests netsim takes of every delivered KV.Op message:
// a request (an Append's short key and token, as the 6.824 clerks send) and a reply (a
// Get's, carrying a value of 4 KB, as values grow to late in a 3B iteration).
//
//	go test ./kv -run '^$' -bench Digest -benchmem -test.cpu 1
func BenchmarkDigest(b *testing.B) {
	args := &OpArgs{Command: Command{Op: OpAppend, Client: 7, Seq: 31, Key: "7", Value: "x 7 31 y"}}
	reply := &OpReply{Value: strings.Repeat("x 7 31 y", 512)}
	var sink uint64
	b.Run("Request", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sink ^= args.Digest()
		}
	})
	b.Run("Reply4KB", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(reply.Value)))
		for i := 0; i < b.N; i++ {
			sink ^= reply.Digest()
		}
	})
	_ = sink
}
