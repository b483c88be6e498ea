package raft_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/raft/raftcheck"
)

// Golden traces: where the exact interleaving is the point, a test does not leave it to a
// seed; it scripts it message by message on the core and compares a readable trace with
// testdata/*.txt. After an intended change, regenerate with
//
//	go test ./raft -run TestGolden -rewrite
//
// and review the diff like code.

var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata/ instead of comparing with them")

// scripted is a cluster of cores whose every message is delivered or dropped by a script,
// in the order the script says, with a trace of one line per message and per change of a
// node's visible state. Nodes persist through the real record format, so a crash keeps
// exactly what the node handed out in its Readies. Every boot and persisted Ready goes
// through raftcheck, and its violations are reported in the trace (with the checker's peer
// numbers, from 0).
type scripted struct {
	t     *testing.T
	cfg   func(*raft.Config)
	now   time.Duration
	nodes []*scriptedNode
	queue []raft.Message
	out   strings.Builder
	muted bool
	// unmuteAt, if set, turns tracing on at the first section whose title starts with it.
	unmuteAt string
	checker  *raftcheck.Checker
	applied  map[int]string // index -> command, as first applied anywhere

	violations []string
}

type scriptedNode struct {
	r                   *raft.Raft
	up                  bool
	hard, log           []byte
	state               string // last traced state
	incarnations, draws uint64
}

func newScripted(t *testing.T, n int, cfg func(*raft.Config)) *scripted {
	s := &scripted{t: t, cfg: cfg, checker: raftcheck.New(n), applied: map[int]string{}}
	for i := 0; i < n; i++ {
		s.nodes = append(s.nodes, &scriptedNode{})
	}
	for i := 0; i < n; i++ {
		s.boot(i)
	}
	return s
}

func nodeName(i int) string { return fmt.Sprintf("S%d", i+1) }

func (s *scripted) logf(format string, args ...any) {
	if !s.muted {
		fmt.Fprintf(&s.out, format+"\n", args...)
	}
}

// section starts a part of the script, named as in the paper.
func (s *scripted) section(title string) {
	if s.unmuteAt != "" && strings.HasPrefix(title, s.unmuteAt) {
		s.muted = false
	}
	s.logf("\n== %s", title)
}

func (s *scripted) tick() time.Duration {
	s.now += time.Millisecond
	return s.now
}

// boot (re)starts node i from what it persisted.
func (s *scripted) boot(i int) {
	nd := s.nodes[i]
	hard, err := raft.DecodeHardState(nd.hard)
	require.NoError(s.t, err)
	recs, valid, err := raft.DecodeLogRecords(nd.log)
	require.NoError(s.t, err)
	require.Equal(s.t, len(nd.log), valid)
	ents, err := raft.ReplayLog(recs, raft.SnapshotMeta{})
	require.NoError(s.t, err)
	nd.incarnations++
	cfg := raft.DefaultConfig(i, len(s.nodes), newRand(uint64(i)*1000+nd.incarnations))
	if s.cfg != nil {
		s.cfg(&cfg)
	}
	rec := raft.Persistent{Hard: hard, Entries: ents}
	s.check(s.checker.Booted(i, rec))
	nd.r = raft.New(cfg, rec, s.tick())
	nd.up = true
	nd.state = ""
	s.traceState(i)
}

func (s *scripted) crash(i int) {
	s.logf("%s crashes", nodeName(i))
	s.nodes[i].up = false
	s.nodes[i].r = nil
	kept := s.queue[:0]
	for _, m := range s.queue {
		if m.From == i || m.To == i {
			s.logf("  drop    %s (%s down)", msgLine(m), nodeName(i))
			continue
		}
		kept = append(kept, m)
	}
	s.queue = kept
}

func (s *scripted) restart(i int) {
	s.logf("%s restarts", nodeName(i))
	s.boot(i)
}

// timeout fires node i's election timer.
func (s *scripted) timeout(i int) {
	r := s.nodes[i].r
	s.now = max(s.now, r.Deadline())
	s.logf("%s times out", nodeName(i))
	r.Tick(s.now)
	s.process(i)
}

