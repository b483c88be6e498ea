package shardkv

import (
	"fmt"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/sim"
)

// RetryInterval is the clerk's pause before it re-queries the configuration: the 6.824
// shardkv clerk's 100 ms (client.go).
const RetryInterval = 100 * time.Millisecond

// Clerk is a client of the sharded store, in blocking style on a process of its own
// node: it sends each operation to the group its configuration says serves the key,
// trying the group's servers in turn, starting with the one that last answered it for
// that group, and after a round without success waits RetryInterval and asks the
// controller for the latest configuration.
//
// The 6.824 handout's clerk starts every round at the group's first server; remembering
// the leader is the change its kvraft lab asks of the clerk there ("remember which server
// turned out to be the leader for the last RPC"), and this package's controller clerk and
// kv's clerk make it too. Without it most operations first visit one or two followers,
// which answer ErrWrongLeader: 2,792 such answers for 3,266 operations answered OK in
// shardkv/Challenge1Concurrent4B, seed 1.
type Clerk struct {
	ID     int64 // the client id groups deduplicate by; unique in the run
	node   *sim.Node
	ep     *netsim.Endpoint
	ctrler *ctrler.Clerk
	addr   func(name string) int
	config ctrler.Config
	// leader maps a group to the index (in its configuration's server list) of the server
	// that last answered OK, the first one tried next time.
	leader map[int]int
	seq    int64
	// pending describes the operation in progress, for liveness failures.
	pending *OpArgs
	ops     int
}

// NewClerk returns a clerk with id on ep's node, querying the controller through ck (a
// controller clerk on the same node) and finding servers by name through addr.
func NewClerk(ep *netsim.Endpoint, id int64, ck *ctrler.Clerk, addr func(string) int) *Clerk {
	return &Clerk{ID: id, node: ep.Node(), ep: ep, ctrler: ck, addr: addr, leader: map[int]int{}}
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
	return fmt.Sprintf("shardkv clerk %d: %v pending (config %d)", ck.ID, ck.pending, ck.config.Num)
}

// Get returns key's value ("" if absent). p must run on the clerk's node.
func (ck *Clerk) Get(p *sim.Proc, key string) string { return ck.do(p, OpGet, key, "") }

// Put sets key to value.
func (ck *Clerk) Put(p *sim.Proc, key, value string) { ck.do(p, OpPut, key, value) }

// Append appends value to key's value.
func (ck *Clerk) Append(p *sim.Proc, key, value string) { ck.do(p, OpAppend, key, value) }

func (ck *Clerk) do(p *sim.Proc, op Op, key, value string) string {
	if p.Node() != ck.node {
		panic(fmt.Sprintf("shardkv: clerk %d used from process %s, not on its node %s", ck.ID, p.Name, ck.node.Name))
	}
	if ck.pending != nil {
		panic(fmt.Sprintf("shardkv: clerk %d: concurrent operations (%s)", ck.ID, ck.Pending()))
	}
	ck.seq++
	args := &OpArgs{Op: op, Client: ck.ID, Seq: ck.seq, Key: key, Value: value}
	ck.pending = args
	defer func() { ck.pending = nil }()
	shard := Key2Shard(key)
	for {
		gid := ck.config.Shards[shard]
		servers := ck.config.Groups[gid]
		first := ck.leader[gid]
		for i := range servers {
			si := (first + i) % len(servers)
			rep, ok := ck.ep.CallProc(p, ck.addr(servers[si]), MethodOp, args, 0)
			if !ok {
				continue
			}
			r := rep.(*OpReply)
			if r.Err == OK {
				ck.leader[gid] = si
				ck.ops++
				return r.Value
			}
			if r.Err == ErrWrongGroup {
				break
			}
		}
		p.Sleep(RetryInterval)
		ck.config = ck.ctrler.Query(p, -1)
	}
}
