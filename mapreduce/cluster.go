package mapreduce

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Cluster is one MapReduce job on a world: the coordinator node, the worker
// nodes, the network between them and the file system they share. It plays
// the part of test-mr.sh's processes and shell loops.
type Cluster struct {
	w       *sim.World
	cfg     Config
	Net     *netsim.Network
	FS      *FS
	App     *apps.App
	Inputs  []string // input file names, in the FS
	Coord   *sim.Node
	Workers []*sim.Node
	Audit   Audit

	coordinator *Coordinator // the current instance
	exited      bool         // the coordinator process has exited (mrmaster returned)
	eps         map[int]*netsim.Endpoint
	slots       map[int]*slot // by worker node ID
	pids        int
	phases      phaseLedger
	changed     cond // a worker process ended
	// onWrite, when set, runs in a worker process right after the first
	// chunk of each file it writes: the hook for write-triggered faults.
	onWrite func(p *sim.Proc, wk *worker, name string)
	// For the probe ProbeReduceReissuedAfterCrashMidWrite: by reduce task,
	// the attempt whose worker crashed while writing the task's output, and
	// the attempt last handed out.
	reduceCrashedMidWrite map[int]uint64
	reduceIssued          map[int]uint64
}

// ProbeReduceReissuedAfterCrashMidWrite is reached when the coordinator
// hands out again a reduce task whose current attempt's worker crashed in
// the middle of writing the task's output: the re-issued attempt must
// publish a whole file over whatever the dead one left.
var ProbeReduceReissuedAfterCrashMidWrite = sim.NewProbe("mapreduce/reduce-reissued-after-crash-mid-write",
	"a reduce task re-issued after the worker running it crashed mid-write of its output")

// slot is a worker node and its current process.
type slot struct {
	current *worker
	spawned uint64 // processes started on this node, for their random streams
}

// NewCluster sets up a job of app over inputs on w: it writes the inputs to
// a fresh file system and creates the coordinator node, which is not started
// yet.
func NewCluster(w *sim.World, cfg Config, app *apps.App, inputs []InputFile) *Cluster {
	texts := make([]inputText, len(inputs))
	for i, in := range inputs {
		texts[i] = inputText{name: in.Name, text: string(in.Data)}
	}
	return newCluster(w, cfg, app, texts)
}

// inputText is an input file whose contents are a string, which the file
// system keeps without copying (FS.WriteText).
type inputText struct{ name, text string }

// newCluster is NewCluster for inputs held as strings.
func newCluster(w *sim.World, cfg Config, app *apps.App, inputs []inputText) *Cluster {
	c := &Cluster{
		w:     w,
		cfg:   cfg.withDefaults(),
		Net:   netsim.New(w, netsim.ZeroDelay()),
		FS:    NewFS(w),
		App:   app,
		eps:   map[int]*netsim.Endpoint{},
		slots: map[int]*slot{},

		reduceCrashedMidWrite: map[int]uint64{},
		reduceIssued:          map[int]uint64{},
	}
	c.phases.c = c
	for _, in := range inputs {
		c.FS.WriteText(in.name, in.text)
		c.Inputs = append(c.Inputs, in.name)
	}
	c.Coord = w.AddNode("coordinator", func(n *sim.Node) {
		c.coordinator = newCoordinator(n, c.eps[n.ID], c.Inputs, c.cfg, &c.Audit)
		c.coordinator.onIssue = c.issued
		n.Instance = c.coordinator
	})
	c.eps[c.Coord.ID] = c.Net.Attach(c.Coord)
	w.OnCrash(c.crashed)
	return c
}

// crashed runs as a node crashes: it notes a reduce whose output was being
// written, and wakes the supervisors.
func (c *Cluster) crashed(n *sim.Node) {
	if s := c.slots[n.ID]; s != nil && s.current != nil {
		if wk := s.current; !wk.exited && wk.writing != "" && wk.task.Kind == TaskReduce {
			c.reduceCrashedMidWrite[wk.task.Index] = wk.task.Attempt
		}
	}
	c.changed.Broadcast()
}

// issued observes every task the coordinator hands out.
func (c *Cluster) issued(a Assignment) {
	if a.Kind != TaskReduce {
		return
	}
	prev := c.reduceIssued[a.Index]
	c.w.Sometimes(ProbeReduceReissuedAfterCrashMidWrite, prev != 0 && c.reduceCrashedMidWrite[a.Index] == prev)
	c.reduceIssued[a.Index] = a.Attempt
}

// World returns the cluster's world.
func (c *Cluster) World() *sim.World { return c.w }

// Config returns the configuration in force (defaults filled in).
func (c *Cluster) Config() Config { return c.cfg }