// commitPush fires leader i's timer when its commit index is due to reach the followers
// that no append carried it to (see raft.Raft's maybeCommit).
func (s *scripted) commitPush(i int) {
	r := s.nodes[i].r
	s.now = max(s.now, r.Deadline())
	s.logf("%s pushes its commit index", nodeName(i))
	r.Tick(s.now)
	s.process(i)
}

func (s *scripted) propose(i int, cmd string) {
	idx, term, ok := s.nodes[i].r.Propose(s.tick(), []byte(cmd))
	require.True(s.t, ok, "%s is not the leader", nodeName(i))
	s.logf("%s proposes %q at index %d in term %d", nodeName(i), cmd, idx, term)
	s.process(i)
}

// process persists, queues the messages of and applies node i's Readies.
func (s *scripted) process(i int) {
	nd := s.nodes[i]
	for nd.r.HasReady() {
		rd := nd.r.Ready()
		require.Nil(s.t, rd.Snapshot, "the script takes no snapshots")
		nd.log = raft.AppendReadyRecords(nd.log, &rd)
		if rd.Hard != nil {
			nd.hard = raft.EncodeHardState(*rd.Hard)
		}
		s.check(s.checker.Persisted(i, nd.r, &rd))
		for _, m := range rd.Messages {
			s.queue = append(s.queue, *m.Clone().(*raft.Message))
		}
		for _, a := range rd.Apply {
			cmd := string(a.Command)
			s.logf("  %s applies %d %q", nodeName(i), a.CommandIndex, cmd)
			if _, ok := s.applied[a.CommandIndex]; !ok {
				s.applied[a.CommandIndex] = cmd
			}
		}
		nd.r.Advance(&rd)
		s.traceState(i)
	}
}

// check records what the checker found, if anything.
func (s *scripted) check(err error) {
	var v *raftcheck.Violation
	if err == nil {
		return
	}
	require.True(s.t, errors.As(err, &v), "%v", err)
	s.violations = append(s.violations, v.Error())
	s.logf("  SAFETY VIOLATION %v", v)
}

// traceState notes node i's role, term, vote, log and commit index when they change.
func (s *scripted) traceState(i int) {
	nd := s.nodes[i]
	r := nd.r
	var log []string
	for k := r.FirstIndex(); k <= r.LastIndex(); k++ {
		e, _ := r.Entry(k)
		log = append(log, fmt.Sprintf("%d/t%d", e.Index, e.Term))
	}
	vote := "-"
	if h := r.HardState(); h.Vote >= 0 {
		vote = nodeName(h.Vote)
	}
	term, _ := r.State()
	st := fmt.Sprintf("%s t%d vote=%s log=[%s] commit=%d", r.Role(), term, vote, strings.Join(log, " "), r.CommitIndex())
	if st == nd.state {
		return
	}
	nd.state = st
	s.logf("  %s: %s", nodeName(i), st)
}

func newRand(seed uint64) raft.Rand { return pcgRand{rand.New(rand.NewPCG(seed, seed))} }

func msgLine(m raft.Message) string {
	// raft.Message.String numbers nodes from 0; the paper names them S1..S5.
	parts := strings.SplitN(m.String(), " ", 3)
	return fmt.Sprintf("%-11s %s->%s %s", parts[0], nodeName(m.From), nodeName(m.To), parts[2])
}

// take removes and returns the first queued message from -> to.
func (s *scripted) take(from, to int) raft.Message {
	for k, m := range s.queue {
		if m.From == from && m.To == to {
			s.queue = append(s.queue[:k], s.queue[k+1:]...)
			return m
		}
	}
	s.t.Fatalf("script: no message queued from %s to %s; queue: %v\ntrace so far:\n%s", nodeName(from), nodeName(to), s.queue, s.out.String())
	return raft.Message{}
}

// deliver hands the first queued message from -> to to its recipient.
func (s *scripted) deliver(from, to int) { s.step(s.take(from, to)) }

// drop loses the first queued message from -> to.
func (s *scripted) drop(from, to int) { s.logf("  drop    %s", msgLine(s.take(from, to))) }

// dropFrom loses every queued message from node from.
func (s *scripted) dropFrom(from int) {
	for _, m := range append([]raft.Message(nil), s.queue...) {
		if m.From == from {
			s.drop(m.From, m.To)
		}
	}
}

