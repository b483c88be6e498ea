package kv

import (
	"strconv"
	"testing"
)

// benchStore is the state of a kv/SnapshotRecoverManyClients3B server late in an
// iteration: 20 clerks, each appending "x c j y" values to its own key (about 4.8 KB in
// all), and the commands it applies: each clerk's next Append or Get, in turn.
func benchStore() (*Store, [][]byte) {
	s := NewStore()
	var cmds [][]byte
	for c := 1; c <= 20; c++ {
		key := strconv.Itoa(c)
		for j := 0; j < 25; j++ {
			s.Apply(Command{Op: OpAppend, Client: int64(c), Seq: int64(j + 1), Key: key, Value: "x " + key + " " + strconv.Itoa(j) + " y"})
		}
	}
	for j := 25; j < 75; j++ {
		for c := 1; c <= 20; c++ {
			key := strconv.Itoa(c)
			cmd := Command{Op: OpGet, Client: int64(c), Seq: int64(j + 1), Key: key}
			if j%2 == 0 {
				cmd.Op, cmd.Value = OpAppend, "x "+key+" "+strconv.Itoa(j)+" y"
			}
			cmds = append(cmds, cmd.Encode())
		}
	}
	return s, cmds
}

// BenchmarkStore measures a replica's own work per command and per snapshot, apart from
// Raft and the simulator: Apply is decoding a committed command and applying it (every
// replica does it for every command), Encode is taking a snapshot of the store above,
// Decode restoring one (an InstallSnapshot or a restart).
//
//	go test ./kv -run '^$' -bench Store -benchmem -test.cpu 1
func BenchmarkStore(b *testing.B) {
	b.Run("Apply", func(b *testing.B) {
		s, cmds := benchStore()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if i%len(cmds) == 0 && i > 0 {
				b.StopTimer()
				s, _ = benchStore() // a store whose sessions have not seen these commands
				b.StartTimer()
			}
			c, err := decodeView(cmds[i%len(cmds)])
			if err != nil {
				b.Fatal(err)
			}
			s.apply(&c, i+1, true)
		}
	})
	b.Run("Encode", func(b *testing.B) {
		s, _ := benchStore()
		b.ReportAllocs()
		b.SetBytes(int64(len(s.Encode())))
		for i := 0; i < b.N; i++ {
			s.Encode()
		}
	})
	b.Run("Decode", func(b *testing.B) {
		s, _ := benchStore()
		snap := s.Encode()
		b.ReportAllocs()
		b.SetBytes(int64(len(snap)))
		for i := 0; i < b.N; i++ {
			if _, err := DecodeStore(snap); err != nil {
				b.Fatal(err)
			}
		}
	})
}
