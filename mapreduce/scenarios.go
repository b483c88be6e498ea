package mapreduce

import (
	"errors"
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// The constants of test-mr.sh, in virtual time, and the budgets of the
// scenarios beyond it.
const (
	// JobLimit is test-mr.sh's `timeout 180s` around every process: the job
	// must be done within it of the coordinator's start.
	JobLimit = 180 * time.Second
	// MasterStartDelay is the script's `sleep 1` between starting the
	// master and the workers.
	MasterStartDelay = time.Second
	// MasterExitDelay is mrmaster's one-second sleep between Done
	// and exiting, which lets workers hear that the job is over.
	MasterExitDelay = time.Second
	// WorkerExitLimit bounds how long worker processes may outlive the
	// coordinator: GiveUpAfter failed calls take about 5.5 s, and a call
	// never takes longer than CallTimeout.
	WorkerExitLimit = 30 * time.Second
	// FaultWindow is how long a fault profile named with -faults acts on an
	// original scenario.
	FaultWindow = 20 * time.Second
	// SwarmWindow is how long the Swarm scenario's faults last.
	SwarmWindow = 25 * time.Second
	// SwarmLiveness is the Swarm scenario's budget: once the faults stop
	// (network healed, every node resumed and restarted), the job must be
	// done within it. Reasoning: a task held by a dead or cut-off worker is
	// re-issued within TaskTimeout (10 s); a worker that gave up is
	// restarted by its loop within about 6.5 s (five failed calls, then the
	// loop's 1 s); what remains of the job takes at most its sequential
	// cost, about 2.5 s on one worker; plus up to 1 s for the Done poll.
	// That is about 20 s; 30 s leaves room without hiding a stuck job.
	SwarmLiveness = 30 * time.Second
)

// job is one scenario's shape: test-mr.sh's processes for one test, and
// what to check.
type job struct {
	name, description string
	app               string
	workers           int // started once, as `mrworker &`
	supervised        int // each under a restart loop, as the crash test's shell loops
	faults            string
	window            time.Duration // faults act in [0, window)
	expect            string        // the app whose sequential output must be reproduced
	liveness          time.Duration // if set, done within it after faults stop
	script            func(c *Cluster, r *sim.Rand, until time.Duration)
	verify            func(lines []string) error
	corpus            *CorpusSpec // nil: DefaultCorpus
}

var jobs = []job{
	{name: "wc", app: "wc", workers: 3, expect: "wc",
		description: "test-mr.sh wc: 3 workers; output equals the sequential word count"},
	{name: "indexer", app: "indexer", workers: 2, expect: "indexer",
		description: "test-mr.sh indexer: 2 workers; output equals the sequential inverted index"},
	{name: "MapParallelism", app: "mtiming", workers: 2, verify: VerifyMapParallelism,
		description: "test-mr.sh map parallelism: 2 mtiming workers both run maps, and two maps overlap"},
	{name: "ReduceParallelism", app: "rtiming", workers: 2, verify: VerifyReduceParallelism,
		description: "test-mr.sh reduce parallelism: 2 rtiming workers, at least two reduces overlap"},
	{name: "crash", app: "crash", workers: 1, supervised: 3, expect: "nocrash",
		description: "test-mr.sh crash: 1 crash worker plus 3 restart loops; output equals nocrash's sequential run"},
	{name: "Swarm", app: "wc", supervised: 3, expect: "wc", faults: "swarm", window: SwarmWindow,
		liveness: SwarmLiveness, script: swarmScript,
		description: "wc, 3 looped workers, swarm faults on workers and the coordinator's links, a worker crashed mid-write, " +
			"one paused past the task timeout; no partial read, exactly-once, done within 30 s of faults stopping"},
}

// OriginalScenarios are the names of the five test-mr.sh checks.
var OriginalScenarios = []string{"mapreduce/wc", "mapreduce/indexer", "mapreduce/MapParallelism",
	"mapreduce/ReduceParallelism", "mapreduce/crash"}

func init() {
	for _, j := range jobs {
		sim.Register(j.scenario(Config{}))
	}
}

// scenario makes the job a scenario running with cfg.
func (j job) scenario(cfg Config) sim.Scenario {
	return sim.Scenario{
		Name:        "mapreduce/" + j.name,
		Description: j.description,
		Faults:      j.faults,
		MaxEvents:   2_000_000,
		MaxTime:     10 * time.Minute,
		Main: func(p *sim.Proc) error {
			err := j.run(p, cfg)
			// Name the failed check in the run's Failure rather than the
			// generic "scenario" (see the report on RunScenario).
			var ce *CheckError
			if errors.As(err, &ce) {
				p.World().Fail(ce.Check, nil, ce.Err)
			}
			return err
		},
	}
}

// run is test-mr.sh for one check: start the master, a second later the
// workers, wait for Done, let the master exit, wait for the workers, then
// check what they left in the file system.
func (j job) run(p *sim.Proc, cfg Config) error {
	w := p.World()
	app, ok := apps.Lookup(j.app)
	if !ok {
		return fmt.Errorf("no application %q", j.app)
	}
	spec := DefaultCorpus()
	if j.corpus != nil {
		spec = *j.corpus
	}
	ck := corpusKey{seed: w.Seed(), spec: spec}
	corp := corpusFor(w, ck)
	c := newCluster(w, cfg, app, corp.texts)
	for i := 0; i < j.workers+j.supervised; i++ {
		c.AddWorker()
	}
	window := j.window
	if window == 0 {
		window = FaultWindow
	}
	until, err := c.InstallFaults(window)
	if err != nil {
		return err
	}
	if j.script != nil {
		until = max(until, window) // scripted faults end by the window too
		j.script(c, w.Rand("mapreduce/script"), until)
	}

	w.Start(c.Coord)
	started := p.Now()
	p.Sleep(MasterStartDelay)
	for i, n := range c.Workers {
		if i < j.workers {
			w.Start(n)
		} else {
			c.Supervise(n)
		}
	}

	check, deadline := CheckTimeout, started+JobLimit
	if j.liveness > 0 && until+j.liveness < deadline {
		check, deadline = CheckLiveness, until+j.liveness
	}
	if !p.WaitUntil(c.Done, time.Second, max(deadline-p.Now(), time.Nanosecond)) {
		maps, reduces := c.coordinator.sched.Progress()
		if check == CheckLiveness {
			return failed(check, "job not done %v after faults stopped at %v: %d/%d maps, %d/%d reduces complete",
				j.liveness, until, maps, len(c.Inputs), reduces, c.cfg.NReduce)
		}
		return failed(check, "job not done within %v: %d/%d maps, %d/%d reduces complete",
			JobLimit, maps, len(c.Inputs), reduces, c.cfg.NReduce)
	}
	p.Sleep(MasterExitDelay)
	c.ExitCoordinator()
	if p.Now() < until {
		p.Sleep(until - p.Now()) // the fault plan may still start workers
	}
	if !p.WaitUntil(c.AllWorkersExited, 100*time.Millisecond, WorkerExitLimit) {
		return failed(CheckWorkerExit, "worker processes still running %v after the coordinator exited: %v",
			WorkerExitLimit, c.runningWorkers())
	}

	outputs := c.Outputs()
	if err := VerifyNoPartialReads(c.FS); err != nil {
		return err
	}
	if err := VerifyNoPartialFiles(c.FS); err != nil {
		return err
	}
	if err := VerifyExactlyOnce(c, outputs); err != nil {
		return err
	}
	if j.expect != "" {
		if err := referenceFor(ck, j.expect, c.cfg.NReduce, corp).check(outputs); err != nil {
			return &CheckError{Check: CheckOutput, Err: err}
		}
	}
	if j.verify != nil {
		return j.verify(allLines(outputs))
	}
	return nil
}

// corpusFor returns the corpus of w's seed for k.spec, generated from the
// stream "mapreduce/corpus", or the same corpus an earlier run of that seed
// generated (see memo). Read-only: it may be shared with other runs.
func corpusFor(w *sim.World, k corpusKey) *corpus {
	return corpora.get(k, func() *corpus {
		files, tally := generateCorpus(w.Rand("mapreduce/corpus"), k.spec)
		tally.sort()
		texts := make([]inputText, len(files))
		for i, f := range files {
			texts[i] = inputText{name: f.Name, text: string(f.Data)}
		}
		return &corpus{texts: texts, tally: tally}
	})
}

// referenceFor returns app's expected output over corp, the corpus k names,
// split over nReduce reduce tasks: derived from the generator's word counts
// for wc and the indexer, mrsequential's output otherwise (reference.go), or
// what an earlier run computed for the same key. Read-only: it may be shared
// with other runs.
func referenceFor(k corpusKey, app string, nReduce int, corp *corpus) *reference {
	return references.get(referenceKey{corpus: k, app: app, nReduce: nReduce}, func() *reference {
		if ref, ok := tallyReference(corp.tally, app, nReduce); ok {
			return ref
		}
		return sequentialReference(app, corp.texts, nReduce)
	})
}

func (c *Cluster) runningWorkers() []string {
	var names []string
	for _, n := range c.Workers {
		if c.WorkerRunning(n) {
			names = append(names, c.slots[n.ID].current.String())
		}
	}
	return names
}

// InstallFaults schedules the fault plan the run's options ask for (a
// profile, or a JSON plan) over the coordinator (plan node 0) and the
// workers (1..n), acting in [0, window). The coordinator is never crashed or
// restarted: the lab's master keeps its state in memory and is not asked to
// survive a crash (a restarted one would redo the job from scratch, which
// tests nothing a worker crash does not), so crash and restart actions that
// name it are dropped. Its links are faulted like any node's (partitions,
// isolation — it is the "leader" an isolate-leader action cuts off — loss,
// delay), and it may be paused. It returns when the faults stop.
func (c *Cluster) InstallFaults(window time.Duration) (time.Duration, error) {
	nodes := append([]*sim.Node{c.Coord}, c.Workers...)
	plan, err := faults.FromOptions(c.w, faults.Shape{Nodes: len(nodes), Duration: window, Base: netsim.Reliable()})
	if err != nil {
		return 0, fmt.Errorf("fault plan: %w", err)
	}
	t := faults.Target{World: c.w, Net: c.Net, Nodes: nodes, Leader: func() int { return 0 }, Spare: []int{0}}
	return c.w.Now() + plan.Until, faults.Install(t, plan)
}

// swarmScript adds the Swarm scenario's own faults to the profile's, at
// the moments that matter most to MapReduce, chosen by counting file writes
// (whoever makes them):
//   - the crashAt-th write crashes its writer mid-write, which must leave
//     only a temporary file;
//   - in half the seeds, the crashReduceAt-th write of a reduce's output
//     crashes its writer too: a job's last writes are its few reduce
//     outputs, which crashAt alone rarely hits, and a reduce re-issued after
//     its writer died mid-write is where an output file gets written twice;
//   - the pauseAt-th write freezes its writer for longer than the task
//     timeout, so that its task is re-issued and the slow worker comes back
//     as a stale attempt: either it finishes and reports late (the report
//     must be ignored), or (a coin flip) it crashes at its first write after
//     resuming. The files a stale attempt rewrites are already complete;
//     dying while rewriting one must not spoil it.
func swarmScript(c *Cluster, r *sim.Rand, until time.Duration) {
	crashAt := 1 + r.IntN(90) // a wc job makes 90 writes when nothing fails
	pauseAt := 1 + r.IntN(60)
	pauseFor := r.Duration(10500*time.Millisecond, 13*time.Second)
	zombieDies := r.Chance(0.5)
	crashReduce := r.Chance(0.5)
	crashReduceAt := 1 + r.IntN(c.cfg.NReduce)
	writes, reduceWrites := 0, 0
	var slow *worker // the paused process, until it has been crashed
	var resumed bool
	c.onWrite = func(p *sim.Proc, wk *worker, name string) {
		writes++
		if wk.task.Kind == TaskReduce && name == OutputName(wk.task.Index) {
			reduceWrites++
		}
		switch {
		case wk == slow && resumed && zombieDies:
			slow = nil
			c.w.Logf(wk.node, "swarm: crash resumed slow worker %v mid-write of %s", wk, name)
			wk.crashSelf()
		case writes == crashAt:
			c.w.Logf(wk.node, "swarm: crash %v mid-write of %s", wk, name)
			wk.crashSelf()
		case crashReduce && reduceWrites == crashReduceAt && name == OutputName(wk.task.Index):
			crashReduce = false
			c.w.Logf(wk.node, "swarm: crash %v mid-write of reduce output %s", wk, name)
			wk.crashSelf()
		case writes == pauseAt && c.w.Now() < until:
			node := wk.node
			d := min(pauseFor, until-c.w.Now())
			c.w.Logf(node, "swarm: pause %v mid-write of %s for %v", wk, name, d)
			slow = wk
			c.w.Pause(node)
			c.w.Schedule(d, "swarm resume "+node.Name, func() {
				resumed = true
				c.w.Resume(node)
			})
		}
	}
}
