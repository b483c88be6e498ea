package mapreduce

import (
	"fmt"
	"time"
)

// Schedule is the coordinator's task state machine, kept pure (no clock, no
// network, no simulator): the host hands it the time and the requests, and
// it answers with assignments. Table tests drive it directly.
//
// Rules (the lab's, sharpened):
//   - map tasks first; no reduce task is handed out until every map task is
//     complete, because a reduce reads one intermediate file from every map;
//   - a task handed out and not reported within Timeout is handed out again
//     to the next worker that asks, under a new attempt id;
//   - a completion counts only if it carries the task's current attempt id:
//     a worker that was presumed dead but was only slow reports a stale
//     attempt and is ignored, so a task is never completed twice;
//   - the job is done once every reduce task is complete.
type Schedule struct {
	files   []string
	nReduce int
	timeout time.Duration
	bugs    bugs

	maps, reduces         []taskState
	mapsDone, reducesDone int
	attempts              uint64 // last attempt id handed out
}

// TaskKind says what a worker should do.
type TaskKind uint8

const (
	TaskWait   TaskKind = iota // nothing to do now: ask again later
	TaskMap                    // run map task Index on File
	TaskReduce                 // run reduce task Index
	TaskExit                   // the job is done: exit
)

func (k TaskKind) String() string {
	switch k {
	case TaskWait:
		return "wait"
	case TaskMap:
		return "map"
	case TaskReduce:
		return "reduce"
	case TaskExit:
		return "exit"
	}
	return fmt.Sprintf("TaskKind(%d)", k)
}

// Assignment is the answer to a worker asking for work.
type Assignment struct {
	Kind    TaskKind
	Index   int    // task number within its kind
	Attempt uint64 // unique per hand-out; 0 for wait and exit
	File    string // map: the input file
	NMap    int    // reduce tasks read NMap intermediate files
	NReduce int    // map tasks partition their output NReduce ways
}

type taskStatus uint8

const (
	idle taskStatus = iota
	running
	complete
)

// taskState is one task. Invariant: attempt == 0 iff status == idle and the
// task was never handed out.
type taskState struct {
	status  taskStatus
	attempt uint64        // the attempt whose completion counts
	issued  time.Duration // when the current attempt was handed out
}

// NewSchedule returns the schedule of a job over files with nReduce reduce
// tasks, re-issuing tasks after timeout.
func NewSchedule(files []string, nReduce int, timeout time.Duration) *Schedule {
	return &Schedule{
		files:   append([]string(nil), files...),
		nReduce: nReduce,
		timeout: timeout,
		maps:    make([]taskState, len(files)),
		reduces: make([]taskState, nReduce),
	}
}

// Assign hands the asking worker a task at time now: an idle task of the
// current phase, else one whose attempt has timed out, else wait (or exit
// once the job is done).
func (s *Schedule) Assign(now time.Duration) Assignment {
	if s.Done() {
		return Assignment{Kind: TaskExit}
	}
	if s.mapsDone < len(s.maps) {
		if i := s.pick(s.maps, now); i >= 0 {
			return s.issue(TaskMap, s.maps, i, now)
		}
		// Every map is handed out but not every map is complete: a reduce
		// now would miss the intermediate files still being written. The
		// early-reduce bug hands reduces out anyway.
		if !s.bugs.earlyReduce {
			return Assignment{Kind: TaskWait}
		}
	}
	if i := s.pick(s.reduces, now); i >= 0 {
		return s.issue(TaskReduce, s.reduces, i, now)
	}
	return Assignment{Kind: TaskWait}
}

// pick returns the first idle task, else the first whose current attempt
// has been out for Timeout or longer, else -1.
func (s *Schedule) pick(tasks []taskState, now time.Duration) int {
	for i, t := range tasks {
		if t.status == idle {
			return i
		}
	}
	if s.bugs.noReissue {
		return -1
	}
	for i, t := range tasks {
		if t.status == running && now-t.issued >= s.timeout {
			return i
		}
	}
	return -1
}

func (s *Schedule) issue(kind TaskKind, tasks []taskState, i int, now time.Duration) Assignment {
	s.attempts++
	tasks[i] = taskState{status: running, attempt: s.attempts, issued: now}
	a := Assignment{Kind: kind, Index: i, Attempt: s.attempts, NMap: len(s.maps), NReduce: s.nReduce}
	if kind == TaskMap {
		a.File = s.files[i]
	}
	return a
}

// Outcome is what the schedule made of a completion report.
type Outcome uint8

const (
	Accepted  Outcome = iota // the task is now complete
	Stale                    // the task was re-issued since: this attempt is superseded
	Duplicate                // this attempt was already accepted (a retried or duplicated report)
	Invalid                  // no such task or attempt
)

func (o Outcome) String() string {
	return [...]string{"accepted", "stale", "duplicate", "invalid"}[o]
}

// Complete records that attempt finished task index of kind.
func (s *Schedule) Complete(kind TaskKind, index int, attempt uint64) Outcome {
	var tasks []taskState
	var done *int
	switch kind {
	case TaskMap:
		tasks, done = s.maps, &s.mapsDone
	case TaskReduce:
		tasks, done = s.reduces, &s.reducesDone
	default:
		return Invalid
	}
	if index < 0 || index >= len(tasks) || attempt == 0 || attempt > s.attempts {
		return Invalid
	}
	t := &tasks[index]
	switch {
	case t.attempt != attempt:
		return Stale
	case t.status == complete:
		return Duplicate
	}
	t.status = complete
	*done++
	return Accepted
}

// Done reports whether every reduce task is complete.
func (s *Schedule) Done() bool { return s.reducesDone == len(s.reduces) }

// Progress returns how many map and reduce tasks are complete.
func (s *Schedule) Progress() (maps, reduces int) { return s.mapsDone, s.reducesDone }