func (s *scripted) step(m raft.Message) {
	nd := s.nodes[m.To]
	if !nd.up {
		s.logf("  drop    %s (%s down)", msgLine(m), nodeName(m.To))
		return
	}
	s.logf("  deliver %s", msgLine(m))
	nd.r.Step(s.tick(), m)
	s.process(m.To)
}

// deliverAll delivers queued messages in order, and what they cause, until none is left.
func (s *scripted) deliverAll() {
	for len(s.queue) > 0 {
		m := s.queue[0]
		s.queue = s.queue[1:]
		s.step(m)
	}
}

func (s *scripted) commit(i int) int { return s.nodes[i].r.CommitIndex() }

// The nodes of Figure 8, numbered from 0.
const (
	srv1 = iota
	srv2
	srv3
	srv4
	srv5
)

// scriptFigure8 scripts the interleaving of Figure 8 of the Raft paper (§5.4.2) through (c), then
// branch "d" (S1 crashes and S5 overwrites index 2) or "e" (S1 first commits an entry of
// its own term, and with it index 2, so S5 cannot win). It returns S1's commit index at
// the end of (c), when index 2 (term 2) is on a majority: S1,S2,S3.
func scriptFigure8(s *scripted, branch string) (commitAtC int) {
	s.section("preamble: S5 leads term 1 and commits 1/t1 everywhere; S1 leads term 2")
	s.timeout(srv5)
	s.deliverAll()
	s.propose(srv5, "x")
	s.deliverAll()
	s.commitPush(srv5)
	s.deliverAll()
	s.timeout(srv1)
	s.deliverAll()

	s.section("(a) S1 leads term 2 and replicates index 2 to S2 only")
	s.propose(srv1, "y")
	s.deliver(srv1, srv2)
	s.deliver(srv2, srv1)
	s.drop(srv1, srv3)
	s.drop(srv1, srv4)
	s.drop(srv1, srv5)

	s.section("(b) S1 crashes; S5 wins term 3 with the votes of S3, S4 and itself, and accepts a different index 2")
	s.crash(srv1)
	s.timeout(srv5)
	s.deliver(srv5, srv1) // S1 is down
	s.drop(srv5, srv2)
	s.deliver(srv5, srv3)
	s.deliver(srv5, srv4)
	s.deliver(srv3, srv5)
	s.deliver(srv4, srv5)
	s.dropFrom(srv5) // its first heartbeats
	s.propose(srv5, "z")
	s.crash(srv5)

	s.section("(c) S1 restarts, wins term 4 (after a split vote in term 3) and replicates index 2 to S3, a majority: §5.4.2 forbids committing it by counting")
	s.restart(srv1)
	s.timeout(srv1) // term 3: S3 and S4 voted for S5 in it
	s.deliver(srv1, srv2)
	s.deliver(srv1, srv3)
	s.deliver(srv1, srv4)
	s.deliver(srv1, srv5) // S5 is down
	s.deliver(srv2, srv1)
	s.deliver(srv3, srv1)
	s.deliver(srv4, srv1)
	s.timeout(srv1) // term 4
	s.deliver(srv1, srv2)
	s.deliver(srv1, srv3)
	s.deliver(srv1, srv4)
	s.deliver(srv1, srv5) // S5 is down
	s.deliver(srv2, srv1)
	s.deliver(srv3, srv1) // S1 leads term 4
	s.deliver(srv4, srv1)
	s.deliver(srv1, srv2)
	s.deliver(srv2, srv1)
	s.deliver(srv1, srv3) // S3 lacks index 2: rejects, and S1 backs up
	s.deliver(srv3, srv1)
	s.deliver(srv1, srv3) // index 2 (term 2) is now on S1, S2 and S3
	s.deliver(srv3, srv1)
	s.drop(srv1, srv4)
	s.deliver(srv1, srv5) // S5 is down
	commitAtC = s.commit(srv1)
	s.logf("S1's commit index with 2/t2 on a majority: %d", commitAtC)

	switch branch {
	case "d":
		s.section("(d) S1 crashes; S5 wins term 5 with the votes of S2, S3 and S4, and overwrites index 2")
		s.crash(srv1)
		s.restart(srv5)
		s.timeout(srv5) // term 4: S2, S3 and S4 voted for S1 in it
		s.deliverAll()
		s.timeout(srv5) // term 5: its last term 3 beats their 2 and 1
		s.deliverAll()
		s.propose(srv5, "w")
		s.deliverAll()
		s.commitPush(srv5)
		s.deliverAll()
	case "e":
		s.section("(e) instead: S1 replicates an entry of term 4 to a majority; it commits, and index 2 with it")
		s.propose(srv1, "v")
		s.deliverAll()
		s.commitPush(srv1)
		s.deliverAll()
		s.logf("If S1 crashes now, S5 cannot win: S2 and S3 hold a later last term (4) than its 3")
		s.crash(srv1)
		s.restart(srv5)
		s.timeout(srv5)
		s.deliverAll()
		s.timeout(srv5)
		s.deliverAll()
	default:
		s.t.Fatalf("unknown branch %q", branch)
	}
	s.deliverAll()
	return commitAtC
}

