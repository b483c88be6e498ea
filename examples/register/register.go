// Package register is Lockstep's example system: a register replicated from
// a fixed primary to backups. It is deliberately small, to show how a system
// runs on the kernel (nodes with durable storage, RPC on the simulated
// network, crashes, partitions, a check) before reading the real systems in
// raft/, kv/ and mapreduce/. It is not fault tolerant in the Raft sense: with
// the primary down, writes wait until it comes back.
package register

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Config holds the knobs of a replica.
type Config struct {
	// SkipSync makes the primary acknowledge writes it has not synced: the
	// deliberate bug the broken example demonstrates (a crash then loses an
	// acknowledged write).
	SkipSync bool
}

const stateFile = "register"

// replica is one running instance: its volatile state is rebuilt from disk
// at every boot.
type replica struct {
	node    *sim.Node
	ep      *netsim.Endpoint
	cfg     Config
	backups []int // node IDs, on the primary only
	version int
	value   string
	// writing is true while the primary replicates: later writes are refused
	// so that versions reach backups in order.
	writing bool
}

func boot(node *sim.Node, ep *netsim.Endpoint, cfg Config, backups []int) *replica {
	r := &replica{node: node, ep: ep, cfg: cfg, backups: backups}
	if b, ok := node.Disk.ReadFile(stateFile); ok {
		r.version, r.value = decode(b)
	}
	ep.Handle("Register.Put", r.put)
	ep.Handle("Register.Get", r.get)
	ep.Handle("Register.Replicate", r.replicate)
	return r
}

func encode(version int, value string) []byte {
	return []byte(strconv.Itoa(version) + "\n" + value)
}

func decode(b []byte) (int, string) {
	v, rest, ok := strings.Cut(string(b), "\n")
	n, err := strconv.Atoi(v)
	if !ok || err != nil {
		panic(fmt.Sprintf("register: corrupt state file %q", b))
	}
	return n, rest
}

func (r *replica) persist(version int, value string, sync bool) {
	r.version, r.value = version, value
	r.node.Disk.WriteFile(stateFile, encode(version, value))
	if sync {
		r.node.Disk.Sync(nil)
	}
}

// put runs on the primary: writes are versioned by the client, and only a
// newer version is applied. Store durably, replicate to every backup, then
// acknowledge. The order matters: an acknowledgement promises the write
// survives any crash, which only a synced write can.
func (r *replica) put(req *netsim.Request, respond func(netsim.Message)) {
	args := req.Args.(*putArgs)
	if r.writing || args.Version <= r.version {
		// Busy, or a late or duplicated request for a write the client has
		// since superseded: applying it now would travel back in time.
		respond(&reply{OK: args.Version == r.version && !r.writing, Version: r.version})
		return
	}
	version := args.Version
	r.persist(version, args.Value, !r.cfg.SkipSync)
	r.writing = true
	inc := r.node.Incarnation()
	pending := len(r.backups)
	ok := true
	if pending == 0 {
		r.writing = false
		respond(&reply{OK: true, Version: version})
		return
	}
	for _, b := range r.backups {
		r.ep.Call(b, "Register.Replicate", &putArgs{Version: version, Value: args.Value}, func(rep any, delivered bool) {
			if r.node.Incarnation() != inc {
				return
			}
			ok = ok && delivered && rep.(*reply).OK
			pending--
			if pending == 0 {
				r.writing = false
				respond(&reply{OK: ok, Version: version})
			}
		})
	}
}

// replicate runs on a backup: accept any version not older than its own.
func (r *replica) replicate(req *netsim.Request, respond func(netsim.Message)) {
	args := req.Args.(*putArgs)
	if args.Version >= r.version {
		r.persist(args.Version, args.Value, true)
	}
	respond(&reply{OK: true, Version: r.version})
}

func (r *replica) get(_ *netsim.Request, respond func(netsim.Message)) {
	respond(&reply{OK: true, Version: r.version, Value: r.value})
}
