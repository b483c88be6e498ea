// Package mapreduce is 6.824 Lab 1 on the simulator: a coordinator node and
// worker nodes that talk over netsim RPC and share a simulated file system
// (FS), the lab's applications (package apps), a generated input corpus, a
// sequential reference, and the lab's test-mr.sh checks as seeded scenarios
// (scenarios.go), plus a swarm scenario with network faults, crashes and a
// slow worker.
//
// Everything simulated runs on the event loop: the coordinator answers RPCs
// as events, each worker is a sim.Proc coroutine that blocks on RPCs and on
// the virtual time its computation costs, so a run is a pure function of its
// seed.
package mapreduce

import "time"

// Config is the job's tunables. Zero fields take DefaultConfig's values.
type Config struct {
	// NReduce is the number of reduce tasks (the lab's MakeMaster(files, 10)).
	NReduce int
	// TaskTimeout is how long the coordinator waits for a task's report
	// before handing it to another worker (the handout: ten seconds).
	TaskTimeout time.Duration
	// ComputePerByte is the virtual time a worker spends per byte it
	// processes (map input, reduce input), so that work takes time and
	// parallel workers finish sooner, as on real machines.
	ComputePerByte time.Duration
	// WritePerByte is the virtual time writing a byte costs; a write is
	// spread over chunks of WriteChunk bytes, so a crash can land mid-write.
	WritePerByte time.Duration
	WriteChunk   int
	// PollInterval is how long a worker told to wait sleeps before asking
	// again.
	PollInterval time.Duration
	// CallTimeout bounds one RPC; RetryInterval separates a failed call from
	// the next; after GiveUpAfter consecutive failed calls the worker decides
	// the coordinator is gone and exits (the lab's worker exits at the first
	// failed dial, but on a lossy network one lost packet is not a dead
	// coordinator).
	CallTimeout   time.Duration
	RetryInterval time.Duration
	GiveUpAfter   int

	// bugs are deliberately broken behaviours, set only by tests, to show
	// that the checks catch them.
	bugs bugs
}

// bugs are the deliberately broken configurations the checks must catch.
type bugs struct {
	noReissue   bool // the coordinator never hands a timed-out task out again
	earlyReduce bool // reduces are handed out once every map is handed out, not complete
	inPlace     bool // workers write files under their final name, no rename
}

// DefaultConfig is the lab's configuration on this simulator's costs. The
// costs (5 MB/s of processing, 10 MB/s of writing) make the wc job take
// about two seconds of virtual time with three workers: long enough for
// faults to land mid-task and mid-write, short enough to keep runs cheap.
func DefaultConfig() Config { return defaultConfig }

var defaultConfig = Config{
	NReduce:        10,
	TaskTimeout:    10 * time.Second,
	ComputePerByte: 200 * time.Nanosecond,
	WritePerByte:   100 * time.Nanosecond,
	WriteChunk:     64 << 10,
	PollInterval:   500 * time.Millisecond,
	CallTimeout:    5 * time.Second,
	RetryInterval:  time.Second,
	GiveUpAfter:    5,
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.NReduce == 0 {
		c.NReduce = d.NReduce
	}
	if c.TaskTimeout == 0 {
		c.TaskTimeout = d.TaskTimeout
	}
	if c.ComputePerByte == 0 {
		c.ComputePerByte = d.ComputePerByte
	}
	if c.WritePerByte == 0 {
		c.WritePerByte = d.WritePerByte
	}
	if c.WriteChunk == 0 {
		c.WriteChunk = d.WriteChunk
	}
	if c.PollInterval == 0 {
		c.PollInterval = d.PollInterval
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = d.CallTimeout
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = d.RetryInterval
	}
	if c.GiveUpAfter == 0 {
		c.GiveUpAfter = d.GiveUpAfter
	}
	return c
}
