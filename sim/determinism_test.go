package sim_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// contentRuns changes between runs of simtest/differs-content, and
// labelRuns between runs of simtest/differs-label.
var contentRuns, labelRuns int

func init() {
	sim.Register(sim.Scenario{Name: "simtest/differs-content", Description: "digests a value that differs between runs",
		Main: func(p *sim.Proc) error {
			contentRuns++
			w := p.World()
			n := w.AddNode("n2", func(*sim.Node) {})
			w.Start(n)
			n.After(time.Millisecond, "deliver Raft.AppendEntries", func() {
				w.Digest(sim.HashBytes([]byte(fmt.Sprint("entries ", contentRuns))))
			})
			n.After(2*time.Millisecond, "tick", func() {})
			p.Sleep(3 * time.Millisecond)
			return nil
		}})
	sim.Register(sim.Scenario{Name: "simtest/differs-label", Description: "the second of every three runs names its event differently",
		Main: func(p *sim.Proc) error {
			labelRuns++
			label := "even"
			if labelRuns%3 == 2 {
				label = "odd"
			}
			p.World().Schedule(time.Millisecond, label, func() {})
			p.Sleep(2 * time.Millisecond)
			return nil
		}})
}

// Issue 8 item 8: two runs that differ only in a value an event digested
// differ in hash, and CheckDeterminism names that event as the same event
// with different content (the digest counts for the event that made it, not
// the one after).
func TestCheckDeterminismNamesTheEventWhoseContentDiffers(t *testing.T) {
	s, _ := sim.Lookup("simtest/differs-content")
	res, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
	require.True(t, res.Passed())
	require.NotNil(t, div, "a value that differs between runs went unnoticed")
	require.True(t, div.SameEventDifferentContent())
	require.Equal(t, "deliver Raft.AppendEntries", div.Again.Label)
	require.Equal(t, "n2", div.First.Node)
	require.Contains(t, div.Error(), "event "+fmt.Sprint(div.Event)+" `deliver Raft.AppendEntries` on n2 at 1ms: same event, different content")
}

// When the runs ran different events, a third run recovers the first run's
// record if it matches the first run up to there.
func TestCheckDeterminismRecoversTheFirstRunsRecord(t *testing.T) {
	labelRuns = 0
	s, _ := sim.Lookup("simtest/differs-label")
	_, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
	require.NotNil(t, div)
	require.False(t, div.SameEventDifferentContent())
	require.False(t, div.FirstLost)
	require.Equal(t, "even", div.First.Label)
	require.Equal(t, "odd", div.Again.Label)
	require.Equal(t, time.Millisecond, div.First.At)
}

// OnEvent sees an event after it ran: its hash includes what it digested.
func TestOnEventComesAfterTheEvent(t *testing.T) {
	var recs []sim.Record
	w := sim.NewWorld(sim.Options{Seed: 1, OnEvent: func(r sim.Record) { recs = append(recs, r) }})
	var during uint64
	w.Schedule(time.Millisecond, "apply", func() {
		w.Digest(7)
		during = w.Hash()
	})
	w.Schedule(2*time.Millisecond, "quiet", func() {})
	require.Nil(t, w.Run())
	require.Len(t, recs, 2)
	require.Equal(t, during, recs[0].Hash, "the record's hash misses the event's own digest")
	require.NotZero(t, recs[0].Content)
	require.Zero(t, recs[1].Content)
	require.Equal(t, w.Hash(), recs[1].Hash)
}

// Two runs differing only in a digested value differ in hash.
func TestDigestChangesTheHash(t *testing.T) {
	run := func(v uint64) uint64 {
		w := sim.NewWorld(sim.Options{Seed: 1})
		w.Schedule(time.Millisecond, "apply", func() { w.Digest(v) })
		require.Nil(t, w.Run())
		return w.Hash()
	}
	require.Equal(t, run(1), run(1))
	require.NotEqual(t, run(1), run(2))
}

// longScenario runs events world events, none of which allocates.
func longScenario(events int) *sim.Scenario {
	return &sim.Scenario{Name: "t/long", MaxEvents: uint64(events) + 10, MaxTime: time.Duration(events+10) * time.Millisecond,
		Main: func(p *sim.Proc) error {
			w := p.World()
			left := events
			var tick func()
			tick = func() {
				if left--; left > 0 {
					w.Schedule(time.Millisecond, "tick", tick)
				}
			}
			w.Schedule(time.Millisecond, "tick", tick)
			p.Sleep(time.Duration(events+1) * time.Millisecond)
			return nil
		}}
}

// Issue 8 item 13: CheckDeterminism's memory does not grow with the length
// of the run beyond 8 bytes an event (it used to keep every trace record of
// the first run, about 100 bytes an event).
func TestCheckDeterminismMemoryIsFlat(t *testing.T) {
	allocated := func(events int) uint64 {
		s := longScenario(events)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		res, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
		runtime.ReadMemStats(&after)
		require.Nil(t, div)
		require.True(t, res.Passed(), "%v", res.Failure)
		require.Greater(t, res.Events, uint64(events))
		return after.TotalAlloc - before.TotalAlloc
	}
	const short, long = 20_000, 220_000
	a, b := allocated(short), allocated(long)
	perEvent := float64(b-a) / float64(long-short)
	t.Logf("%.2f bytes allocated per event (%d bytes for %d events, %d for %d)", perEvent, a, short, b, long)
	require.LessOrEqual(t, perEvent, 8.5, "CheckDeterminism's memory grows with the run")
}

// verdictRuns changes between runs of simtest/differs-verdict.
var verdictRuns int

func init() {
	sim.Register(sim.Scenario{Name: "simtest/differs-verdict", Description: "undecided every other run",
		Main: func(p *sim.Proc) error {
			verdictRuns++
			p.Sleep(time.Millisecond)
			if verdictRuns%2 == 1 {
				return fmt.Errorf("history too long: %w", sim.ErrUnknown)
			}
			return nil
		}})
}

// Issue 8 item 5 (the kernel's part): a verdict is a function of the seed,
// so a run that is undecided once and decided the other time is
// nondeterministic like any other disagreement, not excused as a checker
// that ran out of wall time.
func TestUnknownOnceIsNondeterminism(t *testing.T) {
	verdictRuns = 0
	s, _ := sim.Lookup("simtest/differs-verdict")
	res, div := sim.CheckDeterminism(s, sim.Options{Seed: 1})
	require.Equal(t, sim.Unknown, res.Outcome)
	require.NotNil(t, div)
	require.Equal(t, sim.Unknown, div.FirstOutcome)
	require.Equal(t, sim.Pass, div.AgainOutcome)
	require.Contains(t, div.Error(), "runs ended differently: unknown, then pass")
}
