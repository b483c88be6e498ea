package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/seeds"
)

var hashOf = regexp.MustCompile(`hash ([0-9a-f]{16})`)

// lastHash is the last trace hash a command printed.
func lastHash(t *testing.T, out string) string {
	t.Helper()
	all := hashOf.FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, all, out)
	return all[len(all)-1][1]
}

// -faults @entry.json takes a corpus entry as shrink -save writes it: the
// entry's faults and knobs, for its own scenario and seed. A replay of it
// is the shrunk run, hash for hash; a -scenario, -seed or -knobs that
// disagrees with the entry is a usage error naming both.
func TestFaultsFromCorpusEntry(t *testing.T) {
	const name = "clitest/planted/LostCount"
	seed := firstFailing(t, name, 30)
	dir := t.TempDir()
	code, out, errOut := simrun("shrink", "-scenario", name, "-seed", fmt.Sprint(seed), "-save", dir, "-parallel", "1")
	require.Equal(t, 1, code, "%s%s", out, errOut)
	shrunk := lastHash(t, out)
	file := filepath.Join(dir, seeds.FileName(name, seed))
	e, err := seeds.Parse(file, mustRead(t, file))
	require.NoError(t, err)
	require.NotEmpty(t, e.Knobs, "the search lowers the writers knob, so the entry must carry it")

	// With -scenario and -seed, and without: the same run as the shrink's
	// last, knobs taken from the entry.
	code, out, errOut = simrun("replay", "-scenario", name, "-seed", fmt.Sprint(seed), "-faults", "@"+file)
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Equal(t, shrunk, lastHash(t, out))
	require.Contains(t, out, fmt.Sprintf("faults and knobs (%s) of the corpus entry %s, for its scenario %s and seed %d",
		knobsFlag(e.Knobs), file, name, seed))
	code, out, errOut = simrun("replay", "-faults", "@"+file)
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Equal(t, shrunk, lastHash(t, out))
	require.Contains(t, out, fmt.Sprintf("%s seed %d: fail", name, seed))
	code, out, errOut = simrun("replay", "-faults", "@"+file, "-knobs", knobsFlag(e.Knobs))
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Equal(t, shrunk, lastHash(t, out))

	// shrink starts from the entry's minimal plan, and keeps it.
	code, out, errOut = simrun("shrink", "-faults", "@"+file)
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Contains(t, out, "shrunk 1 -> 1 fault actions")
	require.Equal(t, shrunk, lastHash(t, out))

	// A sweep takes the entry's faults, as it takes a plan's.
	code, out, errOut = simrun("run", "-scenario", name, "-seeds", fmt.Sprint(seed), "-faults", "@"+file)
	require.Equal(t, 1, code, "%s%s", out, errOut)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"replay", "-scenario", "clitest/LostCountUnplanted", "-seed", fmt.Sprint(seed)},
			[]string{"is the corpus entry of " + name + " seed " + fmt.Sprint(seed), "-scenario clitest/LostCountUnplanted -seed " + fmt.Sprint(seed) + " was given"}},
		{[]string{"replay", "-seed", fmt.Sprint(seed + 1)},
			[]string{"is the corpus entry of " + name + " seed " + fmt.Sprint(seed), "-seed " + fmt.Sprint(seed+1) + " was given"}},
		{[]string{"shrink", "-scenario", "clitest/LostCountUnplanted"},
			[]string{"is the corpus entry of " + name, "-scenario clitest/LostCountUnplanted"}},
		{[]string{"replay", "-knobs", "writers=3"},
			[]string{"-knobs writers=3 disagrees with the knobs of the corpus entry " + file}},
	} {
		code, _, errOut := simrun(append(tc.args, "-faults", "@"+file)...)
		require.Equal(t, 2, code, "%v: %s", tc.args, errOut)
		for _, w := range tc.want {
			require.Contains(t, errOut, w, tc.args)
		}
	}
}

// An entry still waiting for its fix (shrink -save of a bug that is not
// planted) replays too: seeds.Parse refuses it for the corpus, -faults
// does not, since replaying it is how it gets fixed.
func TestFaultsFromUnfixedEntry(t *testing.T) {
	const name = "clitest/LostCountUnplanted"
	seed := firstFailing(t, name, 30)
	dir := t.TempDir()
	code, out, errOut := simrun("shrink", "-scenario", name, "-seed", fmt.Sprint(seed), "-save", dir, "-max-runs", "3")
	require.Equal(t, 1, code, "%s%s", out, errOut)
	file := filepath.Join(dir, seeds.FileName(name, seed))
	_, err := seeds.Parse(file, mustRead(t, file))
	require.ErrorContains(t, err, "placeholder")
	code, replayOut, errOut := simrun("replay", "-faults", "@"+file)
	require.Equal(t, 1, code, "%s%s", replayOut, errOut)
	require.Equal(t, lastHash(t, out), lastHash(t, replayOut))
}

// An entry -faults cannot use is a usage error naming the file and what is
// wrong with it.
func TestFaultsBadEntry(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ entry, want string }{
		{`{"scenario": "clitest/planted/LostCount", "found": "x", "fixed": "y"}`, `has no "seed"`},
		{`{"scenario": "", "seed": 1}`, `"scenario" is empty`},
		{`{"scenario": "clitest/planted/LostCount", "seed": 1, "faults": "nosuch"}`, `the corpus entry's "faults"`},
		{`{"scenario": "clitest/planted/LostCount", "seed": 1, "colour": 1}`, `unknown field "colour"`},
		{`{"scenario": "clitest/planted/LostCount", "seed": 1, "knobs": {"readers": 1}}`, `the corpus entry's knobs`},
	} {
		file := filepath.Join(dir, "entry.json")
		require.NoError(t, os.WriteFile(file, []byte(tc.entry), 0o644))
		code, _, errOut := simrun("replay", "-faults", "@"+file)
		require.Equal(t, 2, code, "%s: %s", tc.entry, errOut)
		require.Contains(t, errOut, tc.want, tc.entry)
		require.True(t, strings.Contains(errOut, file), errOut)
	}
}
