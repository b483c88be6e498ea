package sim_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

// runChild spawns fn as a process on node and parks p until it has returned
// (as kvsim's Cluster.On runs the harness's calls).
func runChild(p *sim.Proc, node *sim.Node, name string, fn func(q *sim.Proc)) {
	p.Suspend(name+" to return", func(resume func()) {
		p.World().Spawn(node, name, func(q *sim.Proc) {
			fn(q)
			resume()
		})
	})
}

// Processes that run one after another run on one coroutine, and the run
// leaves no goroutine behind: it fails if a returned process's coroutine is
// not used again, or if the idle ones are not ended with the run.
func TestReturnedProcessesShareACoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	w := sim.NewWorld(sim.Options{Seed: 1})
	var counts []int
	ran := 0
	w.Spawn(nil, "main", func(p *sim.Proc) {
		for i := 0; i < 20; i++ {
			runChild(p, nil, fmt.Sprintf("child%d", i), func(q *sim.Proc) {
				q.Sleep(time.Millisecond)
				counts = append(counts, runtime.NumGoroutine())
				ran++
			})
		}
	})
	require.Nil(t, w.Run())
	require.Equal(t, 20, ran)
	for _, n := range counts {
		require.Equal(t, before+2, n, "goroutines while child processes ran, one after another: %v", counts)
	}
	require.Equal(t, before, runtime.NumGoroutine(), "goroutines left after the run")
}

// A process on a coroutine another process returned from is killed, and
// panics, as one on a new coroutine is: its deferred calls run when its node
// crashes, and its panic fails the run with its own name and the line that
// panicked.
func TestProcessOnAReusedCoroutine(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	var line int
	unwound, after := false, false
	w.Spawn(nil, "main", func(p *sim.Proc) {
		runChild(p, n, "first", func(q *sim.Proc) { q.Sleep(time.Millisecond) })
		victim := w.Spawn(n, "victim", func(q *sim.Proc) {
			defer func() { unwound = true }()
			q.Sleep(time.Hour)
			after = true
		})
		p.Sleep(time.Second)
		w.Crash(n)
		require.True(t, victim.Done())
		runChild(p, nil, "second", func(q *sim.Proc) { q.Sleep(time.Millisecond) })
		runChild(p, nil, "buggy", func(q *sim.Proc) {
			q.Sleep(time.Millisecond)
			var m map[string]int
			_, _, line, _ = runtime.Caller(0)
			m["x"] = 1 // the line after Caller: a nil map write
		})
	})
	f := w.Run()
	require.True(t, unwound, "the killed process's deferred call did not run")
	require.False(t, after, "the killed process ran on")
	require.NotNil(t, f)
	require.Equal(t, "panic", f.Check)
	require.Contains(t, f.Error(), `panic in process "buggy"`)
	require.Contains(t, f.Error(), "nil map")
	require.Contains(t, f.Stack, fmt.Sprintf("coroutine_test.go:%d", line+1),
		"the failure's stack does not show the line that panicked:\n%s", f.Stack)
}

// A process killed while parked whose deferred call recovers the unwinding
// and returns has ended its coroutine (a stopped iter.Pull cannot be
// resumed), so the coroutine must not go back to the idle list: the next
// process spawned would take it and never run, its resume finding the
// coroutine over.
func TestProcessAfterOneThatSwallowedItsKill(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	n := w.AddNode("n", func(*sim.Node) {})
	w.Start(n)
	ran := false
	w.Spawn(nil, "main", func(p *sim.Proc) {
		w.Spawn(n, "victim", func(q *sim.Proc) {
			defer func() { _ = recover() }()
			q.Sleep(time.Hour)
		})
		p.Sleep(time.Second)
		w.Crash(n)
		runChild(p, nil, "next", func(q *sim.Proc) {
			q.Sleep(time.Millisecond)
			ran = true
		})
	})
	require.Nil(t, w.Run())
	require.True(t, ran, "the process spawned after the kill never ran")
}

// The idle coroutines end with the run even when the unwinding of a process
// at the run's end panics (a deferred call that fails), which stops killProcs
// midway: the panic fails the run, and no idle coroutine's goroutine is left.
func TestIdleCoroutinesEndWhenAKillPanics(t *testing.T) {
	before := runtime.NumGoroutine()
	w := sim.NewWorld(sim.Options{Seed: 1})
	w.Spawn(nil, "returns", func(p *sim.Proc) {})
	w.Spawn(nil, "sleeper", func(p *sim.Proc) {
		defer func() { panic("unwinding failed") }()
		p.Sleep(time.Hour)
	})
	w.Schedule(time.Second, "stop", w.Stop)
	f := w.Run()
	require.NotNil(t, f)
	require.Contains(t, f.Error(), "unwinding failed")
	require.Equal(t, before, runtime.NumGoroutine(), "goroutines left after the run")
}

// TestEveryProcessEndsWhenAKillPanics: processes still parked when a run ends are all
// killed, even after the unwinding of one of them panics (the run fails with that panic,
// and the processes after it must not be left parked on goroutines of their own).
func TestEveryProcessEndsWhenAKillPanics(t *testing.T) {
	before := runtime.NumGoroutine()
	w := sim.NewWorld(sim.Options{Seed: 1})
	unwound := 0
	w.Spawn(nil, "panics", func(p *sim.Proc) {
		defer func() { panic("unwinding failed") }()
		p.Sleep(time.Hour)
	})
	for _, name := range []string{"a", "b"} {
		w.Spawn(nil, name, func(p *sim.Proc) {
			defer func() { unwound++ }()
			p.Sleep(time.Hour)
		})
	}
	w.Schedule(time.Second, "stop", w.Stop)
	f := w.Run()
	require.NotNil(t, f)
	require.Contains(t, f.Error(), "unwinding failed")
	require.Equal(t, 2, unwound, "processes killed after the one whose unwinding panicked")
	require.Equal(t, before, runtime.NumGoroutine(), "goroutines left after the run")
}

// TestProcessSpawnedWhileUnwindingEnds: a process spawned by the deferred call of a
// process being unwound at the end of a run never runs, and its coroutine ends with the
// run.
func TestProcessSpawnedWhileUnwindingEnds(t *testing.T) {
	before := runtime.NumGoroutine()
	w := sim.NewWorld(sim.Options{Seed: 1})
	ran := false
	w.Spawn(nil, "spawns", func(p *sim.Proc) {
		defer func() { w.Spawn(nil, "late", func(*sim.Proc) { ran = true }) }()
		p.Sleep(time.Hour)
	})
	w.Schedule(time.Second, "stop", w.Stop)
	require.Nil(t, w.Run())
	require.False(t, ran, "a process spawned after the run ended ran")
	require.Equal(t, before, runtime.NumGoroutine(), "goroutines left after the run")
}
