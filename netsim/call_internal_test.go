package netsim

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestRequestSize: a Request is allocated per delivered request, 40 bytes
// with the dispatch's use, method and copy packed in one word (Request.tag).
func TestRequestSize(t *testing.T) {
	require.Equal(t, uintptr(40), unsafe.Sizeof(Request{}))
}

// TestCallSize: a call record is three cache lines (see call).
func TestCallSize(t *testing.T) {
	require.Equal(t, uintptr(192), unsafe.Sizeof(call{}))
}

// TestRequestTag: each field of a packed tag reads back, whatever the others
// hold, with the recycled bits set or not (recycledArgsBit only with
// recycledBit, as dispatch sets them).
func TestRequestTag(t *testing.T) {
	for _, gen := range []uint64{0, 1, 1<<(64-useShift) - 1} {
		for _, idx := range []int{0, 1, maxMethods - 1} {
			for _, k := range []uint8{0, 1, 2} {
				for _, recycled := range []uint64{0, recycledBit, recycledBit | recycledArgsBit} {
					tag := requestTag(gen, idx, k) | recycled
					require.Equal(t, uint64(k), tag&(1<<copyBits-1))
					require.Equal(t, recycled, tag&(recycledBit|recycledArgsBit))
					require.Equal(t, uint64(idx), tag>>methodShift&(maxMethods-1))
					require.Equal(t, gen<<useShift, tag>>useShift<<useShift)
				}
			}
		}
	}
}
