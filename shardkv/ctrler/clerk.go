package ctrler

import (
	"fmt"
	"slices"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// RetryInterval is the pause after a full round of servers failed: the 6.824
// shardmaster clerk's 100 ms sleep (client.go).
const RetryInterval = 100 * time.Millisecond

// Clerk is a client of the controller: it runs in blocking style on a process of its own
// node, retries each operation across the servers until one applies it, and remembers the
// last leader. One operation at a time; each has one sequence number, whatever the number
// of attempts.
//
// As in 6.824 its RPC has no timeout of its own: the network fails a call to a dead or
// unreachable server within netsim.ShortFailDelay, and a server answers every request it
// accepted, at the latest rsm.WaiterTimeout later.
type Clerk struct {
	ID      int64 // the client id servers deduplicate by; unique in the run
	node    *sim.Node
	ep      *netsim.Endpoint
	servers []int // node ids
	leader  int   // index into servers of the one to try first
	seq     int64
	pending *Command // the operation in progress, for liveness failures
	ops     int      // completed operations
}

// NewClerk returns a clerk with id on ep's node, talking to the controller servers at
// the addresses servers (in the order it tries them).
func NewClerk(ep *netsim.Endpoint, id int64, servers []int) *Clerk {
	return &Clerk{ID: id, node: ep.Node(), ep: ep, servers: slices.Clone(servers)}
}

// Node is the clerk's node.
func (ck *Clerk) Node() *sim.Node { return ck.node }

// Ops is the number of operations the clerk completed.
func (ck *Clerk) Ops() int { return ck.ops }

// Pending describes the operation in progress ("" if none).
func (ck *Clerk) Pending() string {
	if ck.pending == nil {
		return ""
	}
	return fmt.Sprintf("ctrler clerk %d: %v pending", ck.ID, ck.pending)
}

// Query returns configuration num; -1 (or a number past the latest) asks for the latest.
// p must run on the clerk's node.
func (ck *Clerk) Query(p *sim.Proc, num int) Config {
	return ck.do(p, Command{Op: OpQuery, Num: num})
}

// Join adds the groups servers (GID -> server names) and rebalances.
func (ck *Clerk) Join(p *sim.Proc, servers map[int][]string) {
	ck.do(p, Command{Op: OpJoin, Servers: servers})
}

// Leave removes the groups gids and rebalances.
func (ck *Clerk) Leave(p *sim.Proc, gids []int) {
	ck.do(p, Command{Op: OpLeave, GIDs: gids})
}

// Move assigns shard to group gid.
func (ck *Clerk) Move(p *sim.Proc, shard, gid int) {
	ck.do(p, Command{Op: OpMove, Shard: shard, GID: gid})
}

func (ck *Clerk) do(p *sim.Proc, c Command) Config {
	if p.Node() != ck.node {
		panic(fmt.Sprintf("ctrler: clerk %d used from process %s, not on its node %s", ck.ID, p.Name, ck.node.Name))
	}
	if ck.pending != nil {
		panic(fmt.Sprintf("ctrler: clerk %d: concurrent operations (%s)", ck.ID, ck.Pending()))
	}
	ck.seq++
	c.Client, c.Seq = ck.ID, ck.seq
	// The request is built once: its arguments are the caller's map or slice, copied here
	// so that a caller reusing them cannot change a retry.
	args := &OpArgs{Command: c.clone()}
	ck.pending = &args.Command
	defer func() { ck.pending = nil }()
	failed := 0
	for {
		rep, ok := ck.ep.CallProc(p, ck.servers[ck.leader], MethodOp, args, 0)
		next := (ck.leader + 1) % len(ck.servers)
		if ok {
			r := rep.(*OpReply)
			if r.Err == OK {
				ck.ops++
				return r.Config
			}
			if i := slices.Index(ck.servers, r.Leader); i >= 0 && i != ck.leader {
				next = i
			}
		}
		ck.leader = next
		// A round of failures without a leader (an election, or hints that run in a
		// circle through stale servers): pause before the next round.
		if failed++; failed%len(ck.servers) == 0 {
			p.Sleep(RetryInterval)
		}
	}
}
