package mapreduce

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// worker is one worker process (the lab's mrworker): a coroutine on a worker
// node that asks the coordinator for tasks, runs them, and reports, until
// told to exit or until the coordinator stops answering. A crash of its
// node kills it wherever it is blocked; a new process is a new worker with
// a new pid.
type worker struct {
	c      *Cluster
	node   *sim.Node
	ep     *netsim.Endpoint
	pid    int
	rand   *sim.Rand
	fails  int  // consecutive failed calls
	exited bool // the process has returned or was killed
	// task is the assignment the process is working on (Kind TaskWait
	// between tasks), and writing the final name of the file it is
	// writing ("" outside writeFile): what a crash interrupted.
	task    Assignment
	writing string
}

func (wk *worker) String() string { return fmt.Sprintf("%s/pid %d", wk.node.Name, wk.pid) }

// gone reports whether the worker has decided that the coordinator is gone.
func (wk *worker) gone() bool { return wk.fails >= wk.c.cfg.GiveUpAfter }

// run is the worker's main loop.
func (wk *worker) run(p *sim.Proc) {
	// Runs also when a crash kills the process (the kill unwinds the
	// coroutine's stack), so supervisors always hear of the end.
	defer wk.c.workerEnded(wk)
	cfg := wk.c.cfg
	for !wk.gone() {
		reply, ok := wk.call(p, methodGetTask, GetTaskArgs{PID: wk.pid})
		if !ok {
			continue
		}
		a := reply.(GetTaskReply).Assignment
		wk.task = a
		switch a.Kind {
		case TaskExit:
			return
		case TaskWait:
			p.Sleep(cfg.PollInterval)
			continue
		case TaskMap:
			if !wk.doMap(p, a) {
				continue
			}
		case TaskReduce:
			wk.doReduce(p, a)
		}
		// Reports are idempotent at the coordinator, so a lost one is
		// retried rather than left for the task timeout to repair.
		args := ReportArgs{PID: wk.pid, Kind: a.Kind, Index: a.Index, Attempt: a.Attempt}
		for !wk.gone() {
			if _, ok := wk.call(p, methodReport, args); ok {
				break
			}
		}
		wk.task = Assignment{}
	}
	wk.c.w.Logf(wk.node, "pid %d: coordinator unreachable after %d calls, exiting", wk.pid, wk.fails)
}

// call makes one RPC to the coordinator, counting consecutive failures and
// pausing RetryInterval after a failure.
func (wk *worker) call(p *sim.Proc, method string, args netsim.Message) (any, bool) {
	cfg := wk.c.cfg
	reply, ok := wk.ep.CallProc(p, wk.c.Coord.ID, method, args, cfg.CallTimeout)
	if ok {
		wk.fails = 0
		return reply, true
	}
	wk.fails++
	if !wk.gone() {
		p.Sleep(cfg.RetryInterval)
	}
	return nil, false
}

func (wk *worker) reader(attempt uint64) Reader {
	return Reader{Who: wk.String(), Attempt: attempt}
}

// compute charges the virtual time processing n bytes costs.
func (wk *worker) compute(p *sim.Proc, n int) {
	if n > 0 {
		p.Sleep(time.Duration(n) * wk.c.cfg.ComputePerByte)
	}
}

// doMap runs map task a: read the input, map it, and write one intermediate
// file per reduce task. It reports false if the input is missing.
func (wk *worker) doMap(p *sim.Proc, a Assignment) bool {
	data, ok := wk.c.FS.ReadString(wk.reader(a.Attempt), a.File)
	if !ok {
		wk.c.w.Logf(wk.node, "pid %d: map %d: no input file %s", wk.pid, a.Index, a.File)
		return false
	}
	wk.compute(p, len(data))
	var parts [][]byte
	if app := wk.c.App; app.MapEmit != nil {
		// The encoding takes about 1.3 bytes per byte of text for wc (each
		// word gains a length byte, a value and its length, and loses its
		// separator), 0.7 for the indexer: sized for 1.5, few of a wc map's
		// partitions outgrow their first buffer, even the one that holds
		// the most frequent word.
		pt := newPartitioner(a.NReduce, len(data)*3/2)
		app.MapEmit(env{wk, p}, a.File, data, pt.add)
		parts = pt.parts
	} else {
		parts = partition(app.Map(env{wk, p}, a.File, data), a.NReduce)
	}
	// Every file is written, empty ones too, so that a reduce finds one file
	// per map task.
	for r, b := range parts {
		wk.writeFile(p, IntermediateName(a.Index, r), b)
	}
	return true
}

// doReduce runs reduce task a: read every intermediate file for it, reduce
// each key, write the output. Like many lab solutions it finds its inputs
// by listing the directory (mr-*-<r>), trusting the coordinator to hand out
// reduces only once every map is complete.
func (wk *worker) doReduce(p *sim.Proc, a Assignment) {
	var g grouper
	total := 0
	for _, name := range wk.c.FS.List("mr-") {
		if _, r, ok := parseIntermediate(name); !ok || r != a.Index {
			continue
		}
		data, _ := wk.c.FS.ReadString(wk.reader(a.Attempt), name)
		total += len(data)
		// As in the lab's hint code, decoding stops at the first bad record
		// (only a partial file has one); the partial-read check reports it.
		g.addEncoded(data)
	}
	wk.compute(p, total)
	e := env{wk, p}
	out := reduceAll(&g, func(key string, values []string) string { return wk.c.App.Reduce(e, key, values) })
	wk.writeFile(p, OutputName(a.Index), out)
}

// writeFile writes data as name: into a temporary file that only the final
// rename publishes, so that a reader never sees a partial file and a crash
// mid-write leaves only an unpublished temporary. The write costs virtual
// time, chunk by chunk. (The in-place bug writes under the final name.)
func (wk *worker) writeFile(p *sim.Proc, name string, data []byte) {
	fs, cfg := wk.c.FS, wk.c.cfg
	wk.writing = name
	var h *Writer
	if cfg.bugs.inPlace {
		h = fs.Create(wk.String(), name)
	} else {
		h = fs.CreateTemp(wk.String(), name)
	}
	for off := 0; off < len(data); off += cfg.WriteChunk {
		end := min(off+cfg.WriteChunk, len(data))
		h.Write(data[off:end])
		if off == 0 && wk.c.onWrite != nil {
			wk.c.onWrite(p, wk, name)
		}
		p.Sleep(time.Duration(end-off) * cfg.WritePerByte)
	}
	h.Close()
	if !cfg.bugs.inPlace {
		fs.Rename(h.Name(), name)
	}
	wk.writing = ""
}

// env is what the application sees of its worker process.
type env struct {
	wk *worker
	p  *sim.Proc
}

var _ apps.Env = env{}

func (e env) PID() int                         { return e.wk.pid }
func (e env) Now() time.Duration               { return e.p.Now() }
func (e env) Sleep(d time.Duration)            { e.p.Sleep(d) }
func (e env) Rand() *sim.Rand                  { return e.wk.rand }
func (e env) Enter(phase string) (int, func()) { return e.wk.c.phases.enter(phase, e.wk) }

// Crash crashes the worker's node, as os.Exit(1) ends the process.
func (e env) Crash() { e.wk.crashSelf() }

// crashSelf crashes the worker's own node from inside its process. It does
// not return: World.Crash unwinds the calling process at once when it
// crashes the node the process runs on, so no line after the call runs.
func (wk *worker) crashSelf() { wk.c.w.Crash(wk.node) }
