package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		u := rapid.Uint64().Draw(t, "u")
		i := rapid.Int64().Draw(t, "i")
		b := rapid.Byte().Draw(t, "b")
		s := rapid.String().Draw(t, "s")
		ints := rapid.SliceOf(rapid.Int()).Draw(t, "ints")
		m := rapid.MapOf(rapid.String(), rapid.String()).Draw(t, "m")
		sess := rapid.MapOf(rapid.Int64(), rapid.Int64()).Draw(t, "sessions")
		e, c := Encoder{}, Encoder{Count: true}
		for _, e := range []*Encoder{&e, &c} {
			e.Uint(u)
			e.Int(i)
			e.Byte(b)
			e.Str(s)
			e.Ints(ints)
			e.StrMap(m)
			e.Sessions(sess)
		}
		require.Equal(t, len(e.B), c.N, "counted size")
		require.Equal(t, c.N, c.Len())
		require.Empty(t, c.B, "a counting encoder appends nothing")

		d := Decoder{B: e.B}
		require.Equal(t, u, d.Uint())
		require.Equal(t, i, d.Int())
		require.Equal(t, b, d.Byte())
		require.Equal(t, s, d.Str())
		got := d.Ints()
		if len(ints) == 0 {
			require.Empty(t, got)
		} else {
			require.Equal(t, ints, got)
		}
		require.Equal(t, m, d.StrMap())
		require.Equal(t, sess, d.Sessions())
		require.NoError(t, d.End("all"))

		// Every truncation is an error, never a silently shorter value.
		for n := 0; n < len(e.B); n++ {
			d := Decoder{B: e.B[:n]}
			d.Uint()
			d.Int()
			d.Byte()
			d.Str()
			d.Ints()
			d.StrMap()
			d.Sessions()
			require.Error(t, d.End("truncated"), "at %d", n)
		}
	})
}

// TestMapsInKeyOrder: equal maps encode to equal bytes, whatever their insertion order.
func TestMapsInKeyOrder(t *testing.T) {
	a, b := map[string]string{}, map[string]string{}
	for i := 0; i < 50; i++ {
		a[string(rune('a'+i))] = "v"
		b[string(rune('a'+49-i))] = "v"
	}
	ea, eb := Encoder{}, Encoder{}
	ea.StrMap(a)
	eb.StrMap(b)
	require.Equal(t, ea.B, eb.B)
}

func TestHugeCountIsAnError(t *testing.T) {
	e := Encoder{}
	e.Uint(1 << 40) // a count far beyond the bytes that follow
	d := Decoder{B: e.B}
	require.Empty(t, d.StrMap())
	require.ErrorIs(t, d.End("count"), ErrShort)
	d = Decoder{B: []byte{1, 2}}
	d.Uint()
	require.Error(t, d.End("trailing"), "trailing bytes are an error")
}
