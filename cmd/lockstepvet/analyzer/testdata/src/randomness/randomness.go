package randomness

import (
	crand "crypto/rand"
	"math/rand"
	randv2 "math/rand/v2"

	"github.com/lockstep-dst/lockstep/sim"
)

func Draws(w *sim.World, seed int64) int {
	a := rand.Intn(10)                   // want `global randomness math/rand.Intn: it draws from the package's global source`
	b := randv2.N(10)                    // want `global randomness math/rand/v2.N`
	randv2.Shuffle(3, func(i, j int) {}) // want `global randomness math/rand/v2.Shuffle`
	rand.Seed(seed)                      // want `global randomness math/rand.Seed`
	var buf [8]byte
	crand.Read(buf[:]) // want `crypto randomness crypto/rand.Read: it cannot be seeded`
	_ = crand.Reader   // want `crypto randomness crypto/rand.Reader`
	// A generator built from an explicit seed is deterministic.
	r := rand.New(rand.NewSource(seed))
	r2 := randv2.New(randv2.NewPCG(uint64(seed), 1))
	var z *rand.Zipf = rand.NewZipf(r, 1.5, 2, 10)
	_ = z
	// So are the kernel's streams.
	s := w.Rand("draws")
	s.Shuffle(3, func(i, j int) {})
	return a + b + r.Intn(10) + r2.IntN(10) + s.IntN(10)
}
