package rafthost

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/raft"
	"github.com/lockstep-dst/lockstep/sim"
)

// runTest runs body as the main process of a one-off scenario and fails t if the run
// fails (body fails it with p.Fatalf).
func runTest(t *testing.T, body func(p *sim.Proc)) sim.Result {
	t.Helper()
	var trace strings.Builder
	s := &sim.Scenario{Name: "raft/PeerTest", Main: func(p *sim.Proc) error { body(p); return nil }}
	res := sim.RunScenario(s, sim.Options{Seed: 1, Trace: func(r sim.Record) { fmt.Fprintln(&trace, r) }})
	require.True(t, res.Passed(), "%s: %v\ntrace:\n%s", res.Outcome, res.Failure, trace.String())
	return res
}

// gatedStorage holds every Sync until the test releases it, and records the operations.
type gatedStorage struct {
	sim.Storage
	node *sim.Node
	held []func()
	ops  []string
}

func (g *gatedStorage) WriteFile(name string, data []byte) {
	g.ops = append(g.ops, "write "+name)
	g.Storage.WriteFile(name, data)
}

func (g *gatedStorage) WriteFileOwned(name string, head, tail []byte) {
	g.ops = append(g.ops, "write "+name)
	g.Storage.WriteFileOwned(name, head, tail)
}

func (g *gatedStorage) AppendFile(name string, data []byte) {
	g.ops = append(g.ops, "append "+name)
	g.Storage.AppendFile(name, data)
}

func (g *gatedStorage) Rename(from, to string) {
	g.ops = append(g.ops, "rename "+from+" "+to)
	g.Storage.Rename(from, to)
}

func (g *gatedStorage) Sync(done func()) {
	g.ops = append(g.ops, "sync")
	g.held = append(g.held, func() {
		g.Storage.Sync(nil)
		if done != nil {
			done()
		}
	})
}

// release completes the oldest held sync, as an event of the node.
func (g *gatedStorage) release() {
	done := g.held[0]
	g.held = g.held[1:]
	g.node.After(0, "test/sync", done)
}

// gatedPeer is node a, a peer (ID 0, elections a minute apart) of a two-peer cluster whose
// storage holds every sync until the test releases it, and ep, node b's bare endpoint
// standing for peer 1, which the test drives by hand.
type gatedPeer struct {
	gate *gatedStorage
	peer *Peer
	a    *sim.Node
	ep   *netsim.Endpoint
}

func startGatedPeer(p *sim.Proc, net *netsim.Network) gatedPeer {
	w := p.World()
	var gate *gatedStorage
	var peer *Peer
	a := w.AddNode("a", func(node *sim.Node) {
		gate = &gatedStorage{Storage: node.Disk, node: node}
		peer = StartPeer(node, net.Endpoint(node.ID), PeerConfig{
			Raft:    raft.Config{ID: 0, ElectionTimeout: time.Minute, HeartbeatInterval: time.Second},
			Peers:   []int{node.ID, node.ID + 1},
			Storage: gate,
		})
	})
	b := w.AddNode("b", func(*sim.Node) {})
	net.Attach(a)
	ep := net.Attach(b)
	w.Restart(a)
	w.Restart(b)
	p.Sleep(time.Millisecond)
	return gatedPeer{gate, peer, a, ep}
}

