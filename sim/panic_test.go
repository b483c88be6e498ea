package sim_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// Issue 8 item 2: a panic inside a process (here a scenario's Main) carries
// the stack of the line that panicked, not only the event loop's.
func TestPanicInProcessKeepsItsStack(t *testing.T) {
	var line int
	s := &sim.Scenario{Name: "t/panics", Main: func(p *sim.Proc) error {
		var m map[string]int
		_, _, line, _ = runtime.Caller(0)
		m["x"] = 1 // the line after Caller: a nil map write
		return nil
	}}
	res := sim.RunScenario(s, sim.Options{Seed: 1})
	require.Equal(t, sim.Panic, res.Outcome)
	require.Contains(t, res.Failure.Error(), `panic in process "main"`)
	require.Contains(t, res.Failure.Error(), "nil map")
	require.Contains(t, res.Failure.Stack, fmt.Sprintf("panic_test.go:%d", line+1),
		"the failure's stack does not show the line that panicked:\n%s", res.Failure.Stack)
}
