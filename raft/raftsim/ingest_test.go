package raftsim

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIngestHoldsTheSnapshotsValues: whatever the peer applied before (nothing, a prefix
// of the snapshot, more than it), ingest leaves its log holding exactly the snapshot's
// values, its values buffer their encoding and its applied index the snapshot's, as a full
// parse would; and a snapshot whose values are not the ones the group applied at their
// indices (a value cut short or longer, another history, the values of one applied value
// with a newline) fails the run as the apply checker, at the ingest.
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
		name     string
		applied  []string // what the peer applied, in order (its log's prefix)
		extra    []string // what its log holds beyond (a previous instance's)
		snap     []string
		conflict bool // the snapshot holds values other than the ones applied
	}{
		{"nothing applied", nil, nil, []string{"a", "bb", "c"}, false},
		{"nothing applied, an old log", nil, []string{"a", "bb"}, []string{"a", "bb", "c"}, false},
		{"a prefix applied", []string{"a", "bb"}, nil, []string{"a", "bb", "c", "dd"}, false},
		{"all of it applied", []string{"a", "bb", "c"}, nil, []string{"a", "bb", "c"}, false},
		{"more applied than the snapshot holds", []string{"a", "bb", "c", "dd"}, []string{"e"}, []string{"a", "bb"}, false},
		{"empty values", []string{"", ""}, nil, []string{"", "", "z"}, false},
		{"an old log of other values", nil, []string{"a", "x"}, []string{"a", "bb", "c"}, true},
		{"a value cut short", []string{"a", "b"}, nil, []string{"a", "bb", "c"}, true},
		{"a value longer", []string{"a", "bb", "cc"}, nil, []string{"a", "bb", "c"}, true},
		{"another history", []string{"x", "y"}, nil, []string{"a", "bb", "c"}, true},
		{"a value with a newline applied", []string{"a\nbb"}, nil, []string{"a", "bb", "c"}, true},
	} {
		// Installed while running (apply), and restored at a boot, which resets the
		// peer's values and applied index first and hands ingest the previous ones.
		for _, boot := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/boot=%v", tc.name, boot), func(t *testing.T) {
				group := append(append([]string(nil), tc.applied...), tc.extra...)
				snap := snapOf(tc.snap...)
				res := onCluster(t, false, group, func(c *Cluster) {
					c.logLen[0] = c.history.len()
					c.values[0], c.applied[0] = enc(tc.applied...), len(tc.applied)
					known, k := c.values[0], c.applied[0]
					if boot {
						c.values[0], c.applied[0] = c.values[0][:0], 0
					}
					index := c.ingest(0, snap, known, k)
					if tc.conflict {
						return
					}
					require.Equal(t, len(tc.snap), index)
					require.Equal(t, split(tc.snap...), c.log(0))
					require.Equal(t, enc(tc.snap...), c.values[0])
					require.Equal(t, len(tc.snap), c.applied[0])
				})
				if tc.conflict {
					require.False(t, res.Passed(), "a snapshot of other values ingested")
					require.Equal(t, "apply", res.Failure.Check, "%v", res.Failure)
					return
				}
				require.True(t, res.Passed(), "%v", res.Failure)
				require.True(t, bytes.Equal(snapOf(tc.snap...), snap), "the snapshot is not written")
			})
		}
	}
}