// TestPeerAnswersOnlyOnceDurable is issue 8 item 3 (host side): a peer sends the response
// to a request only when the state it acknowledges is durable, that is in the completion
// of its last Sync, while it keeps stepping requests that arrive meanwhile and answers
// them, in order, once their own Ready is durable. The old host sent right after issuing
// its writes and a Sync, whenever that Sync completed, and panicked on a request stepped
// while another waited for its answer.
func TestPeerAnswersOnlyOnceDurable(t *testing.T) {
	runTest(t, func(p *sim.Proc) {
		w := p.World()
		net := netsim.New(w)
		g := startGatedPeer(p, net)
		gate, peer, a, ep := g.gate, g.peer, g.a, g.ep

		var replies []raft.Message
		call := func(m *raft.Message) {
			ep.Call(a.ID, methodOf(m.Type), m, func(reply any, ok bool) {
				if !ok {
					p.Fatalf("test", "%v failed", m)
				}
				replies = append(replies, received(reply))
			})
		}
		// A vote request (term 1, a vote to persist), then, while that is being synced,
		// an AppendEntries (an entry to persist).
		call(&raft.Message{Type: raft.MsgVote, From: 1, To: 0, Term: 1})
		p.Sleep(10 * time.Millisecond)
		call(&raft.Message{Type: raft.MsgApp, From: 1, To: 0, Term: 1,
			Entries: []raft.Entry{{Term: 1, Index: 1, Command: []byte("x")}}})
		p.Sleep(100 * time.Millisecond)
		if len(replies) != 0 {
			p.Fatalf("test", "replies before any sync completed: %v", replies[0])
		}
		if len(gate.held) != 1 {
			p.Fatalf("test", "%d syncs held, want 1 (one Ready at a time): %v", len(gate.held), gate.ops)
		}
		// The hard state: tmp written and synced, renamed, synced. Only then the vote.
		gate.release()
		p.Sleep(100 * time.Millisecond)
		if len(replies) != 0 {
			p.Fatalf("test", "vote sent before the rename of the hard state was synced")
		}
		gate.release()
		p.Sleep(100 * time.Millisecond)
		if len(replies) != 1 || replies[0].Type != raft.MsgVoteResp || !replies[0].Granted {
			p.Fatalf("test", "after the hard state is durable, want the vote granted alone, got %v", replies)
		}
		// The entry: appended and synced, then the AppendEntries reply.
		if len(gate.held) != 1 {
			p.Fatalf("test", "%d syncs held for the entry, want 1: %v", len(gate.held), gate.ops)
		}
		gate.release()
		p.Sleep(100 * time.Millisecond)
		if len(replies) != 2 || replies[1].Type != raft.MsgAppResp || !replies[1].Success || replies[1].MatchIndex != 1 {
			p.Fatalf("test", "want the append acknowledged at 1 once synced, got %v", replies)
		}
		want := []string{"write raft/hard.tmp", "sync", "rename raft/hard.tmp raft/hard", "sync", "append raft/log", "sync"}
		if strings.Join(gate.ops, "; ") != strings.Join(want, "; ") {
			p.Fatalf("test", "storage operations\n got %v\nwant %v", gate.ops, want)
		}
		if peer.Halted() != nil {
			p.Fatalf("test", "halted: %v", peer.Halted())
		}
	})
}

// TestPersistFollowsTheFileProtocol is issue 8 item 16: every file the peer replaces (hard
// state, snapshot, compacted log) is written to a temporary file, synced, renamed over the
// target and synced again, and the three are made durable in the order recovery needs:
// hard state, snapshot, log. The old host renamed before syncing, which a file system that
// may keep a rename without the write it renames (a real one, or the simulated one with
// reordering) turns into an empty hard state or snapshot.
func TestPersistFollowsTheFileProtocol(t *testing.T) {
	runTest(t, func(p *sim.Proc) {
		w := p.World()
		net := netsim.New(w)
		g := startGatedPeer(p, net)
		gate, a, ep := g.gate, g.a, g.ep
		release := func() {
			for len(gate.held) > 0 {
				gate.release()
				p.Sleep(time.Millisecond)
			}
		}
		// Term 1 with three entries, then an InstallSnapshot of term 2 at index 2 that
		// matches nothing: new hard state, snapshot and a rewritten log in one Ready.
		ents := []raft.Entry{{Term: 1, Index: 1}, {Term: 1, Index: 2}, {Term: 1, Index: 3}}
		ep.Call(a.ID, methodOf(raft.MsgApp), &raft.Message{Type: raft.MsgApp, From: 1, To: 0, Term: 1, Entries: ents}, func(any, bool) {})
		p.Sleep(10 * time.Millisecond)
		release()
		gate.ops = nil
		ep.Call(a.ID, methodOf(raft.MsgSnap), &raft.Message{Type: raft.MsgSnap, From: 1, To: 0, Term: 2,
			Snapshot: raft.SnapshotMeta{Index: 2, Term: 2}, Data: []byte("state")}, func(any, bool) {})
		p.Sleep(10 * time.Millisecond)
		release()
		want := []string{
			"write raft/hard.tmp", "write raft/snapshot.tmp", "write raft/log.tmp", "sync",
			"rename raft/hard.tmp raft/hard", "sync",
			"rename raft/snapshot.tmp raft/snapshot", "sync",
			"rename raft/log.tmp raft/log", "sync",
		}
		if strings.Join(gate.ops, "; ") != strings.Join(want, "; ") {
			p.Fatalf("test", "storage operations\n got %v\nwant %v", gate.ops, want)
		}
	})
}

