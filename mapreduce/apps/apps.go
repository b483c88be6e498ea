// Package apps holds the MapReduce applications of 6.824 Lab 1, rewritten
// for the simulator: word count (wc), the inverted index (indexer), the
// parallelism probes (mtiming, rtiming) and the crash tester (crash) with its
// no-crash twin (nocrash). They are the originals' mrapps/*.go with every
// contact with the real machine (time, pid, kill, crypto/rand, os.Exit)
// routed through Env, so that they run deterministically on virtual time.
//
// An application registers itself by name; the worker looks it up, as
// mrworker loaded a plugin by file name.
package apps

import (
	"sort"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// KeyValue is one intermediate pair emitted by Map.
type KeyValue struct {
	Key   string
	Value string
}

// Env is what an application may ask of the process it runs in. The
// originals called the operating system directly; here every such call is a
// simulator operation, so the test apps' timing and crashes are part of the
// seeded run.
type Env interface {
	// PID identifies the worker process, as os.Getpid did: a restarted
	// worker is a new process with a new PID.
	PID() int
	// Now is the virtual time since the run started.
	Now() time.Duration
	// Sleep blocks the worker for d of virtual time.
	Sleep(d time.Duration)
	// Rand is the worker process's own seeded stream (crypto/rand in the
	// originals).
	Rand() *sim.Rand
	// Crash ends the worker process at once, as os.Exit(1) did: its machine
	// crashes. It does not return.
	Crash()
	// Enter announces that this process is in phase (the originals wrote a
	// file mr-worker-<phase>-<pid>) and returns how many live processes,
	// itself included, are in that phase now (the originals scanned the
	// directory and probed each pid with kill(pid, 0)). Call leave when done.
	Enter(phase string) (running int, leave func())
}

// App is one MapReduce application.
type App struct {
	Name        string
	Description string
	// Map is called once per input file with its name and whole contents.
	Map func(env Env, filename, contents string) []KeyValue
	// MapEmit, if set, is Map handing each pair to emit, in Map's order,
	// instead of returning them all: a worker then encodes the pairs as they
	// come rather than first building the list (for wc, 550,000 pairs of
	// 32 bytes a job). It must emit exactly the pairs Map returns.
	MapEmit func(env Env, filename, contents string, emit func(key, value string))
	// Reduce is called once per distinct key, with every value emitted for
	// it (in no particular order), and returns the key's output value.
	Reduce func(env Env, key string, values []string) string
}

// EachPair runs the application's map over one input file and calls emit
// with each pair, in order: through MapEmit if the application has it, else
// over what Map returns.
func (a *App) EachPair(env Env, filename, contents string, emit func(key, value string)) {
	if a.MapEmit != nil {
		a.MapEmit(env, filename, contents, emit)
		return
	}
	for _, kv := range a.Map(env, filename, contents) {
		emit(kv.Key, kv.Value)
	}
}

var registry = map[string]*App{}

func register(a *App) {
	if _, dup := registry[a.Name]; dup {
		panic("apps: application " + a.Name + " registered twice")
	}
	registry[a.Name] = a
}

// Lookup returns the application named name.
func Lookup(name string) (*App, bool) {
	a, ok := registry[name]
	return a, ok
}

// Names returns the registered application names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// sortedCopy returns values sorted, leaving the caller's slice alone: the
// originals copy before sorting so that Reduce has no side effect on its
// argument.
func sortedCopy(values []string) []string {
	vv := make([]string, len(values))
	copy(vv, values)
	sort.Strings(vv)
	return vv
}
