package faults_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

// FuzzParsePlan: any input is a valid plan or a one-line error matching
// sim.ErrBadInput, never a panic; and a valid plan prints as JSON that parses
// back to itself.
func FuzzParsePlan(f *testing.F) {
	for _, seed := range []string{
		`{"profile": "hand", "nodes": ["a", "b"], "until": "2s", "actions": [{"at": "1s", "kind": "crash", "nodes": ["b"]}]}`,
		`{"nodes": 3, "until": 2000000000, "actions": [{"at": 0, "kind": "partition", "groups": [[0], [1, 2]]}]}`,
		`{"nodes": ["x", "y"], "until": "1m", "actions": [{"at": "1s", "kind": "one-way", "from": "x", "to": 1}]}`,
		`{"nodes": 2, "until": "1s", "actions": [{"at": "0s", "kind": "network", "net": {"DelayMax": "3ms", "DropRequest": 0.5}}]}`,
		`{"nodes": 2, "until": "1s", "actions": [{"at": "0s", "kind": "clock", "nodes": [1], "offset": "-1h", "drift": 0.1}]}`,
		`{"nodes": [], "actions": []}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := faults.ParsePlan([]byte(text))
		if err != nil {
			require.True(t, errors.Is(err, sim.ErrBadInput), "%v", err)
			return
		}
		back, err := faults.ParsePlan(p.JSON())
		require.NoError(t, err, "%s", p.JSON())
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(back)
		require.Equal(t, string(a), string(b))
	})
}