// TestPeerHaltsOnCorruptStorage is issue 8 item 3 (recovery): a peer whose storage holds a
// corrupted record (a flipped bit or a zeroed sector anywhere in a synced file, the last log
// record and a length field included) halts at boot, logs why, and refuses to run; a torn
// tail (a last record cut short, never synced) is dropped and the peer runs, and its next
// write leaves a log that decodes whole. The old host took every damaged record for a torn
// tail and truncated the log from it, silently dropping synced entries (and a bit flip in
// the last record's length looked exactly like a torn tail), and panicked on a damaged hard
// state or snapshot.
func TestPeerHaltsOnCorruptStorage(t *testing.T) {
	flip := func(off int) func([]byte) []byte {
		return func(b []byte) []byte { b[off] ^= 0x10; return b }
	}
	fromEnd := func(f func(int) func([]byte) []byte, back int) func([]byte) []byte {
		return func(b []byte) []byte { return f(len(b) - back)(b) }
	}
	lastRecord := func(b []byte) int { // offset of the last log record
		recs, _, err := raft.DecodeLogRecords(b)
		if err != nil || len(recs) == 0 {
			panic("test: log unreadable")
		}
		off := len(b)
		return off - len(raft.AppendEntryRecord(nil, recs[len(recs)-1].Entry))
	}
	tests := []struct {
		name   string
		file   string
		damage func([]byte) []byte
		halts  bool
	}{
		{"log: bit flipped in the first record's body", fileLog, flip(20), true},
		{"log: bit flipped in the last record's body", fileLog, fromEnd(flip, 1), true},
		{"log: bit flipped in the last record's length", fileLog, func(b []byte) []byte { return flip(lastRecord(b) + 1)(b) }, true},
		{"log: a zeroed sector", fileLog, func(b []byte) []byte { clear(b[:min(len(b), 512)]); return b }, true},
		{"hard state: bit flipped", fileHard, flip(13), true},
		{"snapshot: bit flipped", fileSnapshot, fromEnd(flip, 2), true},
		{"log: torn last record", fileLog, func(b []byte) []byte { return b[:len(b)-3] }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trace strings.Builder
			s := &sim.Scenario{Name: "raft/PeerTest", Main: func(p *sim.Proc) error {
				return corruptAndReboot(p, tt.file, tt.damage, tt.halts)
			}}
			res := sim.RunScenario(s, sim.Options{Seed: 1, Trace: func(r sim.Record) { fmt.Fprintln(&trace, r) }})
			require.True(t, res.Passed(), "%v\n%s", res.Failure, trace.String())
			require.Equal(t, tt.halts, strings.Contains(trace.String(), "raft: storage corrupt: "+tt.file), trace.String())
			require.Equal(t, tt.halts, res.Probes[ProbeHalted.Name] > 0)
		})
	}
}

