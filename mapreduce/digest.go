package mapreduce

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
