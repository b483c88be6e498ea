package mapreduce

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// TestReferenceIsSequential: the output derived from the generator's word
// counts is mrsequential's output, part for part, on full-size and small
// corpora, for any number of reduce tasks.
func TestReferenceIsSequential(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		spec CorpusSpec
	}{{1, DefaultCorpus()}, {2, DefaultCorpus()}, {3, smallCorpus}} {
		files, tally := generateCorpus(sim.NewRand(tc.seed), tc.spec)
		require.Equal(t, GenerateCorpus(sim.NewRand(tc.seed), tc.spec), files, "counting changes no byte of the corpus")
		tally.sort()
		for _, app := range []string{"wc", "indexer"} {
			for _, nReduce := range []int{1, 10} {
				t.Run(fmt.Sprintf("seed%d/%s/%d", tc.seed, app, nReduce), func(t *testing.T) {
					ref, ok := tallyReference(tally, app, nReduce)
					require.True(t, ok)
					texts := make([]inputText, len(files))
					for i, f := range files {
						texts[i] = inputText{name: f.Name, text: string(f.Data)}
					}
					want := sequentialParts(mustApp(app), texts, nReduce)
					require.Len(t, ref.parts, nReduce)
					for r := range want {
						require.True(t, bytes.Equal(want[r], ref.parts[r]), "part %d differs", r)
					}
				})
			}
		}
	}
	_, ok := tallyReference(&wordTally{}, "nocrash", 10)
	require.False(t, ok, "nocrash's output is not a function of the word counts")
}

func TestReferenceCheck(t *testing.T) {
	ref := &reference{parts: [][]byte{[]byte("a 1\nc 2\n"), nil, []byte("b 3\n")}}
	outputs := func(parts ...string) map[int][]byte {
		m := map[int][]byte{}
		for r, p := range parts {
			m[r] = []byte(p)
		}
		return m
	}
	require.NoError(t, ref.check(outputs("a 1\nc 2\n", "", "b 3\n")))
	require.NoError(t, ref.check(outputs("c 2\na 1\n", "", "b 3\n")), "test-mr.sh sorts the lines: order within a file is free")
	require.NoError(t, ref.check(outputs("a 1\n", "c 2\n\n", "b 3\n")), "and it drops empty lines and ignores files")
	require.ErrorContains(t, ref.check(outputs("a 1\nc 2\n", "", "b 4\n")), `got "b 4", want "b 3"`)
	require.ErrorContains(t, ref.check(outputs("a 1\n", "", "b 3\n")), `first missing "c 2"`)
	require.ErrorContains(t, ref.check(outputs("a 1\nc 2\n", "", "b 3\n", "d 1\n")), `first extra "d 1"`)
}
