package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFreeListLastInFirstOut(t *testing.T) {
	var f FreeList[*int]
	require.Nil(t, f.Get(), "an empty list")
	a, b := new(int), new(int)
	f.Put(a)
	f.Put(b)
	require.Same(t, b, f.Get())
	require.Same(t, a, f.Get())
	require.Nil(t, f.Get(), "emptied")
	require.Equal(t, []*int{nil, nil}, f.items[:2], "no slot keeps a record handed out")
}
