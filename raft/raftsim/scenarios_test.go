package raftsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft/internal/paged"
	"github.com/lockstep-dst/lockstep/sim"
)

// scenarioSeeds is how many seeds every raft/* scenario runs on under go
// test (one with -short); simrun sweeps the thousands.
func scenarioSeeds() uint64 {
	if testing.Short() {
		return 1
	}
	return 5
}

// TestScenarios runs every registered raft/* scenario on seeds
// 1..scenarioSeeds(), each of which must pass, and checks seed 1 replays
// identically.
func TestScenarios(t *testing.T) {
	scenarios, err := sim.Match("raft/*")
	require.NoError(t, err)
	require.NotEmpty(t, scenarios)
	for _, s := range scenarios {
		t.Run(s.Name[len("raft/"):], func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= scenarioSeeds(); seed++ {
				var res sim.Result
				if seed == 1 {
					var div *sim.Divergence
					res, div = sim.CheckDeterminism(s, sim.Options{Seed: seed})
					require.Nil(t, div, "%s seed %d: %v", s.Name, seed, div)
				} else {
					res = sim.RunScenario(s, sim.Options{Seed: seed})
				}
				require.True(t, res.Passed(), "%s seed %d: %s: %v\nreplay: go run ./cmd/simrun replay -scenario %s -seed %d -v",
					s.Name, seed, res.Outcome, res.Failure, s.Name, seed)
			}
		})
	}
}

// TestSuiteRegistered pins the 6.824 Lab 2 names: each original test has a
// scenario with the same stem.
func TestSuiteRegistered(t *testing.T) {
	for _, name := range []string{
		"InitialElection2A", "ReElection2A",
		"BasicAgree2B", "RPCBytes2B", "FailAgree2B", "FailNoAgree2B", "ConcurrentStarts2B",
		"Rejoin2B", "Backup2B", "Count2B",
		"Persist12C", "Persist22C", "Persist32C", "Figure82C", "UnreliableAgree2C",
		"Figure8Unreliable2C", "ReliableChurn2C", "UnreliableChurn2C",
	} {
		_, ok := sim.Lookup("raft/" + name)
		require.True(t, ok, "raft/%s is not registered", name)
	}
}

// TestRandStringTakesTenLettersADraw: randString's bytes are the base64 letters of six
// bits of a draw each, ten to a draw from its low bits up, and it draws no more than
// that, so that the stream goes on where its n/10 draws end; every letter occurs.
func TestRandStringTakesTenLettersADraw(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	seen := map[byte]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		for _, n := range []int{0, 1, 9, 10, 11, 5000} {
			got, want := sim.NewRand(seed), sim.NewRand(seed)
			s := make([]byte, n)
			randString(got, s)
			var x uint64
			for i := range s {
				if i%10 == 0 {
					x = want.Uint64()
				}
				require.Equal(t, alphabet[x>>(6*(i%10))&63], s[i], "seed %d length %d byte %d", seed, n, i)
				seen[s[i]] = true
			}
			require.Equal(t, want.Uint64(), got.Uint64(), "seed %d length %d: the streams go on alike", seed, n)
		}
	}
	require.Len(t, seen, len(alphabet))
}

