package lincheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestFingerprints(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := rapid.String().Draw(t, "a"), rapid.String().Draw(t, "b")
		if FingerprintOf(a).Concat(FingerprintOf(b)) != FingerprintOf(a+b) {
			t.Fatalf("concat(%q, %q) differs from the fingerprint of the concatenation", a, b)
		}
		if a != b && FingerprintOf(a) == FingerprintOf(b) {
			t.Fatalf("collision: %q and %q", a, b)
		}
	})
	require.Equal(t, mersenne61-1, int(mulmod(mersenne61-1, 1)))
	require.Equal(t, 1, int(mulmod(mersenne61-1, mersenne61-1)), "(-1)^2 = 1")
}

// TestPowmod: the powers a fingerprint carries are B^n, as n products by B make them.
func TestPowmod(t *testing.T) {
	p := uint64(1)
	for n := 0; n < 300; n++ {
		require.Equal(t, p, powmod(baseA, n), "n=%d", n)
		p = mulmod(p, baseA)
	}
	require.Equal(t, FingerprintOf("ab").Concat(FingerprintOf("")), FingerprintOf("ab"))
}

// TestPowerTable: the table Concat takes short strings' powers from holds powmod's, and
// Concat is right on both sides of it (appending a string shorter than the table, and
// one longer).
func TestPowerTable(t *testing.T) {
	for n := range len(powers) {
		require.Equal(t, [2]uint64{powmod(baseA, n), powmod(baseB, n)}, powers[n], "n=%d", n)
	}
	long := strings.Repeat("ab", len(powers))
	for _, cut := range []int{1, 6, len(powers) - 1, len(powers), len(powers) + 1, len(long) - 1} {
		require.Equal(t, FingerprintOf(long), FingerprintOf(long[:cut]).Concat(FingerprintOf(long[cut:])), "cut at %d", cut)
	}
}
