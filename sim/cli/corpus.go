//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

package cli

import (
	"fmt"
	"path/filepath"

	"github.com/lockstep-dst/lockstep/seeds"
)

// corpus replays a regression corpus (package seeds) with this program's
// scenarios: every entry twice, each pass still passing and each planted
// bug still caught by the same check. It is how a corpus is replayed
// outside the module that registered its scenarios, and what `go test
// ./seeds/` runs.
func (r *runner) corpus(args []string) (int, error) {
	fs := newFlags("corpus", r.stderr)
	dir := fs.String("dir", "seeds", "the corpus directory: one JSON entry per file")
	if err := parseFlags(fs, args); err != nil {
		return 2, err
	}
	entries, err := seeds.Load(*dir)
	if err != nil {
		return 2, usagef("corpus: %v", err)
	}
	if len(entries) == 0 {
		return 2, usagef("corpus: %s holds no entries (a misnamed directory?)", *dir)
	}
	failed := 0
	for _, e := range entries {
		res, err := seeds.Replay(e)
		if err != nil {
			failed++
			fmt.Fprintf(r.stdout, "FAIL %s\n  %s\n", filepath.Base(e.File), indent(err.Error()))
			continue
		}
		fmt.Fprintf(r.stdout, "ok   %s: %s seed %d %s\n", filepath.Base(e.File), e.Scenario, e.Seed, res.Outcome)
	}
	fmt.Fprintf(r.stdout, "%d entries: %d as recorded, %d not\n", len(entries), len(entries)-failed, failed)
	if failed > 0 {
		return 1, nil
	}
	return 0, nil
}
