package apps

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

func init() {
	register(&App{Name: "wc", Description: "word count (mrapps/wc.go)", Map: wcMap, MapEmit: wcMapEmit, Reduce: wcReduce})
	register(&App{Name: "indexer", Description: "inverted index: word -> documents (mrapps/indexer.go)",
		Map: indexerMap, MapEmit: indexerMapEmit, Reduce: indexerReduce})
}

// notLetter is the originals' separator: a word is a maximal run of
// Unicode letters, so "don't" is two words and digits are separators.
func notLetter(r rune) bool { return !unicode.IsLetter(r) }

// eachWord calls f with every word of s, in order: the words of
// strings.FieldsFunc(s, notLetter) without building the slice, reading ASCII
// by one table lookup a byte. The workers tokenise the 3.3 MB corpus three
// to four times a seed (550,000 words each time).
func eachWord(s string, f func(w string)) {
	i := 0
	for {
		for i < len(s) && byteClass[s[i]] == separator {
			i++
		}
		if i == len(s) {
			return
		}
		start := i
		if byteClass[s[i]] == multibyte {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) { // RuneError for invalid UTF-8: not a letter
				i += size
				continue
			}
		}
		// The word: ASCII letters a byte at a time, others by rune.
		for i < len(s) {
			switch byteClass[s[i]] {
			case letter:
				i++
				continue
			case multibyte:
				if r, size := utf8.DecodeRuneInString(s[i:]); unicode.IsLetter(r) {
					i += size
					continue
				}
			}
			break
		}
		f(s[start:i])
	}
}

// The classes of a byte for eachWord: an ASCII letter, an ASCII separator,
// or the first or a later byte of a multi-byte rune (or invalid UTF-8),
// which takes decoding.
const (
	separator = iota
	letter
	multibyte
)

var byteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = multibyte
		case unicode.IsLetter(rune(c)):
			t[c] = letter
		}
	}
	return t
}()

func countWords(s string) int {
	n := 0
	eachWord(s, func(string) { n++ })
	return n
}

// wcMap emits (word, "1") for every word of the document.
func wcMap(_ Env, _ string, contents string) []KeyValue {
	kva := make([]KeyValue, 0, countWords(contents))
	eachWord(contents, func(w string) { kva = append(kva, KeyValue{Key: w, Value: "1"}) })
	return kva
}

func wcMapEmit(_ Env, _ string, contents string, emit func(key, value string)) {
	eachWord(contents, func(w string) { emit(w, "1") })
}

// wcReduce counts the word's occurrences.
func wcReduce(_ Env, _ string, values []string) string { return strconv.Itoa(len(values)) }

// indexerMap emits (word, document) once for every distinct word of the
// document, in order of first appearance. (The original ranged over a Go
// map, so its order was random; any fixed order keeps intermediate files,
// and so the run, deterministic, and this one costs no sort.)
func indexerMap(env Env, document, contents string) []KeyValue {
	var kva []KeyValue
	indexerMapEmit(env, document, contents, func(k, v string) { kva = append(kva, KeyValue{Key: k, Value: v}) })
	return kva
}

func indexerMapEmit(_ Env, document, contents string, emit func(key, value string)) {
	// A generated book of n bytes has n/25 to n/48 distinct words (10,000
	// to 11,000 in 400 KB): sized for about n/32, the set rehashes once at
	// most as it grows, not a dozen times from empty.
	seen := make(map[string]bool, len(contents)/32)
	eachWord(contents, func(w string) {
		if !seen[w] {
			seen[w] = true
			emit(w, document)
		}
	})
}

// indexerReduce lists the documents a word appears in: "<n> <doc>,<doc>...".
func indexerReduce(_ Env, _ string, values []string) string {
	vv := sortedCopy(values)
	n := len(vv) // the commas
	for _, v := range vv {
		n += len(v)
	}
	b := make([]byte, 0, 20+n)
	b = strconv.AppendInt(b, int64(len(vv)), 10) // fmt.Sprintf("%d %s", ...), without fmt
	b = append(b, ' ')
	for i, v := range vv {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return string(b)
}
