package mapreduce

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
)

// The output check compares a job's output with the output its application
// has over the corpus. test-mr.sh gets that from mrsequential, which runs the
// application again over the whole input in one process; here that second
// run cost as much as the job itself (tokenising 3.3 MB into 550,000 words,
// then grouping them), once per seed for wc and again for the indexer. The
// corpus generator already knows every word it wrote, so for wc and the
// indexer the expected output is derived from its counts instead: still a
// check independent of the job (nothing of the job's output goes into it),
// and a stronger one, since it also checks the applications' tokenising
// against the words actually written. TestReferenceIsSequential holds it
// equal to mrsequential's output (Sequential) on generated corpora. Other
// applications (nocrash) take Sequential.

// wordTally is what the generator knows of the words it wrote. A word form
// is a vocabulary word (form 2i for word i) or its capitalised form, which
// starts a sentence (form 2i+1): the generator writes words of letters only,
// separated by spaces, newlines and punctuation, so the forms are exactly the
// words the applications' Map splits the text into.
type wordTally struct {
	forms []string // by form number
	docs  []string // document names, by document
	// counts[f*len(docs)+d] is how often form f occurs in document d: a
	// form's counts sit together, as the reference reads them.
	counts []int32
	// sorted is the number of every form that occurs, in key order (byte
	// order of the forms), set by sort before the tally is shared: most
	// capitalised forms never start a sentence.
	sorted []int32
}

func newWordTally(v vocabulary, docs int) *wordTally {
	t := &wordTally{forms: make([]string, 2*len(v.words)), docs: make([]string, docs),
		counts: make([]int32, 2*len(v.words)*docs)}
	for i := range v.words {
		t.forms[2*i], t.forms[2*i+1] = v.words[i], v.capitals[i]
	}
	return t
}

// of returns form f's counts, by document.
func (t *wordTally) of(f int32) []int32 {
	n := len(t.docs)
	return t.counts[int(f)*n : int(f)*n+n]
}

// sort sets t.sorted. A capitalised form differs from its word in the first
// byte only, by the same offset for every letter, so the capitals sort as
// their words do, and all of them before every lower-case word: one sort of
// the vocabulary orders both halves.
func (t *wordTally) sort() {
	n := len(t.forms) / 2
	words := make([]string, n)
	for i := range words {
		words[i] = t.forms[2*i]
	}
	order := sortedKeys(words)
	t.sorted = make([]int32, 0, 2*n)
	for _, w := range order {
		if t.occurs(2*w.n + 1) {
			t.sorted = append(t.sorted, 2*w.n+1)
		}
	}
	for _, w := range order {
		if t.occurs(2 * w.n) {
			t.sorted = append(t.sorted, 2*w.n)
		}
	}
}

// occurs reports whether form f occurs in some document.
func (t *wordTally) occurs(f int32) bool {
	for _, c := range t.of(f) {
		if c > 0 {
			return true
		}
	}
	return false
}

// reference is an application's expected output over a corpus: parts[r] is
// what mr-out-r holds when the job is right and its reduce writes its keys in
// order, one "key value" line each (reduceAll), as every worker does.
type reference struct {
	parts [][]byte
}

// tallyReference derives app's output from t (sorted), if app is one whose
// output is a function of the word counts: wc, the indexer.
func tallyReference(t *wordTally, app string, nReduce int) (*reference, bool) {
	// docOrder lists the documents by name, as the indexer's Reduce sorts
	// them.
	docOrder := make([]int, len(t.docs))
	for d := range docOrder {
		docOrder[d] = d
	}
	slices.SortFunc(docOrder, func(a, b int) int { return strings.Compare(t.docs[a], t.docs[b]) })
	// value appends form f's value to b; false if f occurs nowhere.
	var value func(b []byte, f int32) ([]byte, bool)
	switch app {
	case "wc":
		value = func(b []byte, f int32) ([]byte, bool) {
			n := int64(0)
			for _, c := range t.of(f) {
				n += int64(c)
			}
			return strconv.AppendInt(b, n, 10), n > 0
		}
	case "indexer":
		value = func(b []byte, f int32) ([]byte, bool) {
			counts := t.of(f)
			n := 0
			for _, c := range counts {
				if c > 0 {
					n++
				}
			}
			if n == 0 {
				return b, false
			}
			b = strconv.AppendInt(b, int64(n), 10)
			sep := byte(' ')
			for _, d := range docOrder {
				if counts[d] > 0 {
					b = append(b, sep)
					b = append(b, t.docs[d]...)
					sep = ','
				}
			}
			return b, true
		}
	default:
		return nil, false
	}
	parts := make([][]byte, nReduce)
	var line []byte
	for _, f := range t.sorted {
		key := t.forms[f]
		var ok bool
		if line, ok = value(append(append(line[:0], key...), ' '), f); !ok {
			continue
		}
		r := ihash(key) % nReduce
		parts[r] = append(append(parts[r], line...), '\n')
	}
	return &reference{parts: parts}, true
}

// sequentialReference is mrsequential's output, split by reduce task.
func sequentialReference(app string, inputs []inputText, nReduce int) *reference {
	return &reference{parts: sequentialParts(mustApp(app), inputs, nReduce)}
}

// check compares the job's outputs, by reduce task, with the reference, as
// test-mr.sh does: the sorted non-empty lines of all outputs must equal
// those of the reference. When every output file is byte for byte the
// reference's part, they do, and nothing is split or sorted; otherwise the
// script's comparison decides (a reduce may write its lines in another
// order) and names the first difference.
func (ref *reference) check(outputs map[int][]byte) error {
	same := len(outputs) == len(ref.parts)
	for r := 0; same && r < len(ref.parts); r++ {
		out, ok := outputs[r]
		same = ok && bytes.Equal(out, ref.parts[r])
	}
	if same {
		return nil
	}
	return compareLines(allLines(outputs), SortedLines(bytes.Join(ref.parts, []byte{'\n'})))
}
