package raftsim

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIngestHoldsTheSnapshotsValues: whatever the peer applied before (nothing, a prefix
// of the snapshot, more than it, something else, a value with a newline in it), ingest
// leaves its log holding exactly the snapshot's values, its values buffer their encoding
// and its applied index the snapshot's, as a full parse would; only what it already held
// is kept rather than parsed again.
func TestIngestHoldsTheSnapshotsValues(t *testing.T) {
	enc := func(vs ...string) []byte {
		var b []byte
		for _, v := range vs {
			b = append(append(b, '\n'), v...)
		}
		return b
	}
	snapOf := func(vs ...string) []byte { return append([]byte(fmt.Sprint(len(vs))), enc(vs...)...) }
	split := func(vs ...string) [][]byte {
		var l [][]byte
		for _, v := range vs {
			l = append(l, []byte(v))
		}
		return l
	}
	for _, tc := range []struct {
		name    string
		applied []string // what the peer applied, in order (its log's prefix)
		extra   []string // what its log holds beyond (a previous instance's)
		snap    []string
	}{
		{"nothing applied", nil, nil, []string{"a", "bb", "c"}},
		{"nothing applied, an old log", nil, []string{"a", "x"}, []string{"a", "bb", "c"}},
		{"a prefix applied", []string{"a", "bb"}, nil, []string{"a", "bb", "c", "dd"}},
		{"all of it applied", []string{"a", "bb", "c"}, nil, []string{"a", "bb", "c"}},
		{"more applied than the snapshot holds", []string{"a", "bb", "c", "dd"}, []string{"e"}, []string{"a", "bb"}},
		{"a value cut short", []string{"a", "b"}, nil, []string{"a", "bb", "c"}},
		{"a value longer", []string{"a", "bb", "cc"}, nil, []string{"a", "bb", "c"}},
		{"another history", []string{"x", "y"}, nil, []string{"a", "bb", "c"}},
		{"a value with a newline applied", []string{"a\nbb"}, nil, []string{"a", "bb", "c"}},
		{"empty values", []string{"", ""}, nil, []string{"", "", "z"}},
	} {
		// Installed while running (apply), and restored at a boot, which resets the
		// peer's values and applied index first and hands ingest the previous ones.
		for _, boot := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/boot=%v", tc.name, boot), func(t *testing.T) {
				c := &Cluster{logs: [][][]byte{split(append(append([]string(nil), tc.applied...), tc.extra...)...)},
					values: [][]byte{enc(tc.applied...)}, applied: []int{len(tc.applied)}}
				known, k := c.values[0], c.applied[0]
				if boot {
					c.values[0], c.applied[0] = c.values[0][:0], 0
				}
				snap := snapOf(tc.snap...)
				require.Equal(t, len(tc.snap), c.ingest(0, snap, known, k))
				require.Equal(t, split(tc.snap...), c.logs[0])
				require.Equal(t, enc(tc.snap...), c.values[0])
				require.Equal(t, len(tc.snap), c.applied[0])
				require.True(t, bytes.Equal(snapOf(tc.snap...), snap), "the snapshot is not written")
			})
		}
	}
}
