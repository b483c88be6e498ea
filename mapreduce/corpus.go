package mapreduce

import (
	"math/bits"

	"github.com/lockstep-dst/lockstep/sim"
)

// The lab's input is eight Project Gutenberg books, 3,301,104 bytes in all.
// Rather than ship or download them, a run generates text of the same shape
// from its seed: eight files of about the books' sizes, whose words follow
// Zipf's law as natural language does (the r-th most frequent word is about
// r times rarer than the first), with sentences, capitals, punctuation and
// line breaks, so that word splitting, skew and the indexer's per-document
// vocabularies all look like the real thing.

// InputFile is one input document.
type InputFile struct {
	Name string
	Data []byte
}

// CorpusSpec is the shape of a generated corpus.
type CorpusSpec struct {
	Bytes int // total size, approximately (each file ends at a word boundary)
	// Shared is the vocabulary every document draws from; Private is how
	// many more words each document alone uses (its names and subjects).
	Shared, Private int
	// Common is how many of the most frequent shared words keep their rank
	// in every document (the, of, and); the rest of a document's vocabulary,
	// its private words included, is ranked in its own random order.
	Common int
}

// OriginalBytes is the size of the lab's pg-*.txt inputs.
const OriginalBytes = 3_301_104

// DefaultCorpus matches the lab's input: 3.3 MB, about 500,000 words, about
// 30,000 distinct ones, a quarter of them found in one book only.
func DefaultCorpus() CorpusSpec { return defaultCorpus }

var defaultCorpus = CorpusSpec{Bytes: OriginalBytes, Shared: 12000, Private: 1500, Common: 150}

// books are the lab's input files and their approximate sizes in KB, which
// set the relative sizes of the generated documents.
var books = []struct {
	name string
	kb   int
}{
	{"pg-being_ernest.txt", 139}, {"pg-dorian_gray.txt", 453}, {"pg-frankenstein.txt", 441},
	{"pg-grimm.txt", 540}, {"pg-huckleberry_finn.txt", 594}, {"pg-metamorphosis.txt", 139},
	{"pg-sherlock_holmes.txt", 582}, {"pg-tom_sawyer.txt", 412},
}

// GenerateCorpus draws a corpus from r. The same stream state and spec give
// the same bytes on every platform: the generator uses integer arithmetic
// only (floating-point results may differ where the compiler fuses
// operations).
func GenerateCorpus(r *sim.Rand, spec CorpusSpec) []InputFile {
	files, _ := generateCorpus(r, spec)
	return files
}

// generateCorpus is GenerateCorpus, and what the generator knows of the
// words it wrote (see wordTally), at the cost of one increment per word.
func generateCorpus(r *sim.Rand, spec CorpusSpec) ([]InputFile, *wordTally) {
	vocab := newVocabulary(r.Fork("vocabulary"), spec.Shared+len(books)*spec.Private)
	zipf := newZipf(spec.Shared + spec.Private)
	// Each book's size is its original's share of the total, jittered by up
	// to ±10% so that seeds differ in shape too.
	sizes := make([]int, len(books))
	weightSum := 0
	for i, b := range books {
		sizes[i] = b.kb * (90 + r.IntN(21))
		weightSum += sizes[i]
	}
	files := make([]InputFile, len(books))
	tally := newWordTally(vocab, len(books))
	for i, b := range books {
		target := int(int64(spec.Bytes) * int64(sizes[i]) / int64(weightSum))
		rank := documentRanks(r.Fork(b.name+"/ranks"), spec, i)
		files[i] = InputFile{Name: b.name, Data: writeDocument(r.Fork(b.name), vocab, zipf, rank, target, tally.counts[i:], len(books))}
		tally.docs[i] = b.name
	}
	return files, tally
}

// vocabulary holds the words by global frequency rank, and their
// capitalised forms for the start of a sentence.
type vocabulary struct {
	words, capitals []string
}