const figure8Header = `# Figure 8 of the Raft paper (§5.4.2), scripted on the core: five nodes S1..S5, every
# message delivered or dropped by the script (raft/golden_test.go). One line per message
# ("deliver"/"drop") and per change of a node's role, term, vote, log (index/term) or
# commit index. Regenerate with: go test ./raft -run TestGolden -rewrite
`

func golden(t *testing.T, file, got string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	if *rewrite {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; create it with -rewrite")
	require.Equal(t, string(want), got, "trace differs from %s; if the change is intended, rerun with -rewrite and review the diff", path)
}

// TestGoldenFigure8: the correct core never commits 2/t2 by counting replicas; in (d) S5
// overwrites it, in (e) it commits with S1's term-4 entry.
func TestGoldenFigure8(t *testing.T) {
	d := newScripted(t, 5, nil)
	require.Less(t, scriptFigure8(d, "d"), 2, "S1 committed index 2 of term 2 by counting replicas (§5.4.2)")
	require.Empty(t, d.violations)
	require.Equal(t, "z", d.applied[2], "in (d) S5's index 2 is the one committed")
	require.Equal(t, "w", d.applied[3])

	// Branch (e) replays the same script through (c), tracing only from (e) on.
	e := newScripted(t, 5, nil)
	e.out.Reset()
	e.muted, e.unmuteAt = true, "(e)"
	require.Less(t, scriptFigure8(e, "e"), 2)
	require.Empty(t, e.violations)
	require.Equal(t, "y", e.applied[2], "in (e) S1's index 2 is committed with its term-4 entry")
	require.Equal(t, "v", e.applied[3])
	for i, nd := range e.nodes {
		if nd.up {
			term, leader := nd.r.State()
			require.False(t, leader, "%s leads term %d in (e): S5 cannot win, and S1 is down", nodeName(i), term)
		}
	}

	golden(t, "figure8.txt", figure8Header+d.out.String()+e.out.String())
}

// TestGoldenFigure8UnsafeCommitOldTerms runs the same script with §5.4.2 switched off: S1
// commits 2/t2 by counting replicas in (c), applies it, and in (d) S5 wins term 5 without
// it, which leader completeness catches before S5 overwrites and commits another index 2.
func TestGoldenFigure8UnsafeCommitOldTerms(t *testing.T) {
	safe := newScripted(t, 5, nil)
	scriptFigure8(safe, "d")

	s := newScripted(t, 5, func(c *raft.Config) { c.UnsafeCommitOldTerms = true })
	require.Equal(t, 2, scriptFigure8(s, "d"), "with UnsafeCommitOldTerms S1 commits the old-term entry at (c)")
	require.NotEqual(t, safe.out.String(), s.out.String())
	require.Contains(t, s.out.String(), `S1 applies 2 "y"`)
	require.NotEmpty(t, s.violations)
	require.Contains(t, s.violations[0], "leader-completeness: leader 4 of term 5 has term 3 at committed index 2, committed term was 2",
		"S5 (peer 4) leads term 5 without 2/t2, which S1 applied in term 4")
	golden(t, "figure8_unsafe.txt", figure8UnsafeHeader+s.out.String())
}

const figure8UnsafeHeader = `# The script of figure8.txt with Config.UnsafeCommitOldTerms (the Figure 8 bug): S1 commits
# 2/t2 by counting replicas in (c), and S5 later commits a different entry at index 2.
`