// corruptAndReboot runs a single-peer group that commits five commands and snapshots at 3,
// crashes it, damages file as it boots again, and checks it halts (or, for a torn tail,
// runs on with the torn entry gone and writes a clean log).
func corruptAndReboot(p *sim.Proc, file string, damage func([]byte) []byte, halts bool) error {
	w := p.World()
	net := netsim.New(w)
	var peer *Peer
	var damaged bool
	applied := 0
	a := w.AddNode("a", func(node *sim.Node) {
		if damaged {
			b, ok := node.Disk.ReadFile(file)
			if !ok {
				panic("test: no " + file)
			}
			node.Disk.WriteFile(file, damage(b))
		}
		peer = StartPeer(node, net.Endpoint(node.ID), PeerConfig{
			Raft:  raft.Config{ID: 0, ElectionTimeout: 50 * time.Millisecond, HeartbeatInterval: 20 * time.Millisecond},
			Peers: []int{node.ID},
			Apply: func(m *raft.ApplyMsg) { applied = max(applied, m.CommandIndex, m.SnapshotIndex) },
		})
	})
	net.Attach(a)
	w.Restart(a)
	p.Sleep(time.Second)
	for i := 1; i <= 5; i++ {
		if _, _, ok := peer.Start([]byte(fmt.Sprintf("command %d", i))); !ok {
			return errors.New("the single peer does not lead")
		}
		p.Sleep(10 * time.Millisecond)
		if i == 3 {
			peer.Snapshot(3, []byte("snapshot through 3"))
			p.Sleep(10 * time.Millisecond)
		}
	}
	if !p.WaitUntil(func() bool { return applied == 5 }, 10*time.Millisecond, time.Second) { // a sync may stall
		return fmt.Errorf("applied %d of 5", applied)
	}
	w.Crash(a)
	damaged = true
	applied = 0
	w.Restart(a)
	p.Sleep(time.Second)
	if halts {
		if err := peer.Halted(); !errors.Is(err, raft.ErrCorrupt) {
			return fmt.Errorf("Halted() = %v, want a corruption error", err)
		}
		if _, leader := peer.GetState(); leader || applied != 0 || peer.Core() != nil {
			return fmt.Errorf("a halted peer runs: leader %v, applied %d", leader, applied)
		}
		return nil
	}
	if err := peer.Halted(); err != nil {
		return fmt.Errorf("halted on a torn tail: %v", err)
	}
	if last := peer.Core().LastIndex(); last != 4 {
		return fmt.Errorf("after dropping the torn record the log ends at %d, want 4", last)
	}
	if _, _, ok := peer.Start([]byte("after")); !ok {
		return errors.New("the recovered peer does not lead")
	}
	p.Sleep(100 * time.Millisecond)
	b, _ := a.Disk.ReadFile(fileLog)
	recs, valid, err := raft.DecodeLogRecords(b)
	if err != nil || valid != len(b) {
		return fmt.Errorf("log after recovery: %d of %d bytes valid, %v", valid, len(b), err)
	}
	if n := len(recs); n == 0 || recs[n-1].Entry.Index != 5 || string(recs[n-1].Entry.Command) != "after" {
		return fmt.Errorf("log after recovery ends with %+v, want index 5 \"after\"", recs[len(recs)-1])
	}
	return nil
}

// TestTraceHashCoversContents is issue 8 item 8 (raft side): two runs of a one-peer group
// that differ only in the bytes of one command (same length, so the same events at the
// same times) differ in trace hash, through the digests of what the peer writes (its log
// records' CRCs); the same command gives the same hash.
func TestTraceHashCoversContents(t *testing.T) {
	run := func(cmd string) uint64 {
		return runTest(t, func(p *sim.Proc) {
			w := p.World()
			net := netsim.New(w)
			var peer *Peer
			a := w.AddNode("a", func(node *sim.Node) {
				peer = StartPeer(node, net.Endpoint(node.ID), PeerConfig{
					Raft:  raft.Config{ID: 0, ElectionTimeout: 50 * time.Millisecond, HeartbeatInterval: 20 * time.Millisecond},
					Peers: []int{node.ID},
				})
			})
			net.Attach(a)
			w.Restart(a)
			p.Sleep(time.Second)
			if _, _, ok := peer.Start([]byte(cmd)); !ok {
				p.Fatalf("test", "the single peer does not lead")
			}
			p.Sleep(time.Second)
		}).Hash
	}
	require.Equal(t, run("aaaa"), run("aaaa"))
	require.NotEqual(t, run("aaaa"), run("bbbb"))
}

// crashWhileWriting is an observer that crashes a peer's node as soon as the peer hands a
// Ready with a hard state to its storage (before the first sync can complete), and restarts
// it a little later, passing every call on to the checkers.
type crashWhileWriting struct {
	*Checker
	w       *sim.World
	crashes int
}

func (o *crashWhileWriting) Writing(p *Peer, rd *raft.Ready) {
	o.Checker.Writing(p, rd)
	if rd.Hard == nil || o.crashes >= 40 {
		return
	}
	o.crashes++
	node := p.Node()
	o.w.Schedule(0, "test/crash", func() {
		o.w.Crash(node)
		o.w.Schedule(30*time.Millisecond, "test/restart", func() { o.w.Restart(node) })
	})
}

