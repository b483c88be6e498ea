package ctrler

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
)

// TestCopiesKeepListsApart: Clone and the decoder put every group's server list in one
// array; appending to one list, or writing a copy's list, changes no other list and not
// the original. Map order decides which list follows which in the array, so each copy
// is made many times.
func TestCopiesKeepListsApart(t *testing.T) {
	c := Config{Num: 3, Groups: map[int][]string{1: {"a", "b"}, 2: {"c"}, 3: {"d", "e", "f"}, 4: {}}}
	want := c.Clone()
	e := wire.Encoder{}
	appendConfig(&e, c)
	for i := 0; i < 50; i++ {
		d := c.Clone()
		decoded := readConfig(&wire.Decoder{B: e.B})
		for _, cp := range []Config{d, decoded} {
			require.True(t, cp.Equal(c))
			for gid := range cp.Groups {
				cp.Groups[gid] = append(cp.Groups[gid], "x")
				for other, servers := range cp.Groups {
					if other != gid {
						require.Equal(t, want.Groups[other], servers, "appending to group %d's list", gid)
					}
				}
				cp.Groups[gid] = cp.Groups[gid][:len(cp.Groups[gid])-1]
			}
			cp.Groups[2][0] = "y"
			require.Equal(t, []string{"c"}, c.Groups[2], "a copy's list is its own")
		}
	}
}
