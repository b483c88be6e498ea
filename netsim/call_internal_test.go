package netsim

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestRequestSize: a Request is allocated per delivered request, 48 bytes
// with the dispatch's use and copy packed in one word (Request.tag); one
// field more puts it in the allocator's 64-byte class.
func TestRequestSize(t *testing.T) {
	require.Equal(t, uintptr(48), unsafe.Sizeof(Request{}))
}