// AddWorker creates a worker node; starting it (World.Start, or a fault
// plan's restart) starts a worker process on it.
func (c *Cluster) AddWorker() *sim.Node {
	n := c.w.AddNode(fmt.Sprintf("worker-%d", len(c.Workers)), func(n *sim.Node) { c.startWorker(n) })
	c.eps[n.ID] = c.Net.Attach(n)
	c.slots[n.ID] = &slot{}
	c.Workers = append(c.Workers, n)
	return n
}

// startWorker starts a worker process on n (which is up).
func (c *Cluster) startWorker(n *sim.Node) *worker {
	s := c.slots[n.ID]
	c.pids++
	s.spawned++
	wk := &worker{c: c, node: n, ep: c.eps[n.ID], pid: c.pids,
		rand: n.Rand("mapreduce/worker").Keyed(s.spawned)}
	s.current = wk
	n.Instance = wk
	c.w.Spawn(n, fmt.Sprintf("worker pid %d", wk.pid), wk.run)
	c.w.Logf(n, "worker pid %d starts", wk.pid)
	return wk
}

func (c *Cluster) workerEnded(wk *worker) {
	wk.exited = true
	if wk.node.Up() { // after a crash, the OnCrash listener broadcasts: a dead node's defers may not act
		c.changed.Broadcast()
	}
}

// WorkerRunning reports whether n has a live worker process.
func (c *Cluster) WorkerRunning(n *sim.Node) bool {
	s := c.slots[n.ID]
	return n.Up() && s.current != nil && !s.current.exited
}

// AllWorkersExited reports whether no worker process is running.
func (c *Cluster) AllWorkersExited() bool {
	for _, n := range c.Workers {
		if c.WorkerRunning(n) {
			return false
		}
	}
	return true
}

// Done reports whether the coordinator says the job is done.
func (c *Cluster) Done() bool { return c.coordinator != nil && c.Coord.Up() && c.coordinator.Done() }

// CoordinatorRunning is the shell loops' test "the socket exists and
// mr-done does not": the coordinator process is up and has not exited.
func (c *Cluster) CoordinatorRunning() bool { return c.Coord.Up() && !c.exited }

// ExitCoordinator ends the coordinator process, as mrmaster returns once
// Done: its node goes down, so calls to it fail and workers give up.
func (c *Cluster) ExitCoordinator() {
	c.exited = true
	c.w.Crash(c.Coord)
}

// Supervise runs test-mr.sh's restart loop for worker node n as a
// world-level process: while the coordinator runs, start a worker, wait for
// it to end (exit or crash), sleep a second, repeat.
func (c *Cluster) Supervise(n *sim.Node) {
	c.w.Spawn(nil, "supervise "+n.Name, func(p *sim.Proc) {
		for c.CoordinatorRunning() {
			switch {
			case !n.Up():
				c.w.Restart(n) // boots a worker process
			case !c.WorkerRunning(n):
				c.startWorker(n)
			}
			for c.WorkerRunning(n) {
				c.changed.Wait(p)
			}
			p.Sleep(time.Second)
		}
	})
}

// cond is a condition variable for processes, on Proc.Suspend: Wait parks
// the process until the next Broadcast. Waiters re-check their condition.
type cond struct {
	waiters []func()
}

// Wait parks p until the next Broadcast.
func (cv *cond) Wait(p *sim.Proc) {
	p.Suspend("condition broadcast", func(resume func()) { cv.waiters = append(cv.waiters, resume) })
}

// Broadcast wakes every waiter (each resumes as its own event).
func (cv *cond) Broadcast() {
	ws := cv.waiters
	cv.waiters = nil
	for _, resume := range ws {
		resume()
	}
}

// phaseLedger is the simulation's view of which worker processes are inside
// a probe phase: what mtiming and rtiming learnt by writing
// mr-worker-<phase>-<pid> files and probing each pid with kill(pid, 0). An
// entry of a process that died inside the phase stays, as its file did, but
// is not counted, as kill would have failed.
type phaseLedger struct {
	c       *Cluster
	entries map[string][]*worker
}

func (l *phaseLedger) enter(phase string, wk *worker) (int, func()) {
	if l.entries == nil {
		l.entries = map[string][]*worker{}
	}
	l.entries[phase] = append(l.entries[phase], wk)
	n := 0
	for _, other := range l.entries[phase] {
		if !other.exited && other.node.Up() && l.c.slots[other.node.ID].current == other {
			n++
		}
	}
	leave := func() {
		list := l.entries[phase]
		for i, other := range list {
			if other == wk {
				l.entries[phase] = append(list[:i], list[i+1:]...)
				break
			}
		}
	}
	return n, leave
}
