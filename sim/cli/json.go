package cli

// The -json output: JSON lines, one object per line, every one with
// "schema" (the version of this format) and "type" ("run", "scenario" or
// "summary"). The README documents every field; change both together, and
// bump jsonSchema when a field changes meaning or disappears (adding one
// does not).
const jsonSchema = 1

// jsonRun is one run, printed as it is reported (in job order).
type jsonRun struct {
	Schema         int               `json:"schema"`
	Type           string            `json:"type"` // "run"
	Scenario       string            `json:"scenario"`
	Seed           uint64            `json:"seed"`
	Outcome        string            `json:"outcome"`
	Check          string            `json:"check,omitempty"`
	Message        string            `json:"message,omitempty"`
	Events         uint64            `json:"events"`
	VirtualSec     float64           `json:"virtual_s"`
	WallSec        float64           `json:"wall_s"`
	Speedup        float64           `json:"speedup"`
	Hash           string            `json:"hash"`
	Replay         string            `json:"replay,omitempty"`
	Nondeterminism string            `json:"nondeterminism,omitempty"`
	Stack          string            `json:"stack,omitempty"`
	Probes         map[string]uint64 `json:"probes,omitempty"`
	Storage        storageTally      `json:"storage"`
}

// jsonScenario sums one scenario's runs; printed after the last run.
type jsonScenario struct {
	Schema     int          `json:"schema"`
	Type       string       `json:"type"` // "scenario"
	Scenario   string       `json:"scenario"`
	Runs       uint64       `json:"runs"`
	Passed     uint64       `json:"passed"`
	Failed     uint64       `json:"failed"`
	Events     uint64       `json:"events"`
	VirtualSec float64      `json:"virtual_s"`
	WallSec    float64      `json:"wall_s"`
	Speedup    float64      `json:"speedup"`
	Probes     []probeLine  `json:"probes"`
	Storage    storageTally `json:"storage"`
}

// jsonSummary is the last line of every -json stream.
type jsonSummary struct {
	Schema          int      `json:"schema"`
	Type            string   `json:"type"` // "summary"
	Runs            uint64   `json:"runs"`
	Passed          uint64   `json:"passed"`
	Failed          uint64   `json:"failed"`
	RequiredProbes  []string `json:"required_probes"`
	UnreachedProbes []string `json:"unreached_probes"`
	Interrupted     bool     `json:"interrupted"`
	WallSec         float64  `json:"wall_s"`
	ExitStatus      int      `json:"exit_status"`
	UsageError      string   `json:"usage_error,omitempty"`
	// Sweep says which sweep the stream is (or which shard of it), so that
	// merge can tell shards of one sweep apart from other sweeps, and a
	// missing shard from a complete set.
	Sweep *jsonSweep `json:"sweep,omitempty"`
}

// jsonSweep is what a sweep was asked to run: the flags that choose its
// runs, and the whole sweep's size, which its shards divide.
type jsonSweep struct {
	Scenario         string `json:"scenario"` // the -scenario pattern
	Seeds            string `json:"seeds"`    // the -seeds range, A-B
	Faults           string `json:"faults,omitempty"`
	CheckDeterminism bool   `json:"check_determinism"`
	Runs             uint64 `json:"runs"` // runs of the whole sweep, every shard's
	Shard            int    `json:"shard"`
	Shards           int    `json:"shards"`
}
