package mapreduce

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestDigestsCoverContents: the RPC messages and the file system's writes reach the trace
// hash by content, not by size alone, so two runs differing only in a value differ in hash.
func TestDigestsCoverContents(t *testing.T) {
	require.NotEqual(t, GetTaskArgs{PID: 1}.Digest(), GetTaskArgs{PID: 2}.Digest())
	a := Assignment{Kind: TaskMap, Index: 1, Attempt: 3, File: "pg-a.txt", NMap: 8, NReduce: 10}
	b := a
	b.File = "pg-b.txt"
	require.Equal(t, GetTaskReply{a}.Digest(), GetTaskReply{a}.Digest())
	require.NotEqual(t, GetTaskReply{a}.Digest(), GetTaskReply{b}.Digest())
	require.NotEqual(t, ReportArgs{PID: 1, Kind: TaskMap, Index: 2, Attempt: 3}.Digest(),
		ReportArgs{PID: 1, Kind: TaskMap, Index: 2, Attempt: 4}.Digest())
	require.NotEqual(t, ReportReply{Accepted}.Digest(), ReportReply{Stale}.Digest())

	write := func(data string) uint64 {
		w := sim.NewWorld(sim.Options{Seed: 1})
		fs := NewFS(w)
		h := fs.CreateTemp("worker", "mr-out-0")
		h.Write([]byte(data))
		h.Close()
		fs.Rename(h.Name(), "mr-out-0")
		return w.Hash()
	}
	require.Equal(t, write("aaaa"), write("aaaa"))
	require.NotEqual(t, write("aaaa"), write("bbbb"))
}

// TestDigestBytesSeesEveryBit: flipping any one bit of an input, or any two,
// changes its digest, for inputs of whole words and a tail; so does adding a
// zero byte.
func TestDigestBytesSeesEveryBit(t *testing.T) {
	for _, n := range []int{1, 8, 13, 24} {
		base := make([]byte, n)
		for i := range base {
			base[i] = byte(i*37 + 11)
		}
		want := digestBytes(digestSeed, base)
		seen := map[uint64]bool{want: true}
		flip := func(bits ...int) []byte {
			b := append([]byte(nil), base...)
			for _, bit := range bits {
				b[bit/8] ^= 1 << (bit % 8)
			}
			return b
		}
		for i := 0; i < 8*n; i++ {
			for j := i; j < 8*n; j++ {
				b := flip(i)
				if j > i {
					b = flip(i, j)
				}
				d := digestBytes(digestSeed, b)
				require.NotEqual(t, want, d, "n=%d bits %d, %d", n, i, j)
				seen[d] = true
			}
		}
		require.Len(t, seen, 1+8*n*(8*n+1)/2, "n=%d: every one- and two-bit change has its own digest", n)
		require.NotEqual(t, want, digestBytes(digestSeed, append(base, 0)))
	}
}
