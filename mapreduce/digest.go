package mapreduce

import "encoding/binary"

// FNV-1a over 64-bit words and strings, for the digests the trace hash folds
// (messages, file writes): the same function on every machine.
const (
	digestSeed  = 14695981039346656037
	digestPrime = 1099511628211
)

// digest folds each of vs into h, byte by byte.
func digest(h uint64, vs ...uint64) uint64 {
	for _, v := range vs {
		for i := 0; i < 8; i++ {
			h = (h ^ (v & 0xff)) * digestPrime
			v >>= 8
		}
	}
	return h
}

// digestString folds s, length first, into h.
func digestString(h uint64, s string) uint64 {
	h = digest(h, uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * digestPrime
	}
	return h
}

// digestBytes folds b, length first, into h eight bytes at a time, then
// its last bytes one by one. Each little-endian word is xored in and mixed
// by two rounds of multiply-xorshift (a bijection of h for a given word, so
// two inputs that differ in one word always differ in digest; two rounds,
// because after one a change in a word's high bits leaves a difference of
// two or three bits that a change of two bits in the next word cancels).
// The file system digests every byte the workers write, about 5 MB a wc
// job: FNV-1a a byte at a time (sim.HashBytes) waits for one multiply per
// byte, this for two per eight bytes.
func digestBytes(h uint64, b []byte) uint64 {
	h = digest(h, uint64(len(b)))
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0x9e3779b97f4a7c15
		h = (h ^ h>>32) * 0xbf58476d1ce4e5b9
		h ^= h >> 29
		b = b[8:]
	}
	for _, c := range b {
		h = (h ^ uint64(c)) * digestPrime
	}
	return h
}
