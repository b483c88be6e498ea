package kvsim

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/kv"
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// RetryBackoff is the pause after a full round of servers failed (no leader yet). Not a
// constant of the original tests.
const RetryBackoff = 20 * time.Millisecond

// Clerk is a client of the service: it runs in blocking style on a process of its own
// client node (Get, Put, Append), or in events of that node (start), retries each
// operation until it succeeds, and remembers the last leader.
// One operation at a time; each has one sequence number, whatever the number of attempts.
//
// As in 6.824 the clerk's RPC has no timeout of its own: the network fails a call to a dead
// or unreachable server (labrpc's 100 ms polling), and a server answers every request it
// accepted, at the latest WaiterTimeout later (a leader cut off from its majority).
type Clerk struct {
	ID      int64 // the client id servers deduplicate by; unique in the run
	node    *sim.Node
	ep      *netsim.Endpoint
	servers []int // node ids, in the clerk's (shuffled) order
	leader  int   // index into servers of the one to try first: the last that answered OK, or a hinted leader
	seq     int64
	hist    *History
	// histID is the clerk's porcupine ClientId (0-based, one per clerk).
	histID int
	// pending describes the operation in progress, for liveness failures, while busy.
	pending pendingOp
	// args is the request of the operation in progress, every attempt's: the network
	// copies a request as it sends it (a sender may change a netsim.Message once sent).
	// Its command is the operation's, while busy.
	args kv.OpArgs
	busy bool
	ops  int // completed operations

	// For start, set by startClient: the continuation of every operation, the label of
	// the pause after a round of failures, and reply and attempt, bound once.
	then      func(done *kv.Command, out string)
	wakeLabel string
	replied   netsim.Done
	retry     func()
}

type pendingOp struct {
	start    time.Duration
	call     int64 // the history's stamp of the call
	attempts int
	// at is the log index at which the operation took effect, as the last server to
	// answer it OK reported (0: none did, or it did not know; see Cluster.applied).
	at int
}

// Node is the clerk's client node.
func (ck *Clerk) Node() *sim.Node { return ck.node }

// Ops is the number of operations the clerk completed.
func (ck *Clerk) Ops() int { return ck.ops }

// Pending describes the operation in progress ("" if none).
func (ck *Clerk) Pending() string {
	if !ck.busy {
		return ""
	}
	return fmt.Sprintf("clerk %d: %v pending since %v after %d attempts", ck.ID, ck.args.Command, ck.pending.start, ck.pending.attempts)
}

// Get returns the value of key ("" if absent). p must run on the clerk's node.
func (ck *Clerk) Get(p *sim.Proc, key string) string {
	return ck.do(p, kv.OpGet, key, "")
}

// Put sets key to value.
func (ck *Clerk) Put(p *sim.Proc, key, value string) { ck.do(p, kv.OpPut, key, value) }

// Append appends value to key's value.
func (ck *Clerk) Append(p *sim.Proc, key, value string) { ck.do(p, kv.OpAppend, key, value) }

func (ck *Clerk) do(p *sim.Proc, op kv.Op, key, value string) string {
	if p.Node() != ck.node {
		panic(fmt.Sprintf("kv: clerk %d used from process %s, not on its node %s", ck.ID, p.Name, ck.node.Name))
	}
	ck.begin(op, key, value, p.Now())
	for {
		ck.pending.attempts++
		rep, ok := ck.ep.CallProc(p, ck.servers[ck.leader], kv.MethodOp, &ck.args, 0)
		out, done, pause := ck.outcome(rep, ok, p.Now())
		if done {
			return out
		}
		if pause {
			p.Sleep(RetryBackoff)
		}
	}
}

// begin starts an operation at time now: its sequence number, its request, and the
// history's stamp of its call.
func (ck *Clerk) begin(op kv.Op, key, value string, now time.Duration) {
	if ck.busy {
		panic(fmt.Sprintf("kv: clerk %d: concurrent operations (%s)", ck.ID, ck.Pending()))
	}
	ck.seq++
	ck.args.Command = kv.Command{Op: op, Client: ck.ID, Seq: ck.seq, Key: key, Value: value}
	ck.pending, ck.busy = pendingOp{start: now}, true
	if ck.hist != nil {
		ck.pending.call = ck.hist.stamp(now)
	}
}