// TestNotInLog: the churn scenarios' final check finds the first value a client saw
// committed that is nowhere in the final log, and none when every value is there, at the
// index it was seen at or elsewhere.
func TestNotInLog(t *testing.T) {
	log := func(vs ...string) [][]byte {
		var l [][]byte
		for _, v := range vs {
			l = append(l, []byte(v))
		}
		return l
	}
	at := func(index int, v string) seen { return seen{index, []byte(v)} }
	clients := func(cs ...[]seen) []paged.Table[seen] {
		ps := make([]paged.Table[seen], len(cs))
		for i, c := range cs {
			for _, s := range c {
				ps[i].Push(s)
			}
		}
		return ps
	}
	// Seen at the indices of the first log below.
	saw := clients([]seen{at(5, "5"), at(2, "17")}, nil, []seen{at(3, "3"), at(6, "42"), at(1, "9")})

	_, _, missing := notInLog(log("9", "17", "3", "100", "5", "42"), saw)
	require.False(t, missing, "every value is in the log, where it was seen")

	_, _, missing = notInLog(log("17", "3", "42", "9", "100", "5"), saw)
	require.False(t, missing, "every value is in the log, elsewhere")

	me, v, missing := notInLog(log("9", "17", "3", "100", "5", "4"), saw)
	require.True(t, missing)
	require.Equal(t, 2, me)
	require.Equal(t, "42", string(v))

	me, v, missing = notInLog(log("17", "3", "42", "9", "55"), saw)
	require.True(t, missing, "client 0's 5 is missing, and found before client 2's values")
	require.Equal(t, 0, me)
	require.Equal(t, "5", string(v))

	me, v, missing = notInLog(log("9", "17"), clients([]seen{at(7, "17"), at(9, "8")}))
	require.True(t, missing, "seen past the end of the log: 17 is found elsewhere, 8 nowhere")
	require.Equal(t, 0, me)
	require.Equal(t, "8", string(v))

	_, _, missing = notInLog(nil, clients(nil, nil))
	require.False(t, missing, "no values seen, none missing")
}

// TestWaitGivesUpOnTheOriginalsSchedule: Wait polls as the originals' wait() does, at 10 ms
// doubling while under a second (10, 20, ... 640, then 1,280 ms), 30 times, and counts once
// more after the last sleep before it fails; an index already committed returns at once.
func TestWaitGivesUpOnTheOriginalsSchedule(t *testing.T) {
	var start, returned time.Duration
	var got []byte
	s := &sim.Scenario{Name: "raft/WaitTest", Main: func(p *sim.Proc) error {
		c := NewCluster(p, Setup{}, 3, false, false)
		index := c.One(Cmd(7), 3, false)
		start = p.Now()
		got = c.Wait(index, 3, -1)
		returned = p.Now()
		for i := 0; i < 3; i++ {
			c.Disconnect(i)
		}
		c.Wait(index+1, 1, -1) // never proposed: fails the run
		return nil
	}}
	res := sim.RunScenario(s, sim.Options{Seed: 1})
	require.Equal(t, "7", string(got))
	require.Equal(t, start, returned, "a committed index is not waited for")
	require.False(t, res.Passed())
	require.Contains(t, res.Failure.Err.Error(), "only 0 decided for index 2; wanted 1")
	sleeps := (10+20+40+80+160+320+640)*time.Millisecond + 23*1280*time.Millisecond
	require.Equal(t, start+sleeps, res.Failure.At)
}

// TestCommandArenaKeepsCopies: the clients' commands are copies packed into shared chunks:
// the buffer they were formatted in can be reused, an append to one cannot overwrite the
// next, a view (On) carves from the same chunk as its cluster and never hands out the same
// bytes twice, and a command too long for a chunk is a copy of its own.
func TestCommandArenaKeepsCopies(t *testing.T) {
	c := &Cluster{commands: &commandArena{}}
	v := c.On(nil)
	buf := []byte("one")
	a := c.commands.keep(buf)
	copy(buf, "XXX")
	b := v.intCmd(42)
	d := v.clientCmd(3, 7)
	_ = append(a, "!!!!!"...)
	require.Equal(t, "one", string(a))
	require.Equal(t, "42", string(b), "an append to the command before reached it")
	require.Equal(t, "c3-7", string(d))
	e := c.intCmd(5)
	require.Equal(t, "5", string(e))
	require.Equal(t, "c3-7", string(d), "the cluster and its view handed out the same bytes")
	long := make([]byte, commandChunk)
	require.Equal(t, long, c.commands.keep(long))
	require.Equal(t, "5", string(e))
}