// startFaultyDiskPeers adds three nodes whose peers run under obs (with the unsafe file
// protocol if unsafe) on disks that keep an arbitrary subset of unsynced operations in any
// order, and starts them. It returns the table of peers, which each boot of a node fills
// in; apply, if not nil, makes peer i's Apply, given that table.
func startFaultyDiskPeers(w *sim.World, net *netsim.Network, obs Observer, unsafe bool, apply func(peers []*Peer, i int) func(*raft.ApplyMsg)) []*Peer {
	var addrs []int
	peers := make([]*Peer, 3)
	for i := 0; i < 3; i++ {
		node := w.AddNode(fmt.Sprintf("raft%d", i), func(node *sim.Node) {
			cfg := PeerConfig{Raft: raft.Config{ID: i}, Peers: addrs, Observer: obs, UnsafeRenameUnsynced: unsafe}
			if apply != nil {
				cfg.Apply = apply(peers, i)
			}
			peers[i] = StartPeer(node, net.Endpoint(node.ID), cfg)
		})
		node.Disk.SetFaults(sim.DiskFaults{KeepSomeUnsynced: true, Reorder: true})
		net.Attach(node)
		addrs = append(addrs, node.ID)
	}
	for i := 0; i < 3; i++ {
		w.Restart(w.Nodes()[i])
	}
	return peers
}

// runCrashWhileWriting runs three peers whose crashes land while a hard state is being
// written, on disks that keep an arbitrary subset of unsynced operations (a rename without
// the write it renames included), under the safety checkers.
func runCrashWhileWriting(seed uint64, unsafe bool) (res sim.Result, crashes int) {
	s := &sim.Scenario{Name: "raft/PeerTest", Main: func(p *sim.Proc) error {
		w := p.World()
		net := netsim.New(w)
		obs := &crashWhileWriting{Checker: NewChecker(w, 3), w: w}
		defer func() { crashes = obs.crashes }()
		startFaultyDiskPeers(w, net, obs, unsafe, nil)
		p.Sleep(30 * time.Second)
		return nil
	}}
	return sim.RunScenario(s, sim.Options{Seed: seed}), crashes
}

// TestCrashesWhileWritingFindNoLoss is issue 8 item 16 with item 18's crashes: crashes that
// land while a peer replaces its hard state, on disks that may keep a rename and lose the
// write it renames, lose nothing with the file protocol (write, sync, rename, sync), and
// are caught by the checkers with the old one (write, rename, sync), which can leave an
// empty hard state: a peer back in term 0 that may vote again.
func TestCrashesWhileWritingFindNoLoss(t *testing.T) {
	requireSafeAndUnsafeCaught(t, runCrashWhileWriting, 40)
}

// requireSafeAndUnsafeCaught runs a crash harness on seeds 1-3 with the file protocol,
// requiring every run to pass with all its crashes landed, and then with the unsafe
// protocol on seeds 1-20, requiring a Raft checker to fail one of them.
func requireSafeAndUnsafeCaught(t *testing.T, run func(seed uint64, unsafe bool) (sim.Result, int), wantCrashes int) {
	t.Helper()
	for seed := uint64(1); seed <= 3; seed++ {
		res, crashes := run(seed, false)
		require.True(t, res.Passed(), "seed %d: %v", seed, res.Failure)
		require.Equal(t, wantCrashes, crashes, "seed %d", seed)
	}
	var caught *sim.Result
	for seed := uint64(1); seed <= 20 && caught == nil; seed++ {
		if res, _ := run(seed, true); !res.Passed() {
			caught = &res
		}
	}
	require.NotNil(t, caught, "the unsafe protocol passed 20 seeds")
	t.Logf("unsafe protocol, seed %d: %v", caught.Seed, caught.Failure)
	require.True(t, strings.HasPrefix(caught.Failure.Check, "raft/"), "%v", caught.Failure)
}

// TestLogRoomFollowsRecentRewrites: a rewritten log's buffer has room for the largest log of
// the last rewrites (so that appends up to the next one fill it), but no more than half
// again the log now, and always room for its records and logSlack more.
func TestLogRoomFollowsRecentRewrites(t *testing.T) {
	var p Peer
	room := func(log, records int) int {
		p.sizes.log = log
		return p.logRoom(records)
	}
	require.Equal(t, 1000+logSlack/4, room(1000, 500))
	require.Equal(t, 1300+logSlack/4, room(1300, 500))
	require.Equal(t, 1300+logSlack/4, room(900, 400), "the largest of the last rewrites")
	require.Equal(t, 1200+logSlack/4, room(800, 300), "at most half again the log now")
	require.Equal(t, 1100+logSlack, room(800, 1100), "room for the records and logSlack")

	p = Peer{}
	room(1300, 10)
	for range len(p.logPeaks) - 2 {
		room(1000, 10)
	}
	require.Equal(t, 1300+logSlack/4, room(1000, 10), "the 1,300-byte log is one of the last rewrites")
	require.Equal(t, 1000+logSlack/4, room(1000, 10), "and then forgotten")
}
