package lincheck

import (
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
