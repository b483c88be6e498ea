package lease_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/examples/lease"
)

// The tables of planted bugs in the README, docs/own-system.md and the
// package comment say what lease.Planted says (which the planted tests
// hold to account): a change to a row's profile or seeds that leaves a
// table behind fails here.
func TestDocsTablesMatchPlanted(t *testing.T) {
	for _, doc := range []string{"../../README.md", "../../docs/own-system.md", "lease.go"} {
		b, err := os.ReadFile(doc)
		require.NoError(t, err)
		lines := strings.Split(string(b), "\n")
		for _, bug := range lease.Planted {
			want := []string{bug.Name, bug.Profile, fmt.Sprintf("1-%d ", bug.Seeds), bug.Check}
			found := false
			for _, l := range lines {
				row := strings.HasPrefix(l, "|") || strings.HasPrefix(l, "//\t") // a Markdown table's, or the package comment's
				if row && strings.Contains(l, bug.Name) && strings.Contains(l, bug.Check) {
					found = true
					for _, w := range want {
						require.Contains(t, l, w, "%s: the row of %s", doc, bug.Name)
					}
				}
			}
			require.True(t, found, "%s has no row for %s", doc, bug.Name)
		}
	}
}
