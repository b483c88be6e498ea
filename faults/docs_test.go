package faults_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
)

// TestPlansDocCoversEveryKind: docs/plans.md has a section for every kind of
// action, and every JSON example in it is a valid plan (or valid actions of
// one), so the document cannot drift from the parser.
func TestPlansDocCoversEveryKind(t *testing.T) {
	data, err := os.ReadFile("../docs/plans.md")
	require.NoError(t, err)
	doc := string(data)
	for _, k := range faults.Kinds() {
		require.Contains(t, doc, "\n### `"+string(k)+"`\n", "docs/plans.md has no section for %s", k)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(doc, -1)
	require.GreaterOrEqual(t, len(blocks), len(faults.Kinds())+1)
	kindsShown := map[faults.Kind]bool{}
	for _, b := range blocks {
		text := strings.TrimSpace(b[1])
		if strings.HasPrefix(text, `{"at"`) { // actions alone: of a plan for raft/Swarm's peers
			text = `{"nodes": ["raft0", "raft1", "raft2", "raft3", "raft4"], "until": "1m", "actions": [` + text + `]}`
		}
		p, err := faults.ParsePlan([]byte(text))
		require.NoError(t, err, "docs/plans.md example:\n%s", b[1])
		for _, a := range p.Actions {
			kindsShown[a.Kind] = true
		}
	}
	for _, k := range faults.Kinds() {
		require.True(t, kindsShown[k], "docs/plans.md shows no example of %s", k)
	}
}