// Syllables are onset + vowel + coda. The most frequent words are built
// from the plain parts only, like English function words (the, of, and, to).
var (
	plainOnsets = []string{"", "b", "d", "f", "h", "l", "m", "n", "s", "t", "w", "th", "wh"}
	plainVowels = []string{"a", "e", "i", "o", "u"}
	plainCodas  = []string{"", "", "", "d", "n", "r", "s", "t"}
	onsets      = []string{"", "", "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
		"v", "w", "y", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gr", "pl", "pr", "sh", "sl", "st", "th", "tr", "wh"}
	vowels = []string{"a", "e", "i", "o", "u", "a", "e", "i", "o", "e", "a", "e", "ea", "ee", "ai", "ou", "oo"}
	codas  = []string{"", "", "", "", "", "", "", "n", "r", "s", "t", "l", "d", "m", "ng", "st", "nd", "ck", "ll"}
)

// plainWords is how many of the most frequent words use plain syllables.
const plainWords = 64

// newVocabulary makes n distinct pseudo-words. Frequent words are short, as
// in real text (Zipf's law of abbreviation): the plainWords most frequent
// have one plain syllable, rank r up to 1 + log2(r)/6 syllables, so that the
// corpus averages six to seven bytes per word with its spaces and
// punctuation, close to English prose.
func newVocabulary(r *sim.Rand, n int) vocabulary {
	v := vocabulary{words: make([]string, n), capitals: make([]string, n)}
	seen := make(map[string]bool, n)
	buf := make([]byte, 0, 32)
	for i := 0; i < n; i++ {
		on, vo, co := onsets, vowels, codas
		maxSyl := 1 + bits.Len(uint(i+1))/6
		if i < plainWords {
			on, vo, co, maxSyl = plainOnsets, plainVowels, plainCodas, 1
		}
		for tries := 0; ; tries++ {
			buf = buf[:0]
			syl := 1 + r.IntN(maxSyl) + tries/8 // lengthen the word if short ones are used up
			for s := 0; s < syl; s++ {
				buf = append(buf, on[r.IntN(len(on))]...)
				buf = append(buf, vo[r.IntN(len(vo))]...)
				buf = append(buf, co[r.IntN(len(co))]...)
			}
			if w := string(buf); !seen[w] {
				seen[w] = true
				v.words[i] = w
				buf[0] -= 'a' - 'A'
				v.capitals[i] = string(buf)
				break
			}
		}
	}
	return v
}

// zipf samples ranks 0..n-1 with weight 1/(rank+1) by Vose's alias method,
// in integers: O(1) per draw, so generating 3.3 MB takes milliseconds.
type zipf struct {
	total uint64   // sum of the weights
	prob  []uint64 // keep column i with probability prob[i]/total
	alias []int32  // else take alias[i]
}

func newZipf(n int) *zipf {
	const unit = 1 << 40
	z := &zipf{prob: make([]uint64, n), alias: make([]int32, n)}
	scaled := make([]uint64, n)
	for i := range scaled {
		z.total += unit / uint64(i+1)
	}
	var small, large []int32
	for i := range scaled {
		scaled[i] = unit / uint64(i+1) * uint64(n) // each column's share is total/n
		if scaled[i] < z.total {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		z.prob[s], z.alias[s] = scaled[s], l
		scaled[l] -= z.total - scaled[s]
		if scaled[l] < z.total {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// Leftovers are full columns (rounding leaves no column short by more
	// than n units of 2^-40).
	for _, i := range append(small, large...) {
		z.prob[i], z.alias[i] = z.total, i
	}
	return z
}

func (z *zipf) draw(r *sim.Rand) int {
	col := r.IntN(len(z.prob))
	if uint64(r.Int64N(int64(z.total))) < z.prob[col] {
		return col
	}
	return int(z.alias[col])
}

// documentRanks maps document d's frequency ranks to vocabulary words: the
// common words keep their rank everywhere; the other shared words and d's
// private words (vocabulary entries Shared+d*Private onwards) are shuffled
// together, so each document has its own frequent names and rare words.
func documentRanks(r *sim.Rand, spec CorpusSpec, d int) []int32 {
	rank := make([]int32, 0, spec.Shared+spec.Private)
	for i := 0; i < spec.Shared; i++ {
		rank = append(rank, int32(i))
	}
	for i := 0; i < spec.Private; i++ {
		rank = append(rank, int32(spec.Shared+d*spec.Private+i))
	}
	tail := rank[min(spec.Common, len(rank)):]
	r.Shuffle(len(tail), func(i, j int) { tail[i], tail[j] = tail[j], tail[i] })
	return rank
}

// writeDocument writes about size bytes of sentences: 4 to 23 words,
// capitalised, with the odd comma, ending in '.', '?' or '!', wrapped at 72
// columns, in paragraphs separated by blank lines. It counts every word it
// writes in counts[form*stride] (see wordTally).
func writeDocument(r *sim.Rand, v vocabulary, z *zipf, rank []int32, size int, counts []int32, stride int) []byte {
	const width = 72
	out := make([]byte, 0, size+128)
	col := 0
	for len(out) < size {
		n := 4 + r.IntN(20)
		for k := 0; k < n; k++ {
			i := rank[z.draw(r)]
			w := v.words[i]
			form := 2 * i
			if k == 0 {
				w = v.capitals[i]
				form++
			}
			counts[int(form)*stride]++
			switch {
			case col == 0:
			case col+1+len(w) > width:
				out = append(out, '\n')
				col = 0
			default:
				out = append(out, ' ')
				col++
			}
			out = append(out, w...)
			col += len(w)
			var punct byte
			switch d := r.IntN(100); {
			case k == n-1 && d < 8:
				punct = '?'
			case k == n-1 && d < 12:
				punct = '!'
			case k == n-1:
				punct = '.'
			case d < 7:
				punct = ','
			}
			if punct != 0 {
				out = append(out, punct)
				col++
			}
		}
		if r.IntN(8) == 0 {
			out = append(out, '\n', '\n')
			col = 0
		}
	}
	if col > 0 {
		out = append(out, '\n')
	}
	return out
}
