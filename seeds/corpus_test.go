package seeds_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/seeds"
)

func TestMalformedEntriesNameTheirFile(t *testing.T) {
	for name, body := range map[string]string{
		"not-json.json":      `{"scenario": `,
		"unknown-field.json": `{"scenario":"x/y","seed":1,"found":"a","fixed":"b","colour":"red"}`,
		"no-scenario.json":   `{"seed":1,"found":"a","fixed":"b"}`,
		"no-found.json":      `{"scenario":"x/y","seed":1,"fixed":"b"}`,
		"no-fixed.json":      `{"scenario":"x/y","seed":1,"found":"a"}`,
		"bad-faults.json":    `{"scenario":"x/y","seed":1,"found":"a","fixed":"b","faults":42}`,
		"two-objects.json":   `{"scenario":"x/y","seed":1,"found":"a","fixed":"b"}{}`,
	} {
		_, err := seeds.Parse(name, []byte(body))
		require.Error(t, err, name)
		require.Contains(t, err.Error(), name)
	}
}

// Item 15: entries the corpus used to accept, each a one-line error naming
// the file and the field.
func TestSuspectEntriesNameFileAndField(t *testing.T) {
	for _, c := range []struct{ name, body, field string }{
		{"no-seed.json", `{"scenario":"x/y","found":"a","fixed":"b"}`, `"seed" is missing`},
		{"dup-seed.json", `{"scenario":"x/y","seed":1,"seed":2,"found":"a","fixed":"b"}`, `"seed" appears twice`},
		{"dup-folded.json", `{"scenario":"x/y","seed":1,"Seed":2,"found":"a","fixed":"b"}`, `"Seed" appears twice`},
		{"dup-in-plan.json", `{"scenario":"x/y","seed":1,"found":"a","fixed":"b",
			"faults":{"profile":"hand","nodes":3,"nodes":5,"until":1,"actions":[]}}`, `"faults.nodes" appears twice`},
		{"placeholder.json", string(seeds.Marshal(seeds.Entry{Scenario: "x/y", Seed: 3, Found: "a", Fixed: seeds.FixedPlaceholder})), `"fixed" still holds the placeholder`},
		{"empty.json", "", "empty file"},
		{"unknown-profile.json", `{"scenario":"x/y","seed":1,"found":"a","fixed":"b","faults":"nosuch"}`, `"faults"`},
	} {
		_, err := seeds.Parse(c.name, []byte(c.body))
		require.Error(t, err, c.name)
		require.Contains(t, err.Error(), c.name)
		require.Contains(t, err.Error(), c.field, c.name)
		require.NotContains(t, err.Error(), "\n", c.name)
	}
}

// Item 15: an entry in a subdirectory is not silently skipped.
func TestLoadRejectsSubdirectories(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "raft"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "raft", "raft_Swarm_1.json"),
		[]byte(`{"scenario":"raft/Swarm","seed":1,"found":"a","fixed":"b"}`), 0o644))
	_, err := seeds.Load(dir)
	require.ErrorContains(t, err, filepath.Join(dir, "raft"))
}

func TestLoadRejectsStrayFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "case.txt"), []byte("x"), 0o644))
	_, err := seeds.Load(dir)
	require.ErrorContains(t, err, "case.txt")
}

func TestRoundTrip(t *testing.T) {
	e := seeds.Entry{Scenario: "x/y", Seed: 7, Faults: []byte(`"swarm"`), Found: "a", Fixed: "b"}
	got, err := seeds.Parse("f.json", seeds.Marshal(e))
	require.NoError(t, err)
	spec, err := got.FaultSpec()
	require.NoError(t, err)
	require.Equal(t, "swarm", spec)
	require.Equal(t, e.Seed, got.Seed)
}
