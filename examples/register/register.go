// Package register is Lockstep's example system: a register replicated from
// a fixed primary to backups. It is deliberately small, to show how a system
// runs on the kernel (nodes with durable storage, RPC on the simulated
// network, crashes, partitions, a check) before reading the real systems in
// raft/, kv/ and mapreduce/. It is not fault tolerant in the Raft sense: with
// the primary down, writes wait until it comes back.
//
// Durability: a replica acknowledges a write only once the Sync that made it
// durable completed (a later event), replaces its state file by writing a
// temporary file, syncing, renaming and syncing again, and checksums the
// record. A replica whose state file is corrupt after a crash refuses to
// serve (it logs why and answers every call with a refusal) rather than come
// back with older state than it acknowledged: see boot.
package register

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// Config holds the knobs of a replica.
type Config struct {
	// SkipSync makes replicas acknowledge writes before they are durable (they
	// sync, but do not wait for it): the deliberate bug the broken example
	// demonstrates (a crash then loses an acknowledged write).
	SkipSync bool
}

// The state is one checksummed record in stateFile, replaced atomically:
// write tmpFile, sync, rename it over stateFile, sync (sim.Storage says why
// each step is needed).
const (
	stateFile = "register"
	tmpFile   = "register.tmp"
)

// probeHalted counts replicas that found their state corrupt and refused to
// serve: a sweep with storage corruption should reach it.
var probeHalted = sim.NewProbe("example/register-halted-on-corrupt-state",
	"a register replica restarted with a corrupt state file and refused to serve")

// replica is one running instance: its volatile state is rebuilt from disk
// at every boot.
type replica struct {
	node    *sim.Node
	ep      *netsim.Endpoint
	cfg     Config
	backups []int // node IDs, on the primary only
	// version and value are the durable state: what reads return and what a
	// restart recovers. They change only once the state is synced.
	version int
	value   string
	// busy is true while a write is being made durable or replicated: later
	// writes are refused, so that versions reach the disk and the backups in
	// order and two updates never share the temporary file.
	busy bool
	// halted is set when the state file is corrupt: see boot.
	halted bool
}

func boot(node *sim.Node, ep *netsim.Endpoint, cfg Config, backups []int) *replica {
	r := &replica{node: node, ep: ep, cfg: cfg, backups: backups}
	ep.Handle("Register.Put", r.put)
	ep.Handle("Register.Get", r.get)
	ep.Handle("Register.Replicate", r.replicate)
	// A temporary file is an update that never completed, so never
	// acknowledged: drop it.
	node.Disk.Remove(tmpFile)
	b, ok := node.Disk.ReadFile(stateFile)
	if !ok {
		return r // a fresh replica: version 0
	}
	version, value, err := decode(b)
	if err != nil {
		// The state file was synced before it replaced the old one, so a
		// bad record is corruption of synced data, and the state it held
		// may have been acknowledged. Coming back with version 0, or any
		// older state, would let a read travel back in time; rebuilding
		// from the backups would need to know which of them is current,
		// which this example does not track. So the replica refuses to
		// serve, loudly, until an operator restores it.
		node.World().Logf(node, "register: refusing to serve: %v", err)
		node.World().Sometimes(probeHalted, true)
		r.halted = true
		return r
	}
	r.version, r.value = version, value
	return r
}

// The record: magic, CRC-32 (IEEE) of the rest, version, value.
var magic = [4]byte{'R', 'E', 'G', '1'}

const headerSize = 4 + 4 + 8

func encode(version int, value string) []byte {
	b := make([]byte, headerSize, headerSize+len(value))
	copy(b, magic[:])
	binary.BigEndian.PutUint64(b[8:], uint64(version))
	b = append(b, value...)
	binary.BigEndian.PutUint32(b[4:], crc32.ChecksumIEEE(b[8:]))
	return b
}

func decode(b []byte) (int, string, error) {
	if len(b) < headerSize {
		return 0, "", fmt.Errorf("state file of %d bytes is torn (a record has at least %d)", len(b), headerSize)
	}
	if [4]byte(b[:4]) != magic {
		return 0, "", errors.New("state file is corrupt: bad magic")
	}
	if want, got := binary.BigEndian.Uint32(b[4:]), crc32.ChecksumIEEE(b[8:]); want != got {
		return 0, "", fmt.Errorf("state file is corrupt: checksum %08x, record says %08x", got, want)
	}
	return int(binary.BigEndian.Uint64(b[8:])), string(b[headerSize:]), nil
}

// persist makes (version, value) the durable state, then calls done (nil:
// nobody waits). Each step waits for the sync before it: renaming before
// the temporary file is synced could, after a crash, leave the state file
// empty (the rename survived, the write did not), and acknowledging before
// the second sync could lose the rename.
func (r *replica) persist(version int, value string, done func()) {
	d := r.node.Disk
	d.WriteFile(tmpFile, encode(version, value))
	if r.cfg.SkipSync {
		done() // the bug: reports the write durable before its syncs completed
		done = nil
	}
	d.Sync(func() {
		d.Rename(tmpFile, stateFile)
		d.Sync(done)
	})
}

// put runs on the primary: writes are versioned by the client, and only a
// newer version is applied. Store durably and replicate to every backup, in
// parallel, then acknowledge. An acknowledgement promises the write survives
// any crash, which only a write whose syncs completed can: so the primary
// waits for its own storage as well as for the backups.
func (r *replica) put(req *netsim.Request, respond func(netsim.Message)) {
	args := req.Args.(*putArgs)
	if r.halted || r.busy || args.Version <= r.version {
		// Halted, busy, or a late or duplicated request for a write the
		// client has since superseded: applying it now would travel back in
		// time.
		respond(&reply{OK: !r.halted && !r.busy && args.Version == r.version, Version: r.version})
		return
	}
	version := args.Version
	r.busy = true
	durable, pending, ok, responded := false, len(r.backups), true, false
	finish := func() {
		if durable && pending == 0 && !responded {
			responded, r.busy = true, false
			respond(&reply{OK: ok, Version: version})
		}
	}
	r.persist(version, args.Value, func() {
		durable = true
		r.version, r.value = version, args.Value
		finish()
	})
	for _, b := range r.backups {
		r.ep.Call(b, "Register.Replicate", &putArgs{Version: version, Value: args.Value}, func(rep any, delivered bool) {
			ok = ok && delivered && rep.(*reply).OK
			pending--
			finish()
		})
	}
	finish() // no backups
}

// replicate runs on a backup: store any version not older than its own, and
// answer once it is durable.
func (r *replica) replicate(req *netsim.Request, respond func(netsim.Message)) {
	args := req.Args.(*putArgs)
	if r.halted || r.busy {
		respond(&reply{OK: false, Version: r.version})
		return
	}
	if args.Version >= r.version {
		r.busy = true
		r.persist(args.Version, args.Value, func() {
			r.busy = false
			r.version, r.value = args.Version, args.Value
			respond(&reply{OK: true, Version: r.version})
		})
		return
	}
	respond(&reply{OK: true, Version: r.version}) // superseded: a newer version is stored
}

func (r *replica) get(_ *netsim.Request, respond func(netsim.Message)) {
	respond(&reply{OK: !r.halted, Version: r.version, Value: r.value})
}
