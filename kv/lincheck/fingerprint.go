package lincheck

import "math/bits"

// Fingerprint identifies a string: its polynomial hashes a and b (sum of s[i]*B^(n-1-i)
// mod 2^61-1, for bases baseA and baseB) and its length n. Concatenating a string onto
// another needs B^n of the one appended, which Concat takes from a table for the short
// strings most are (Append values) and computes for the others: the fingerprints of a
// history's inputs, outputs and model states, which a check allocates by the thousand,
// are a third smaller without it.
type Fingerprint struct {
	a, b uint64
	n    int
	set  bool // computed (the zero fingerprint is "not yet")
}

const (
	mersenne61 = 1<<61 - 1
	baseA      = 0x1b873593_cc9e2d51 & mersenne61
	baseB      = 0x27d4eb2f_165667b1 & mersenne61
)

// FingerprintOf returns the fingerprint of s.
func FingerprintOf(s string) Fingerprint {
	f := Fingerprint{n: len(s), set: true}
	for i := 0; i < len(s); i++ {
		c := uint64(s[i]) + 1
		f.a = addmod(mulmod(f.a, baseA), c)
		f.b = addmod(mulmod(f.b, baseB), c)
	}
	return f
}

// power returns baseA^n and baseB^n: from the table for the short strings that most are
// (the values Put and Append write, and what each Get adds to the one before), else by
// squaring (a Get's value runs to kilobytes: two more products per byte were half of
// FingerprintOf's loop).
func power(n int) (pa, pb uint64) {
	if n < len(powers) {
		return powers[n][0], powers[n][1]
	}
	return powmod(baseA, n), powmod(baseB, n)
}

// powers holds baseA^n and baseB^n for n below its length: powmod's squarings were a
// quarter of FingerprintOf's instructions on kv/Swarm's histories. Never written after
// it is built.
var powers = func() (p [64][2]uint64) {
	p[0] = [2]uint64{1, 1}
	for n := 1; n < len(p); n++ {
		p[n] = [2]uint64{mulmod(p[n-1][0], baseA), mulmod(p[n-1][1], baseB)}
	}
	return p
}()

// powmod returns x^n mod 2^61-1.
func powmod(x uint64, n int) uint64 {
	r := uint64(1)
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			r = mulmod(r, x)
		}
		x = mulmod(x, x)
	}
	return r
}

// Concat returns the fingerprint of the concatenation of the strings f and g identify.
func (f Fingerprint) Concat(g Fingerprint) Fingerprint {
	pa, pb := power(g.n)
	return Fingerprint{
		a:   addmod(mulmod(f.a, pa), g.a),
		b:   addmod(mulmod(f.b, pb), g.b),
		n:   f.n + g.n,
		set: true,
	}
}

func mulmod(x, y uint64) uint64 {
	hi, lo := bits.Mul64(x, y)
	r := (lo & mersenne61) + (lo>>61 | hi<<3) // x*y mod 2^61-1, up to 2*(2^61-1)
	for r >= mersenne61 {
		r -= mersenne61
	}
	return r
}

func addmod(x, y uint64) uint64 {
	r := x + y
	if r >= mersenne61 {
		r -= mersenne61
	}
	return r
}

// Computed reports whether f was computed (the zero Fingerprint means "not yet").
func (f Fingerprint) Computed() bool { return f.set }

// Hash is one of f's polynomial hashes: a hash of the string f identifies.
func (f Fingerprint) Hash() uint64 { return f.a }