// outcome takes the outcome of an attempt, at time now: it returns the operation's output
// and true if it succeeded (it is then recorded); else it turns the clerk to the server to
// try next (leader), and returns whether a round of servers has failed without a leader
// (an election, or hints that run in a circle through stale servers), after which the
// clerk pauses (RetryBackoff) before that attempt.
func (ck *Clerk) outcome(rep any, ok bool, now time.Duration) (out string, done, pause bool) {
	// The next server in the list, round: a compare rather than a remainder, whose
	// division costs tens of cycles on every attempt.
	next := ck.leader + 1
	if next == len(ck.servers) {
		next = 0
	}
	if ok {
		r := rep.(*kv.OpReply)
		err, value, leader := r.Err, r.Value, r.Leader
		// Read before the reply is given back: the network may copy a later reply into it.
		ck.ep.RecycleReply(rep)
		if err == kv.OK {
			ck.record(&ck.args.Command, value, now)
			return value, true, false
		}
		if i := ck.index(leader); i >= 0 && i != ck.leader {
			next = i
		}
	}
	ck.leader = next
	// Every attempt so far failed: this one is the last of a round if attempts is a
	// multiple of the servers.
	return "", false, ck.pending.attempts%len(ck.servers) == 0
}

// start is the clerk's operation for code that runs in events rather than a process
// (startClient): the clerk's then runs with the operation's command and output once it
// succeeds, in the event that delivers its reply. It makes the calls, in the same events, that the operation
// (do) of the process startClient stands for makes, and its pause after a round of
// failures is that process's sleep: the same event, "wake <name>".
func (ck *Clerk) start(op kv.Op, key, value string) {
	ck.begin(op, key, value, ck.node.World().Now())
	ck.attempt()
}

// attempt sends the operation in progress to the server it is to try (start).
func (ck *Clerk) attempt() {
	ck.pending.attempts++
	ck.ep.Call(ck.servers[ck.leader], kv.MethodOp, &ck.args, ck.replied)
}

// reply is the Done of an attempt of start's: as do's loop, it ends the operation (then),
// or pauses before the next attempt, or makes it at once.
func (ck *Clerk) reply(rep any, ok bool) {
	out, done, pause := ck.outcome(rep, ok, ck.node.World().Now())
	switch {
	case done:
		ck.then(&ck.args.Command, out) // the command until then's next start
	case pause:
		ck.node.After(RetryBackoff, ck.wakeLabel, ck.retry)
	default:
		ck.attempt()
	}
}

// startClient runs begin, the first step of a client whose operations are the clerk's
// start and whose continuation of each is then, in the event in which a process named
// after the clerk's node, spawned on it, would begin ("spawn <name>"), and names the
// clerk's pauses after that process's sleeps. A client that is a process switches
// coroutines twice an attempt, into the process at the reply and out as it sends the next
// request, and grows a stack of its own: for kv/SnapshotRecoverManyClients3B, whose
// clients make most of its calls, that was 3.7% of its instructions. Its events are the
// process's, so the run is the same.
func startClient(ck *Clerk, then func(done *kv.Command, out string), begin func()) {
	name := ck.node.Name
	ck.then, ck.wakeLabel = then, "wake "+name
	ck.replied, ck.retry = ck.reply, ck.attempt
	ck.node.After(0, "spawn "+name, begin)
}

// index returns the position of address addr in the clerk's server list, or -1.
func (ck *Clerk) index(addr int) int {
	for i, a := range ck.servers {
		if a == addr {
			return i
		}
	}
	return -1
}

func (ck *Clerk) record(c *kv.Command, out string, end time.Duration) {
	call, at := ck.pending.call, ck.pending.at
	ck.pending, ck.busy = pendingOp{}, false
	ck.ops++
	if ck.hist == nil {
		return
	}
	ck.hist.add(record{client: ck.histID, op: c.Op, key: c.Key, value: c.Value, out: out,
		call: call, ret: ck.hist.stamp(end), at: at})
}
