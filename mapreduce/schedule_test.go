package mapreduce

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// step is one request to the schedule and the answer expected: an
// assignment (kind, index, attempt) for "assign", an outcome for "complete".
type step struct {
	at       time.Duration
	complete bool // else assign
	kind     TaskKind
	index    int
	attempt  uint64
	outcome  Outcome
}

func assign(at time.Duration, kind TaskKind, index int, attempt uint64) step {
	return step{at: at, kind: kind, index: index, attempt: attempt}
}

func done(kind TaskKind, index int, attempt uint64, outcome Outcome) step {
	return step{complete: true, kind: kind, index: index, attempt: attempt, outcome: outcome}
}

func TestScheduleTable(t *testing.T) {
	const s = time.Second
	files := []string{"f0", "f1"}
	tests := []struct {
		name  string
		bugs  bugs
		steps []step
	}{
		{
			name: "maps first, in order, then wait while a map runs",
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				assign(1*s, TaskWait, 0, 0),
				done(TaskMap, 0, 1, Accepted),
				assign(2*s, TaskWait, 0, 0), // map 1 still running: no reduce may start
			},
		},
		{
			name: "reduces start only once every map is complete",
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				done(TaskMap, 1, 2, Accepted),
				assign(1*s, TaskWait, 0, 0),
				done(TaskMap, 0, 1, Accepted),
				assign(1*s, TaskReduce, 0, 3),
				assign(1*s, TaskReduce, 1, 4),
				assign(1*s, TaskReduce, 2, 5),
				assign(1*s, TaskWait, 0, 0),
			},
		},
		{
			name: "a task is re-issued after the timeout, not before",
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				assign(10*s-1, TaskWait, 0, 0),
				assign(10*s, TaskMap, 0, 3),
				assign(10*s, TaskMap, 1, 4),
				assign(10*s, TaskWait, 0, 0),
			},
		},
		{
			name: "a stale attempt's completion is ignored, the current one counts",
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				assign(10*s, TaskMap, 0, 3),
				done(TaskMap, 0, 1, Stale),
				done(TaskMap, 1, 2, Accepted),
				assign(11*s, TaskWait, 0, 0), // map 0 is not complete: the stale report did not count
				done(TaskMap, 0, 3, Accepted),
				assign(11*s, TaskReduce, 0, 4),
			},
		},
		{
			name: "a stale attempt reporting after the task completed is stale, not duplicate",
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				assign(10*s, TaskMap, 0, 3),
				done(TaskMap, 0, 3, Accepted),
				done(TaskMap, 0, 1, Stale),
				done(TaskMap, 0, 3, Duplicate),
			},
		},
		{
			name: "a timed-out attempt that reports before any re-issue still counts",
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				done(TaskMap, 0, 1, Accepted), // at 20 s, say: nobody asked meanwhile
			},
		},
		{
			name: "reports naming no task are invalid",
			steps: []step{
				assign(0, TaskMap, 0, 1),
				done(TaskMap, 2, 1, Invalid),
				done(TaskMap, -1, 1, Invalid),
				done(TaskMap, 0, 0, Invalid),
				done(TaskMap, 0, 9, Invalid), // never handed out
				done(TaskWait, 0, 1, Invalid),
			},
		},
		{
			name: "exit once every reduce is complete",
			steps: func() []step {
				st := []step{assign(0, TaskMap, 0, 1), assign(0, TaskMap, 1, 2),
					done(TaskMap, 0, 1, Accepted), done(TaskMap, 1, 2, Accepted)}
				for r := 0; r < 3; r++ {
					st = append(st, assign(0, TaskReduce, r, uint64(3+r)), done(TaskReduce, r, uint64(3+r), Accepted))
				}
				return append(st, assign(0, TaskExit, 0, 0), assign(time.Hour, TaskExit, 0, 0))
			}(),
		},
		{
			name: "bug noReissue: a lost task is never handed out again",
			bugs: bugs{noReissue: true},
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				assign(time.Hour, TaskWait, 0, 0),
			},
		},
		{
			name: "bug earlyReduce: a reduce is handed out while a map runs",
			bugs: bugs{earlyReduce: true},
			steps: []step{
				assign(0, TaskMap, 0, 1),
				assign(0, TaskMap, 1, 2),
				assign(0, TaskReduce, 0, 3),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := NewSchedule(files, 3, 10*time.Second)
			sc.bugs = tc.bugs
			for i, st := range tc.steps {
				if st.complete {
					require.Equal(t, st.outcome, sc.Complete(st.kind, st.index, st.attempt), "step %d", i)
					continue
				}
				a := sc.Assign(st.at)
				require.Equal(t, st.kind, a.Kind, "step %d", i)
				if st.kind == TaskMap || st.kind == TaskReduce {
					require.Equal(t, st.index, a.Index, "step %d", i)
					require.Equal(t, st.attempt, a.Attempt, "step %d", i)
					require.Equal(t, len(files), a.NMap)
					require.Equal(t, 3, a.NReduce)
				}
				if st.kind == TaskMap {
					require.Equal(t, files[st.index], a.File)
				}
			}
		})
	}
}

// TestScheduleProperties drives the schedule with random requests at
// increasing times and checks its invariants after every step.
func TestScheduleProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nMap := rapid.IntRange(1, 6).Draw(t, "maps")
		nReduce := rapid.IntRange(1, 6).Draw(t, "reduces")
		files := make([]string, nMap)
		sc := NewSchedule(files, nReduce, 10*time.Second)
		var now time.Duration
		var issued []Assignment
		accepted := map[[2]int]int{}
		for i := rapid.IntRange(0, 200).Draw(t, "steps"); i > 0; i-- {
			now += time.Duration(rapid.IntRange(0, 6000).Draw(t, "ms")) * time.Millisecond
			if len(issued) == 0 || rapid.Bool().Draw(t, "ask") {
				a := sc.Assign(now)
				maps, _ := sc.Progress()
				if a.Kind == TaskReduce && maps != nMap {
					t.Fatalf("reduce %d handed out with %d of %d maps complete", a.Index, maps, nMap)
				}
				if a.Kind == TaskExit && !sc.Done() {
					t.Fatalf("exit before the job is done")
				}
				if a.Kind == TaskMap || a.Kind == TaskReduce {
					issued = append(issued, a)
				}
				continue
			}
			a := issued[rapid.IntRange(0, len(issued)-1).Draw(t, "which")]
			if sc.Complete(a.Kind, a.Index, a.Attempt) == Accepted {
				accepted[[2]int{int(a.Kind), a.Index}]++
			}
		}
		for task, n := range accepted {
			if n != 1 {
				t.Fatalf("task %v accepted %d times", task, n)
			}
		}
		maps, reduces := sc.Progress()
		if sc.Done() != (reduces == nReduce) || maps > nMap {
			t.Fatalf("progress %d/%d maps, %d/%d reduces, done=%v", maps, nMap, reduces, nReduce, sc.Done())
		}
	})
}
