package mapreduce

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/mapreduce/apps"
	"github.com/lockstep-dst/lockstep/sim"
)

var smallCorpus = CorpusSpec{Bytes: 80_000, Shared: 2000, Private: 200, Common: 50}

func lookupApp(t *testing.T, name string) *apps.App {
	t.Helper()
	a, ok := apps.Lookup(name)
	require.True(t, ok)
	return a
}

// runCluster builds a cluster of app over a small corpus with the given
// workers, lets setup adjust it, starts the coordinator and workers, and
// runs until the job is done and every worker has exited (or an hour of
// virtual time). It returns the cluster and the time the job was done.
func runCluster(t *testing.T, cfg Config, app string, workers int, setup func(c *Cluster)) (*Cluster, time.Duration) {
	t.Helper()
	w := sim.NewWorld(sim.Options{Seed: 1})
	c := NewCluster(w, cfg, lookupApp(t, app), GenerateCorpus(w.Rand("corpus"), smallCorpus))
	for i := 0; i < workers; i++ {
		c.AddWorker()
	}
	if setup != nil {
		setup(c)
	}
	w.Spawn(nil, "main", func(p *sim.Proc) {
		w.Start(c.Coord)
		for _, n := range c.Workers {
			if !n.Up() {
				w.Start(n)
			}
		}
		p.WaitUntil(func() bool { return c.Done() && c.AllWorkersExited() }, 100*time.Millisecond, time.Hour)
		w.Stop()
	})
	require.Nil(t, w.Run())
	return c, c.Audit.DoneAt
}

func TestJobMatchesSequential(t *testing.T) {
	for _, app := range []string{"wc", "indexer"} {
		t.Run(app, func(t *testing.T) {
			c, _ := runCluster(t, Config{}, app, 2, nil)
			out := c.Outputs()
			require.NoError(t, VerifyNoPartialReads(c.FS))
			require.NoError(t, VerifyNoPartialFiles(c.FS))
			require.NoError(t, VerifyExactlyOnce(c, out))
			var inputs []InputFile
			for _, name := range c.Inputs {
				data, _ := c.FS.ReadFile(Reader{Who: "test"}, name)
				inputs = append(inputs, InputFile{name, data})
			}
			require.NoError(t, compareLines(allLines(out), SortedLines(Sequential(lookupApp(t, app), inputs))))
		})
	}
}

// TestVerifyExactlyOnceKeys: the key checks of VerifyExactlyOnce on a
// finished job's outputs, tampered with: lines in another order within a
// file are fine; a key twice, or in another partition's file, is not.
func TestVerifyExactlyOnceKeys(t *testing.T) {
	c, _ := runCluster(t, Config{}, "wc", 2, nil)
	out := c.Outputs()
	require.NoError(t, VerifyExactlyOnce(c, out))
	require.True(t, outputsInOrder(out, c.Config().NReduce))
	tampered := func(r int, edit func(lines []string) []string) map[int][]byte {
		m := maps.Clone(out)
		lines := strings.Split(strings.TrimSuffix(string(out[r]), "\n"), "\n")
		m[r] = []byte(strings.Join(edit(slices.Clone(lines)), "\n") + "\n")
		return m
	}
	reversed := tampered(3, func(l []string) []string { slices.Reverse(l); return l })
	require.False(t, outputsInOrder(reversed, c.Config().NReduce))
	require.NoError(t, VerifyExactlyOnce(c, reversed))
	twice := tampered(3, func(l []string) []string { return append(l, l[0]) })
	require.ErrorContains(t, VerifyExactlyOnce(c, twice), "appears twice")
	key, _, _ := strings.Cut(string(out[3]), " ")
	moved := tampered(4, func(l []string) []string { return append(l, key+" 1") })
	require.ErrorContains(t, VerifyExactlyOnce(c, moved), "appears twice")
	stray := tampered(4, func(l []string) []string { return append(l, "zzzz-not-a-word 1") })
	require.Equal(t, 6, ihash("zzzz-not-a-word")%c.Config().NReduce)
	require.ErrorContains(t, VerifyExactlyOnce(c, stray), "its partition is 6")
}

// TestParallelismShowsInVirtualTime: computation costs virtual time, so
// three workers finish the same job sooner than one (not three times
// sooner: the map/reduce barrier and uneven inputs leave workers idle).
func TestParallelismShowsInVirtualTime(t *testing.T) {
	_, one := runCluster(t, Config{}, "wc", 1, nil)
	_, three := runCluster(t, Config{}, "wc", 3, nil)
	require.Less(t, float64(three), 0.75*float64(one), "one worker %v, three %v", one, three)
}

