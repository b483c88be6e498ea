package mapreduce

import (
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// The coordinator's RPC methods (the lab's Master.*).
const (
	methodGetTask = "Coordinator.GetTask"
	methodReport  = "Coordinator.Report"
)

// GetTaskArgs asks for work.
type GetTaskArgs struct{ PID int }

// GetTaskReply carries the work.
type GetTaskReply struct{ Assignment }

// ReportArgs reports a finished task attempt.
type ReportArgs struct {
	PID     int
	Kind    TaskKind
	Index   int
	Attempt uint64
}

// ReportReply says what the coordinator made of the report.
type ReportReply struct{ Outcome Outcome }

// Messages are plain values whose only reference fields are strings, which
// Go never mutates: a value copy is a deep copy.

func (a GetTaskArgs) Size() int   { return 8 }
func (a GetTaskArgs) Clone() any  { return a }
func (r GetTaskReply) Size() int  { return 40 + len(r.File) }
func (r GetTaskReply) Clone() any { return r }
func (a ReportArgs) Size() int    { return 32 }
func (a ReportArgs) Clone() any   { return a }
func (r ReportReply) Size() int   { return 1 }
func (r ReportReply) Clone() any  { return r }

// Digests of the messages' contents, for the trace hash (netsim.Digester).

func (a GetTaskArgs) Digest() uint64 { return digest(digestSeed, uint64(a.PID)) }
func (r GetTaskReply) Digest() uint64 {
	h := digest(digestSeed, uint64(r.Kind), uint64(r.Index), r.Attempt, uint64(r.NMap), uint64(r.NReduce))
	return digestString(h, r.File)
}
func (a ReportArgs) Digest() uint64 {
	return digest(digestSeed, uint64(a.PID), uint64(a.Kind), uint64(a.Index), a.Attempt)
}
func (r ReportReply) Digest() uint64 { return digest(digestSeed, uint64(r.Outcome)) }

// Coordinator is the instance running on the coordinator node: the schedule
// plus its RPC handlers. Its state is volatile, as the lab's master's is.
type Coordinator struct {
	node  *sim.Node
	sched *Schedule
	audit *Audit
	// onIssue, if set, sees every map and reduce task handed out (the
	// harness's coverage probes).
	onIssue func(Assignment)
}

// newCoordinator boots a coordinator for files on node, serving on ep.
func newCoordinator(node *sim.Node, ep *netsim.Endpoint, files []string, cfg Config, audit *Audit) *Coordinator {
	co := &Coordinator{node: node, sched: NewSchedule(files, cfg.NReduce, cfg.TaskTimeout), audit: audit}
	co.sched.bugs = cfg.bugs
	ep.Handle(methodGetTask, co.getTask)
	ep.Handle(methodReport, co.report)
	return co
}

// Done reports whether the job is complete: the lab's Master.Done, which
// mrmaster polls every second.
func (co *Coordinator) Done() bool { return co.sched.Done() }

func (co *Coordinator) getTask(req *netsim.Request, respond func(netsim.Message)) {
	args := req.Args.(GetTaskArgs)
	w := co.node.World()
	a := co.sched.Assign(w.Now())
	if a.Kind == TaskMap || a.Kind == TaskReduce {
		co.audit.Issues = append(co.audit.Issues, Issue{At: w.Now(), PID: args.PID, Kind: a.Kind, Index: a.Index, Attempt: a.Attempt})
		w.Logf(co.node, "issue %v %d attempt %d to pid %d", a.Kind, a.Index, a.Attempt, args.PID)
		if co.onIssue != nil {
			co.onIssue(a)
		}
	}
	respond(GetTaskReply{a})
}

func (co *Coordinator) report(req *netsim.Request, respond func(netsim.Message)) {
	args := req.Args.(ReportArgs)
	w := co.node.World()
	o := co.sched.Complete(args.Kind, args.Index, args.Attempt)
	co.audit.Reports = append(co.audit.Reports, Report{At: w.Now(), PID: args.PID, Kind: args.Kind,
		Index: args.Index, Attempt: args.Attempt, Outcome: o})
	w.Logf(co.node, "report %v %d attempt %d from pid %d: %v", args.Kind, args.Index, args.Attempt, args.PID, o)
	if co.sched.Done() && co.audit.DoneAt == 0 {
		co.audit.DoneAt = w.Now()
	}
	respond(ReportReply{o})
}

// Audit is what the checks observe of the coordinators' decisions: every
// hand-out and every report with its outcome. It lives outside the
// coordinator instance, as a trace would, so a check can read it after the
// coordinator has exited.
type Audit struct {
	Issues  []Issue
	Reports []Report
	DoneAt  time.Duration // when the last reduce was accepted; 0 until then
}

// Issue is one task hand-out.
type Issue struct {
	At      time.Duration
	PID     int
	Kind    TaskKind
	Index   int
	Attempt uint64
}

// Report is one completion report and what the coordinator made of it.
type Report struct {
	At      time.Duration
	PID     int
	Kind    TaskKind
	Index   int
	Attempt uint64
	Outcome Outcome
}
