package mapreduce

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// fsState is what a reader can observe of one name.
type fsState struct {
	exists  bool
	data    string
	partial bool
}

func observe(t *testing.T, fs *FS, name string) fsState {
	t.Helper()
	data, ok := fs.ReadFile(Reader{Who: "test"}, name)
	if !ok {
		return fsState{}
	}
	reads := fs.Reads()
	last := reads[len(reads)-1]
	return fsState{exists: true, data: string(data), partial: last.Partial || last.Temp}
}

func TestFSSemantics(t *testing.T) {
	tests := []struct {
		name  string
		steps func(fs *FS)
		file  string
		want  fsState
		temps int // unpublished temporary files left
	}{
		{
			name: "temp file is invisible under its final name until rename",
			steps: func(fs *FS) {
				h := fs.CreateTemp("w", "mr-out-0")
				h.Write([]byte("a 1\n"))
				h.Close()
			},
			file: "mr-out-0", want: fsState{}, temps: 1,
		},
		{
			name: "rename publishes the whole file at once",
			steps: func(fs *FS) {
				h := fs.CreateTemp("w", "mr-out-0")
				h.Write([]byte("a 1\n"))
				h.Write([]byte("b 2\n"))
				h.Close()
				fs.Rename(h.Name(), "mr-out-0")
			},
			file: "mr-out-0", want: fsState{exists: true, data: "a 1\nb 2\n"},
		},
		{
			name: "rename atomically replaces an existing file",
			steps: func(fs *FS) {
				fs.WriteFile("mr-out-0", []byte("old\n"))
				h := fs.CreateTemp("w", "mr-out-0")
				h.Write([]byte("new\n"))
				h.Close()
				fs.Rename(h.Name(), "mr-out-0")
			},
			file: "mr-out-0", want: fsState{exists: true, data: "new\n"},
		},
		{
			name: "old file stays visible while its replacement is written",
			steps: func(fs *FS) {
				fs.WriteFile("mr-out-0", []byte("old\n"))
				h := fs.CreateTemp("w", "mr-out-0")
				h.Write([]byte("new\n"))
			},
			file: "mr-out-0", want: fsState{exists: true, data: "old\n"}, temps: 1,
		},
		{
			name: "crash mid-write with a temp file leaves only the temp",
			steps: func(fs *FS) {
				h := fs.CreateTemp("w", "mr-1-2")
				h.Write([]byte("half"))
				// The writer's node crashes: it never writes, closes or renames again.
			},
			file: "mr-1-2", want: fsState{}, temps: 1,
		},
		{
			name: "in place, a file is visible and partial while written",
			steps: func(fs *FS) {
				h := fs.Create("w", "mr-out-0")
				h.Write([]byte("a 1\n"))
			},
			file: "mr-out-0", want: fsState{exists: true, data: "a 1\n", partial: true},
		},
		{
			name: "in place, a crash mid-write leaves a partial file under the final name",
			steps: func(fs *FS) {
				fs.WriteFile("mr-out-0", []byte("a 1\nb 2\n"))
				h := fs.Create("w", "mr-out-0") // truncates the complete file
				h.Write([]byte("a 1\n"))
			},
			file: "mr-out-0", want: fsState{exists: true, data: "a 1\n", partial: true},
		},
		{
			name: "in place, a file is complete once its writer closes",
			steps: func(fs *FS) {
				h := fs.Create("w", "mr-out-0")
				h.Write([]byte("a 1\n"))
				h.Close()
			},
			file: "mr-out-0", want: fsState{exists: true, data: "a 1\n"},
		},
		{
			name: "truncation discards a dead writer's bytes and its claim",
			steps: func(fs *FS) {
				dead := fs.Create("dead", "mr-out-0")
				dead.Write([]byte("xxxxxxxx"))
				h := fs.Create("w", "mr-out-0")
				h.Write([]byte("a 1\n"))
				h.Close()
			},
			file: "mr-out-0", want: fsState{exists: true, data: "a 1\n"},
		},
		{
			name: "a stale writer writing after a truncation makes the file partial again",
			steps: func(fs *FS) {
				stale := fs.Create("stale", "mr-out-0")
				stale.Write([]byte("a 1\n"))
				h := fs.Create("w", "mr-out-0")
				h.Write([]byte("a 1\nb 2\n"))
				h.Close()
				stale.Write([]byte("b 2\n")) // at its own offset, 4
			},
			file: "mr-out-0", want: fsState{exists: true, data: "a 1\nb 2\n", partial: true},
		},
		{
			name: "a write past a truncated end leaves a hole of zeros",
			steps: func(fs *FS) {
				a := fs.Create("a", "f")
				a.Write([]byte("abcd"))
				b := fs.Create("b", "f")
				b.Close()
				a.Write([]byte("ef"))
				a.Close()
			},
			file: "f", want: fsState{exists: true, data: "\x00\x00\x00\x00ef"},
		},
		{
			name: "a handle follows its file through a rename",
			steps: func(fs *FS) {
				h := fs.CreateTemp("w", "f")
				h.Write([]byte("ab"))
				fs.Rename(h.Name(), "f")
				h.Write([]byte("cd")) // unusual, but an inode is an inode
			},
			file: "f", want: fsState{exists: true, data: "abcd", partial: true},
		},
		{
			name: "remove deletes the name",
			steps: func(fs *FS) {
				fs.WriteFile("f", []byte("x"))
				fs.Remove("f")
			},
			file: "f", want: fsState{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := NewFS(sim.NewWorld(sim.Options{Seed: 1}))
			tc.steps(fs)
			require.Equal(t, tc.want, observe(t, fs, tc.file))
			require.Len(t, fs.Temps(), tc.temps)
		})
	}
}

