package apps

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The probe applications test the framework, not a computation: mtiming and
// rtiming record how many workers ran a phase at once, crash makes workers
// die or stall, nocrash computes crash's output without the chaos so that
// the two can be compared.

func init() {
	register(&App{Name: "mtiming", Description: "records map-phase parallelism (mrapps/mtiming.go)",
		Map: mtimingMap, Reduce: joinSorted})
	register(&App{Name: "rtiming", Description: "records reduce-phase parallelism (mrapps/rtiming.go)",
		Map: rtimingMap, Reduce: rtimingReduce})
	register(&App{Name: "crash", Description: "crashes (1/3) or stalls up to 10 s (1/3) in every Map and Reduce (mrapps/crash.go)",
		Map: crashMap, Reduce: crashReduce})
	register(&App{Name: "nocrash", Description: "crash without the crashes, for the expected output (mrapps/nocrash.go)",
		Map: nocrashMap, Reduce: joinSorted})
}

// ProbeSleep is how long nparallel stays in its phase, as in the originals.
const ProbeSleep = time.Second

// nparallel counts the processes in phase, itself included, then stays in
// the phase for ProbeSleep so that a peer starting meanwhile counts it.
func nparallel(env Env, phase string) int {
	n, leave := env.Enter(phase)
	env.Sleep(ProbeSleep)
	leave()
	return n
}

// mtimingMap emits the time the map started and how many maps ran with it,
// keyed by the worker's pid: the test wants two distinct pids (both workers
// ran maps) and some count of 2 (they overlapped).
func mtimingMap(env Env, _ string, _ string) []KeyValue {
	ts := env.Now().Seconds()
	pid := env.PID()
	n := nparallel(env, "map")
	return []KeyValue{
		{Key: fmt.Sprintf("times-%v", pid), Value: fmt.Sprintf("%.1f", ts)},
		{Key: fmt.Sprintf("parallel-%v", pid), Value: fmt.Sprintf("%d", n)},
	}
}

// joinSorted is the Reduce of mtiming and nocrash (and crash, after its
// chaos): the values, sorted, separated by spaces.
func joinSorted(_ Env, _ string, values []string) string {
	return strings.Join(sortedCopy(values), " ")
}

// rtimingMap emits the ten keys a..j, so that there are reduces to overlap.
func rtimingMap(Env, string, string) []KeyValue {
	kva := make([]KeyValue, 0, 10)
	for c := 'a'; c <= 'j'; c++ {
		kva = append(kva, KeyValue{Key: string(c), Value: "1"})
	}
	return kva
}

// rtimingReduce outputs how many reduces ran with this one.
func rtimingReduce(env Env, _ string, _ []string) string {
	return fmt.Sprintf("%d", nparallel(env, "reduce"))
}

// maybeCrash is crash.go's chaos: with probability 330/1000 the worker dies,
// with 330/1000 it stalls for a uniform 0–9999 ms, drawn from the worker's
// own seeded stream (crypto/rand in the original).
func maybeCrash(env Env) {
	r := env.Rand()
	rr := r.IntN(1000)
	switch {
	case rr < 330:
		env.Crash()
	case rr < 660:
		env.Sleep(time.Duration(r.IntN(10*1000)) * time.Millisecond)
	}
}

func nocrashMap(_ Env, filename, contents string) []KeyValue {
	return []KeyValue{
		{Key: "a", Value: filename},
		{Key: "b", Value: strconv.Itoa(len(filename))},
		{Key: "c", Value: strconv.Itoa(len(contents))},
		{Key: "d", Value: "xyzzy"},
	}
}

func crashMap(env Env, filename, contents string) []KeyValue {
	maybeCrash(env)
	return nocrashMap(env, filename, contents)
}

func crashReduce(env Env, key string, values []string) string {
	maybeCrash(env)
	return joinSorted(env, key, values)
}
