package register

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The state record tells every corruption the disk model makes (a flipped
// bit, a zeroed sector) and every torn tail from a good record.
func TestRecordDetectsCorruptionAndTears(t *testing.T) {
	good := encode(42, "v42")
	version, value, err := decode(good)
	require.NoError(t, err)
	require.Equal(t, 42, version)
	require.Equal(t, "v42", value)
	for i := range good {
		for bit := range 8 {
			b := append([]byte{}, good...)
			b[i] ^= 1 << bit
			_, _, err := decode(b)
			require.ErrorContains(t, err, "corrupt", "bit %d of byte %d flipped", bit, i)
		}
	}
	for n := range len(good) {
		_, _, err := decode(good[:n])
		require.Error(t, err, "torn to %d bytes", n)
	}
	_, _, err = decode(make([]byte, len(good))) // a lost write: the sector reads as zeros
	require.ErrorContains(t, err, "corrupt")
}