func TestFSCopiesInAndOut(t *testing.T) {
	fs := NewFS(sim.NewWorld(sim.Options{Seed: 1}))
	buf := []byte("abc")
	h := fs.Create("w", "f")
	h.Write(buf)
	h.Close()
	buf[0] = 'X' // the writer reuses its buffer
	got, ok := fs.ReadFile(Reader{Who: "r"}, "f")
	require.True(t, ok)
	require.Equal(t, "abc", string(got))
	got[1] = 'Y' // the reader scribbles on its copy
	again, _ := fs.ReadFile(Reader{Who: "r"}, "f")
	require.Equal(t, "abc", string(again))
}

// TestFSInstalledText: a file installed as a string reads as that string
// (shared: strings cannot change), copies out to ReadFile's callers, and is
// an ordinary file for writers: Create truncates it, a rename moves it.
func TestFSInstalledText(t *testing.T) {
	fs := NewFS(sim.NewWorld(sim.Options{Seed: 1}))
	fs.WriteText("in", "some text")
	s, ok := fs.ReadString(Reader{Who: "r"}, "in")
	require.True(t, ok)
	require.Equal(t, "some text", s)
	b, _ := fs.ReadFile(Reader{Who: "r"}, "in")
	b[0] = 'X'
	require.Equal(t, fsState{exists: true, data: "some text"}, observe(t, fs, "in"))
	require.Equal(t, 9, fs.Reads()[0].Size)

	require.True(t, fs.Rename("in", "moved"))
	require.Equal(t, fsState{exists: true, data: "some text"}, observe(t, fs, "moved"))
	h := fs.Create("w", "moved")
	require.Equal(t, fsState{exists: true, partial: true}, observe(t, fs, "moved"), "truncated, being written")
	h.Write([]byte("new"))
	h.Close()
	require.Equal(t, fsState{exists: true, data: "new"}, observe(t, fs, "moved"))
}

func TestFSRecordsReads(t *testing.T) {
	fs := NewFS(sim.NewWorld(sim.Options{Seed: 1}))
	fs.WriteFile("in", []byte("12345"))
	h := fs.CreateTemp("w", "out")
	h.Write([]byte("x"))
	fs.ReadFile(Reader{Who: "a", Attempt: 3}, "in")
	fs.ReadFile(Reader{Who: "b"}, "missing")
	fs.ReadFile(Reader{Who: "c"}, h.Name())
	reads := fs.Reads()
	require.Len(t, reads, 3)
	require.Equal(t, Read{By: Reader{Who: "a", Attempt: 3}, Name: "in", Found: true, Size: 5}, reads[0])
	require.False(t, reads[1].Found)
	require.True(t, reads[2].Temp)

	err := VerifyNoPartialReads(fs)
	var ce *CheckError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, CheckPartialRead, ce.Check)
	require.Contains(t, err.Error(), "out.tmp1")
}

func TestFSListIsSorted(t *testing.T) {
	fs := NewFS(sim.NewWorld(sim.Options{Seed: 1}))
	for _, name := range []string{"mr-3-1", "mr-out-2", "mr-1-1", "pg-x.txt", "mr-10-1"} {
		fs.WriteFile(name, nil)
	}
	require.Equal(t, []string{"mr-1-1", "mr-10-1", "mr-3-1", "mr-out-2"}, fs.List("mr-"))
}
