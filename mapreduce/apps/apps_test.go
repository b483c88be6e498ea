package apps

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/lockstep-dst/lockstep/sim"
)

// fakeEnv is a process for one app call: it records sleeps and crashes and
// reports a fixed number of peers in every phase.
type fakeEnv struct {
	pid     int
	now     time.Duration
	peers   int
	rand    *sim.Rand
	slept   time.Duration
	entered []string
	left    int
}

type crashed struct{}

func (e *fakeEnv) PID() int              { return e.pid }
func (e *fakeEnv) Now() time.Duration    { return e.now }
func (e *fakeEnv) Sleep(d time.Duration) { e.slept += d; e.now += d }
func (e *fakeEnv) Rand() *sim.Rand       { return e.rand }
func (e *fakeEnv) Crash()                { panic(crashed{}) }
func (e *fakeEnv) Enter(phase string) (int, func()) {
	e.entered = append(e.entered, phase)
	return e.peers, func() { e.left++ }
}

func app(t *testing.T, name string) *App {
	t.Helper()
	a, ok := Lookup(name)
	require.True(t, ok, name)
	return a
}

func TestRegistry(t *testing.T) {
	require.Equal(t, []string{"crash", "indexer", "mtiming", "nocrash", "rtiming", "wc"}, Names())
	_, ok := Lookup("nope")
	require.False(t, ok)
}

func TestWordCount(t *testing.T) {
	wc := app(t, "wc")
	kva := wc.Map(&fakeEnv{}, "f", "The cat, the Cat!\ndon't 42x")
	var words []string
	for _, kv := range kva {
		require.Equal(t, "1", kv.Value)
		words = append(words, kv.Key)
	}
	require.Equal(t, []string{"The", "cat", "the", "Cat", "don", "t", "x"}, words)
	require.Equal(t, "3", wc.Reduce(&fakeEnv{}, "the", []string{"1", "1", "1"}))
}

func TestIndexer(t *testing.T) {
	ix := app(t, "indexer")
	require.Equal(t, []KeyValue{{"c", "d1"}, {"b", "d1"}, {"a", "d1"}},
		ix.Map(&fakeEnv{}, "d1", "c b a b c c"), "each word once, in order of first appearance")
	values := []string{"pg-b.txt", "pg-a.txt"}
	require.Equal(t, "2 pg-a.txt,pg-b.txt", ix.Reduce(&fakeEnv{}, "w", values))
	require.Equal(t, []string{"pg-b.txt", "pg-a.txt"}, values, "Reduce must not reorder its argument")
	require.Equal(t, "1 only", ix.Reduce(&fakeEnv{}, "w", []string{"only"}))
	require.Equal(t, "0 ", ix.Reduce(&fakeEnv{}, "w", nil), "as the original's Sprintf(\"%d %s\") of nothing")
}

func TestMapTiming(t *testing.T) {
	mt := app(t, "mtiming")
	env := &fakeEnv{pid: 7, now: 2500 * time.Millisecond, peers: 2}
	kva := mt.Map(env, "f", "ignored")
	require.Equal(t, []KeyValue{{"times-7", "2.5"}, {"parallel-7", "2"}}, kva)
	require.Equal(t, ProbeSleep, env.slept, "nparallel stays a second in the phase")
	require.Equal(t, []string{"map"}, env.entered)
	require.Equal(t, 1, env.left)
	require.Equal(t, "1 2 2", mt.Reduce(&fakeEnv{}, "parallel-7", []string{"2", "1", "2"}))
}

func TestReduceTiming(t *testing.T) {
	rt := app(t, "rtiming")
	kva := rt.Map(&fakeEnv{}, "f", "")
	require.Len(t, kva, 10)
	require.Equal(t, KeyValue{"a", "1"}, kva[0])
	require.Equal(t, KeyValue{"j", "1"}, kva[9])
	env := &fakeEnv{peers: 2}
	require.Equal(t, "2", rt.Reduce(env, "a", []string{"1", "1"}))
	require.Equal(t, []string{"reduce"}, env.entered)
	require.Equal(t, ProbeSleep, env.slept)
}

func TestNoCrash(t *testing.T) {
	nc := app(t, "nocrash")
	require.Equal(t, []KeyValue{{"a", "pg-x.txt"}, {"b", "8"}, {"c", "5"}, {"d", "xyzzy"}},
		nc.Map(&fakeEnv{}, "pg-x.txt", "hello"))
	require.Equal(t, "1 2 3", nc.Reduce(&fakeEnv{}, "c", []string{"3", "1", "2"}))
}

// TestCrashOdds checks crash.go's odds on the worker's seeded stream: a
// third crash, a third stall for 0–10 s, a third run straight through, and
// whatever survives computes nocrash's answer.
func TestCrashOdds(t *testing.T) {
	cr, nc := app(t, "crash"), app(t, "nocrash")
	r := sim.NewRand(42)
	const n = 3000
	crashes, stalls := 0, 0
	for i := 0; i < n; i++ {
		env := &fakeEnv{rand: r}
		func() {
			defer func() {
				if rec := recover(); rec != nil {
					require.Equal(t, crashed{}, rec)
					crashes++
				}
			}()
			require.Equal(t, nc.Map(env, "f", "xyz"), cr.Map(env, "f", "xyz"))
		}()
		require.Less(t, env.slept, 10*time.Second)
		if env.slept > 0 {
			stalls++
		}
	}
	require.InDelta(t, 0.33, float64(crashes)/n, 0.03)
	require.InDelta(t, 0.33, float64(stalls)/n, 0.03)
}

// TestMapEmitIsMap: an application's MapEmit hands out exactly its Map's
// pairs, in order, on arbitrary text.
func TestMapEmitIsMap(t *testing.T) {
	var streaming []string
	for _, name := range Names() {
		a := app(t, name)
		if a.MapEmit == nil {
			continue
		}
		streaming = append(streaming, name)
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				s := rapid.OneOf(rapid.String(), rapid.StringMatching(`[a-cA-C ,.'\n]*`)).Draw(t, "s")
				var got []KeyValue
				a.EachPair(&fakeEnv{}, "doc", s, func(k, v string) { got = append(got, KeyValue{k, v}) })
				want := a.Map(&fakeEnv{}, "doc", s)
				if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
					t.Fatalf("MapEmit(%q) = %q, Map %q", s, got, want)
				}
			})
		})
	}
	require.Equal(t, []string{"indexer", "wc"}, streaming)
}

// TestEachWordIsFieldsFunc checks the fast splitter against the originals'
// strings.FieldsFunc on arbitrary text, Unicode and invalid UTF-8 included.
func TestEachWordIsFieldsFunc(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(), rapid.StringMatching(`[a-zA-Zé ,.'\n0-9]*`)).Draw(t, "s")
		if rapid.Bool().Draw(t, "invalid") {
			s += "\xff\xfe" + s
		}
		var got []string
		eachWord(s, func(w string) { got = append(got, w) })
		want := strings.FieldsFunc(s, notLetter)
		if len(want) == 0 {
			want = nil
		}
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Fatalf("eachWord(%q) = %q, FieldsFunc %q", s, got, want)
		}
	})
}
