package faultgen

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/seeds"
)

// TestEntryLayoutIsSeedsMarshal: an entry as faultgen writes it (the plan one
// action per line) holds what seeds.Marshal would write, field for field,
// and parses as a corpus entry.
func TestEntryLayoutIsSeedsMarshal(t *testing.T) {
	plan := faults.Plan{Profile: "faultgen", Nodes: 2, Names: []string{"a", "b"}, Until: time.Second,
		Actions: []faults.Action{{At: 5 * time.Millisecond, Kind: faults.Crash, Nodes: []int{1}}}}
	e := seeds.Entry{Scenario: "x/Y", Seed: 9, Faults: plan.JSON(), Found: "fail: \"quoted\"\nand a newline", Fixed: "a test",
		Expect: &seeds.Expect{Outcome: "fail", Check: "x/check"}}
	ours := marshalEntry(e)
	require.Contains(t, string(ours), "\n      {\"at\": \"5ms\", \"kind\": \"crash\", \"nodes\": [\"b\"]}\n")
	var a, b any
	require.NoError(t, json.Unmarshal(ours, &a))
	require.NoError(t, json.Unmarshal(seeds.Marshal(e), &b))
	require.Equal(t, b, a)
	_, err := seeds.Parse("x_Y_9.json", ours)
	require.NoError(t, err)
}

// TestWriteEntryNeverOverwrites: a second entry for the same scenario and
// seed is an error, and the first stays.
func TestWriteEntryNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	e := seeds.Entry{Scenario: "x/Y", Seed: 9, Faults: []byte(`"swarm"`), Found: "first", Fixed: "a test"}
	file, err := writeEntry(dir, e)
	require.NoError(t, err)
	e.Found = "second"
	_, err = writeEntry(dir, e)
	require.ErrorContains(t, err, "already exists: not overwritten")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(data), "first")
}