// TestWorkerExitsWhenCoordinatorIsGone: with no coordinator to answer, a
// worker gives up after GiveUpAfter failed calls, RetryInterval apart.
func TestWorkerExitsWhenCoordinatorIsGone(t *testing.T) {
	w := sim.NewWorld(sim.Options{Seed: 1})
	c := NewCluster(w, Config{}, lookupApp(t, "wc"), nil)
	n := c.AddWorker()
	var exitedAt time.Duration
	w.Spawn(nil, "main", func(p *sim.Proc) {
		w.Start(n) // the coordinator is never started
		p.WaitUntil(func() bool { return !c.WorkerRunning(n) }, time.Millisecond, time.Minute)
		exitedAt = p.Now()
		w.Stop()
	})
	require.Nil(t, w.Run())
	require.False(t, c.WorkerRunning(n))
	cfg := c.Config()
	// Five failures, each reported within the network's 100 ms fail delay,
	// with a retry interval after each but the last.
	minimum := time.Duration(cfg.GiveUpAfter-1) * cfg.RetryInterval
	require.GreaterOrEqual(t, exitedAt, minimum)
	require.Less(t, exitedAt, minimum+time.Duration(cfg.GiveUpAfter)*100*time.Millisecond+2*time.Millisecond)
}

// TestWorkersExitWhenTheJobIsDone: the coordinator tells workers to exit;
// they do not need it to go away.
func TestWorkersExitWhenTheJobIsDone(t *testing.T) {
	c, _ := runCluster(t, Config{}, "wc", 3, nil)
	require.True(t, c.Coord.Up(), "the coordinator is still running")
	require.True(t, c.AllWorkersExited())
}

// TestCrashMidWriteLeavesOnlyATemporaryFile: a worker killed in the middle
// of writing leaves an unpublished temporary file; its task is re-issued
// after the timeout and the job completes with exactly-once output.
func TestCrashMidWriteLeavesOnlyATemporaryFile(t *testing.T) {
	var crashedIn string
	c, doneAt := runCluster(t, Config{}, "wc", 2, func(c *Cluster) {
		writes := 0
		c.onWrite = func(p *sim.Proc, wk *worker, name string) {
			if writes++; writes == 3 {
				crashedIn = name
				wk.crashSelf()
			}
		}
	})
	require.NotEmpty(t, crashedIn)
	temps := c.FS.Temps()
	require.Len(t, temps, 1)
	require.True(t, strings.HasPrefix(temps[0], crashedIn+".tmp"), "%v", temps)
	require.GreaterOrEqual(t, doneAt, c.Config().TaskTimeout, "the lost task waited for its timeout")
	out := c.Outputs()
	require.NoError(t, VerifyNoPartialReads(c.FS))
	require.NoError(t, VerifyNoPartialFiles(c.FS))
	require.NoError(t, VerifyExactlyOnce(c, out))
}

// TestInPlaceCrashLeavesPartialFile is the same crash with the in-place
// bug: the partial file sits under its final name until the re-issued task
// rewrites it.
func TestInPlaceCrashLeavesPartialFile(t *testing.T) {
	var partialSeen bool
	runCluster(t, Config{bugs: bugs{inPlace: true}}, "wc", 2, func(c *Cluster) {
		writes := 0
		c.onWrite = func(p *sim.Proc, wk *worker, name string) {
			if writes++; writes == 3 {
				c.w.Schedule(time.Second, "look", func() { partialSeen = VerifyNoPartialFiles(c.FS) != nil })
				wk.crashSelf()
			}
		}
	})
	require.True(t, partialSeen)
}

// TestSupervisorRestartsAfterASecond: test-mr.sh's loop restarts a worker
// one second after it dies, and stops once the coordinator exits.
func TestSupervisorRestartsAfterASecond(t *testing.T) {
	var starts []string
	w := sim.NewWorld(sim.Options{Seed: 1, Trace: func(r sim.Record) {
		if strings.Contains(r.Note, "worker pid") && strings.HasSuffix(r.Note, "starts") {
			starts = append(starts, fmt.Sprintf("%v %s", r.At, r.Note))
		}
	}})
	c := NewCluster(w, Config{}, lookupApp(t, "wc"), GenerateCorpus(w.Rand("corpus"), smallCorpus))
	n := c.AddWorker()
	w.Spawn(nil, "main", func(p *sim.Proc) {
		w.Start(c.Coord)
		c.Supervise(n)
		p.Sleep(50 * time.Millisecond)
		w.Crash(n)
		p.Sleep(500 * time.Millisecond)
		require.False(t, n.Up(), "not restarted before a second")
		p.Sleep(600 * time.Millisecond)
		require.True(t, c.WorkerRunning(n), "restarted after a second")
		c.ExitCoordinator()
		p.Sleep(time.Minute)
		w.Stop()
	})
	require.Nil(t, w.Run())
	require.Equal(t, []string{"0s worker pid 1 starts", "1.05s worker pid 2 starts"}, starts)
}
