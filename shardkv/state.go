package shardkv

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/lockstep-dst/lockstep/shardkv/ctrler"
	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
	"github.com/lockstep-dst/lockstep/sim"
)

// Status is where a shard stands in a group, relative to the group's configuration.
type Status uint8

const (
	// Absent: the group does not own the shard and holds nothing of it.
	Absent Status = iota
	// Serving: the group owns the shard and has its data.
	Serving
	// Pulling: the group owns the shard in its configuration, and waits for the data from
	// the shard's owner in the previous configuration.
	Pulling
	// Leaving: the group owned the shard in the previous configuration and not in this
	// one; it keeps the data, frozen (it serves no client), until the new owner has it and
	// asks it to delete it.
	Leaving
	// Arrived: the group owns the shard and has its data, and serves it (Challenge 2: as
	// soon as it arrives); the previous owner has not yet confirmed deleting its copy.
	Arrived
)

func (s Status) String() string {
	names := [...]string{Absent: "absent", Serving: "serving", Pulling: "pulling", Leaving: "leaving", Arrived: "arrived"}
	if int(s) < len(names) {
		return names[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// serves reports whether a shard in status s answers clients.
func (s Status) serves() bool { return s == Serving || s == Arrived }

// stable reports whether no migration of the shard is under way.
func (s Status) stable() bool { return s == Serving || s == Absent }

// shard is one shard's state in a group.
type shard struct {
	status Status
	// data and sessions are the shard's keys and duplicate table; empty unless the
	// status is Serving, Leaving or Arrived (Challenge 1: a group drops what it gave up).
	data     map[string]string
	sessions map[int64]int64
	// enc caches the shard's encoding (ShardData.encode, the shard number first), or is
	// nil; every write to data or sessions clears it. A group snapshots after every
	// command once its Raft state is past maxraftstate (Challenge1Delete4B sets it to 1),
	// and a command changes at most one shard's data, so a snapshot re-encodes (and
	// sorts) that one shard and copies the other nine; the checkers' digests of a shard
	// that moves reuse it too.
	enc []byte
	// packed: data and sessions are not decoded yet, enc holds them (a shard restored
	// from a snapshot). A follower that falls behind a leader that snapshots after every
	// command installs a snapshot per command it misses, and a replica typically writes
	// one or two shards before the next: decoding every shard's keys, values and table
	// at each install was most of the cost of restoring. Every reader of data or
	// sessions goes through State.unpacked.
	packed bool
}

// State is a replica group's replicated state machine: its configuration and the one
// before, and each shard's status, data and duplicate table. Every replica applies the
// same committed commands in the same order, so it is all replicated, and the snapshot
// carries all of it.
//
// Invariants: cur.Num == prev.Num+1, or both are 0. A group moves to configuration N+1
// only when no migration of configuration N is under way (every shard Serving or Absent),
// so it never needs more than one configuration back, and every group moves through
// every configuration in order.
type State struct {
	gid       int
	cur, prev ctrler.Config
	shards    [ctrler.NShards]shard
	// The deliberately broken variants (ServerConfig's Unsafe fields); not replicated
	// state, configuration.
	unsafeServePulling, unsafeDropSessions bool
}

// NewState returns the initial state of group gid: configuration 0, no shards.
func NewState(gid int) *State {
	s := &State{gid: gid}
	s.cur.Groups, s.prev.Groups = map[int][]string{}, map[int][]string{}
	return s
}

// Result is what applying a command produced: a client command's answer.
type Result struct {
	Err   Err
	Value string
	// Duplicate: a Put or Append the shard's duplicate table showed was applied already
	// (here, or by the shard's previous owner); it changed nothing.
	Duplicate bool
}

// GID is the state's group.
func (s *State) GID() int { return s.gid }

// Config returns the group's current configuration (a copy).
func (s *State) Config() ctrler.Config { return s.cur.Clone() }

// ConfigNum is the number of the group's current configuration: Config().Num without the
// copy (the checkers ask after every applied command).
func (s *State) ConfigNum() int { return s.cur.Num }

// Prev returns the configuration before the current one (a copy).
func (s *State) Prev() ctrler.Config { return s.prev.Clone() }

// Status returns shard's status.
func (s *State) Status(shard int) Status { return s.shards[shard].status }

// Stable reports whether no migration is under way.
func (s *State) Stable() bool {
	for _, sh := range s.shards {
		if !sh.status.stable() {
			return false
		}
	}
	return true
}

// ShardsIn returns the shards in status st, ascending.
func (s *State) ShardsIn(st Status) []int {
	var out []int
	for i, sh := range s.shards {
		if sh.status == st {
			out = append(out, i)
		}
	}
	return out
}

// Keys returns how many keys the group holds, over all shards (Challenge 1 checks).
func (s *State) Keys(shard int) int { return len(s.unpacked(shard).data) }

// Get reads key from local state (tests and checkers).
func (s *State) Get(key string) string { return s.unpacked(Key2Shard(key)).data[key] }

// unpacked returns shard sh with its maps decoded from enc if it was packed.
func (s *State) unpacked(sh int) *shard {
	x := &s.shards[sh]
	if x.packed {
		d := wire.Decoder{B: x.enc}
		sd := decodeShardData(&d)
		if err := d.End("shardkv: packed shard"); err != nil {
			panic(fmt.Sprintf("shardkv: group %d: shard %d: %v", s.gid, sh, err)) // DecodeState read it whole
		}
		x.data, x.sessions, x.packed = sd.Data, sd.Sessions, false
	}
	return x
}

// ShardDigest is ShardData(sh).Digest() without the copy.
func (s *State) ShardDigest(sh int) uint64 { return sim.HashBytes(s.shardEnc(sh)) }

// shardEnc returns shard sh's encoding (ShardData.encode), from the cache if it holds it.
// The bytes are the cache's: read-only.
func (s *State) shardEnc(sh int) []byte {
	x := &s.shards[sh]
	if x.enc == nil {
		x.enc = ShardData{Shard: sh, Data: x.data, Sessions: x.sessions}.encoded()
	}
	return x.enc
}

// leaving returns shard sh's data and duplicate table without copying them, for a Pull
// reply: a Leaving shard is frozen (no client is served from it, and OpDelete drops its
// maps rather than emptying them), and the network copies a reply as it is sent.
func (s *State) leaving(sh int) ShardData {
	if s.shards[sh].status != Leaving {
		panic(fmt.Sprintf("shardkv: group %d: shard %d is %v, not leaving", s.gid, sh, s.shards[sh].status))
	}
	x := s.unpacked(sh)
	return ShardData{Shard: sh, Data: x.data, Sessions: x.sessions}
}

// ShardData returns a copy of shard's data and duplicate table.
func (s *State) ShardData(sh int) ShardData {
	x := s.unpacked(sh)
	return ShardData{Shard: sh, Data: x.data, Sessions: x.sessions}.clone()
}

// Serves reports whether the group answers clients for key now.
func (s *State) Serves(key string) bool {
	sh := Key2Shard(key)
	if s.unsafeServePulling && s.shards[sh].status == Pulling {
		return true
	}
	return s.cur.Shards[sh] == s.gid && s.shards[sh].status.serves()
}

// Owns reports whether shard is the group's in its current configuration.
func (s *State) Owns(shard int) bool { return s.cur.Shards[shard] == s.gid }

// Apply applies one committed command. The command is the caller's still: an OpConfig's
// configuration and an OpInsert's shards are copied in.
func (s *State) Apply(c Command) Result {
	if c.Op == OpConfig {
		c.Config = c.Config.Clone()
	}
	if c.Op == OpInsert {
		data := make([]ShardData, len(c.Data))
		for i, d := range c.Data {
			data[i] = d.clone()
		}
		c.Data = data
	}
	return s.applyOwned(c)
}

// applyOwned is Apply of a command that is the state's to keep: it takes an OpConfig's
// configuration and the maps of an OpInsert's shards as its own. A replica applies each
// command as it decodes it from the log, so the copy Apply makes would be the second.
func (s *State) applyOwned(c Command) Result {
	switch c.Op {
	case OpGet, OpPut, OpAppend:
		return s.applyClient(c)
	case OpConfig:
		s.applyConfig(c.Config)
	case OpInsert:
		if c.Num != s.cur.Num {
			return Result{} // a stale or repeated pull: the shards are in already
		}
		for _, d := range c.Data {
			sh := &s.shards[d.Shard]
			if sh.status != Pulling {
				continue
			}
			if s.unsafeDropSessions {
				d.Sessions = map[int64]int64{}
			}
			*sh = shard{status: Arrived, data: d.Data, sessions: d.Sessions}
		}
	case OpDelete:
		if c.Num != s.cur.Num {
			return Result{}
		}
		for _, i := range c.Shards {
			if sh := &s.shards[i]; sh.status == Leaving {
				*sh = shard{status: Absent}
			}
		}
	case OpGCDone:
		if c.Num != s.cur.Num {
			return Result{}
		}
		for _, i := range c.Shards {
			if sh := &s.shards[i]; sh.status == Arrived {
				sh.status = Serving
			}
		}
	}
	return Result{}
}

func (s *State) applyClient(c Command) Result {
	if !s.Serves(c.Key) {
		return Result{Err: ErrWrongGroup}
	}
	sh := s.unpacked(Key2Shard(c.Key))
	if sh.data == nil { // UnsafeServeWhilePulling
		sh.data, sh.sessions = map[string]string{}, map[int64]int64{}
	}
	if c.Op == OpGet {
		return Result{Value: sh.data[c.Key]}
	}
	if c.Seq <= sh.sessions[c.Client] {
		return Result{Duplicate: true} // a retry of an operation applied already, here or at the old owner
	}
	sh.sessions[c.Client] = c.Seq
	sh.enc = nil
	if c.Op == OpPut {
		sh.data[c.Key] = c.Value
	} else {
		sh.data[c.Key] += c.Value
	}
	return Result{}
}

// applyConfig moves to cf, which it keeps, if it is the next configuration and no
// migration is under way; otherwise the command is stale (a second leader's proposal of
// the same step) and ignored.
func (s *State) applyConfig(cf ctrler.Config) {
	if cf.Num != s.cur.Num+1 || !s.Stable() {
		return
	}
	for i := range s.shards {
		sh := &s.shards[i]
		was, is := s.cur.Shards[i] == s.gid, cf.Shards[i] == s.gid
		switch {
		case was && is:
		case is && s.cur.Shards[i] == 0:
			// Unassigned before (configuration 1, or after every group left): nobody
			// holds data for it, so it starts empty.
			*sh = shard{status: Serving, data: map[string]string{}, sessions: map[int64]int64{}}
		case is:
			*sh = shard{status: Pulling}
		case was:
			sh.status = Leaving
		}
	}
	s.prev, s.cur = s.cur, cf
}

// Encode returns the state as snapshot bytes: the group, the two configurations, then
// each shard's status and encoding (ShardData.encode).
func (s *State) Encode() []byte {
	n := 0
	for i := range s.shards {
		n += 1 + len(s.shardEnc(i))
	}
	e := wire.Encoder{B: make([]byte, 0, n+256)} // 256: the group and two small configurations
	e.Int(int64(s.gid))
	e.B = ctrler.AppendConfig(e.B, s.cur)
	e.B = ctrler.AppendConfig(e.B, s.prev)
	for i, sh := range s.shards {
		e.Byte(byte(sh.status))
		e.B = append(e.B, s.shardEnc(i)...)
	}
	return e.B
}

// DecodeState rebuilds a state from Encode's bytes. It reads every shard's encoding
// through, but leaves the maps of the shards that hold data packed (see shard.packed) in
// its own copy of b.
func DecodeState(b []byte) (*State, error) {
	b = bytes.Clone(b)
	d := wire.Decoder{B: b}
	s := &State{gid: int(d.Int())}
	var err error
	if s.cur, d.B, err = ctrler.ReadConfig(d.B); err != nil {
		return nil, fmt.Errorf("shardkv: snapshot: %w", err)
	}
	if s.prev, d.B, err = ctrler.ReadConfig(d.B); err != nil {
		return nil, fmt.Errorf("shardkv: snapshot: %w", err)
	}
	for i := range s.shards {
		st := Status(d.Byte())
		start := d.B
		skipShardData(&d)
		s.shards[i] = shard{status: st}
		if d.Err == nil && st != Absent && st != Pulling {
			n := len(start) - len(d.B)
			s.shards[i].enc, s.shards[i].packed = start[:n:n], true
		}
	}
	if err := d.End("shardkv: snapshot"); err != nil {
		return nil, err
	}
	return s, nil
}
