package sim

import (
	"math"
	"math/bits"
	"time"
)

// Rand is a seeded, splittable random stream. Every component draws from its
// own stream, split from the run's seed by name, so that adding a draw in one
// component does not reshuffle the choices of every other one.
//
// The generator is SplitMix64: one add and three mixing steps per draw, good
// enough statistically for scheduling and fault decisions, and cheap enough to
// draw on every event.
type Rand struct {
	seed  uint64 // the stream's starting state: what Fork and Keyed derive from
	state uint64
}

// NewRand returns a stream seeded with seed.
func NewRand(seed uint64) *Rand { return newStream(mix64(seed)) }

func newStream(seed uint64) *Rand { return &Rand{seed: seed, state: seed} }

// mix64 is the SplitMix64 finaliser: a bijection that spreads every input bit
// over the whole output.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hashString is FNV-1a, used to derive stream seeds from names.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 {
	r.state += 0x9e3779b97f4a7c15
	return mix64(r.state)
}

// Fork returns an independent stream named name, derived from this stream's
// seed but not its position: forking does not consume a draw, so the parent
// and every other fork see the same values whatever order they are forked in.
func (r *Rand) Fork(name string) *Rand {
	return newStream(mix64(r.seed ^ mix64(hashString(name))))
}

// Keyed returns a stream for one decision identified by key (a message
// sequence number, a fault index), so that removing one decision from a run
// leaves every other keyed decision unchanged: what makes shrinking possible.
func (r *Rand) Keyed(key uint64) *Rand {
	return newStream(mix64(r.seed ^ mix64(key^0x5851f42d4c957f2d)))
}

// Int64N returns a uniform value in [0, n). It panics if n <= 0.
func (r *Rand) Int64N(n int64) int64 {
	if n <= 0 {
		panic("sim: Rand.Int64N with n <= 0")
	}
	return int64(r.uint64n(uint64(n)))
}

// IntN returns a uniform value in [0, n). It panics if n <= 0.
func (r *Rand) IntN(n int) int {
	if n <= 0 {
		panic("sim: Rand.IntN with n <= 0")
	}
	return int(r.uint64n(uint64(n)))
}

// uint64n is Lemire's multiply-shift with rejection: unbiased and, unlike a
// modulo, needs a division only on the rare rejection path.
func (r *Rand) uint64n(n uint64) uint64 {
	for {
		hi, lo := bits.Mul64(r.Uint64(), n)
		if lo >= n || lo >= (-n)%n {
			return hi
		}
	}
}

// Float64 returns a uniform value in [0, 1).
func (r *Rand) Float64() float64 {
	return float64(r.Uint64()>>11) / (1 << 53)
}

// Chance reports true with probability p.
func (r *Rand) Chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	return r.Float64() < p
}

// Duration returns a uniform duration in [lo, hi]. It returns lo if hi <= lo.
func (r *Rand) Duration(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.uint64n(uint64(hi-lo)+1))
}

// Exp returns an exponentially distributed duration with the given mean.
func (r *Rand) Exp(mean time.Duration) time.Duration {
	u := r.Float64()
	return time.Duration(-portableLog(1-u) * float64(mean))
}

// portableLog is the natural logarithm computed with basic IEEE operations
// only. math.Log is assembly on amd64 and s390x and Go elsewhere, and the two
// may differ in the last bit: a fault time drawn on a CI machine must be the
// same on an arm64 laptop replaying the seed. Each product is converted
// explicitly, which forbids the compiler to fuse it into a multiply-add
// (another per-architecture difference). x must be positive.
func portableLog(x float64) float64 {
	m, e := math.Frexp(x) // exact: x = m * 2^e, m in [0.5, 1)
	if m < math.Sqrt2/2 {
		m, e = float64(m*2), e-1 // m in [0.707, 1.414): s below stays small
	}
	// ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = (m-1)/(m+1), |s| < 0.172.
	s := float64((m - 1) / (m + 1))
	s2 := float64(s * s)
	sum, term := 0.0, s
	for k := 1; k < 40; k += 2 {
		sum = float64(sum + float64(term/float64(k)))
		term = float64(term * s2)
	}
	return float64(float64(2*sum) + float64(float64(e)*math.Ln2))
}

// Perm returns a random permutation of [0, n).
func (r *Rand) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	r.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// Shuffle permutes n elements with swap (Fisher–Yates).
func (r *Rand) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, r.IntN(i+1))
	}
}
