package ctrler

import (
	"slices"

	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
)

// State is the controller's replicated state machine: every configuration so far and the
// duplicate table. Every replica applies the same committed commands in the same order,
// so every field is replicated state and the snapshot carries all of it.
//
// The duplicate table must be in the snapshot. Counterexample for a table kept beside
// the state: a clerk's Join c#3 commits at index 20 and makes config 7; the reply is
// lost and every server restarts from a snapshot at 25 with an empty table; the retry of
// c#3 is proposed again at 31 and makes config 9, a second configuration for one Join
// (with groups that left meanwhile joined again).
type State struct {
	// configs[i] is configuration i. Invariant: configs[0] is the initial config and
	// len(configs) >= 1; only Apply appends, and never changes an existing one.
	configs []Config
	// sessions maps each clerk to the highest sequence number applied for it. A clerk has
	// one operation outstanding at a time and numbers them in order, so a command with
	// Seq <= sessions[Client] is a retry of one already applied. Invariant: never
	// decreases.
	sessions map[int64]int64
}

// NewState returns the initial state: config 0 only (no groups, every shard on GID 0).
func NewState() *State {
	return &State{configs: []Config{{Groups: map[int][]string{}}}, sessions: map[int64]int64{}}
}

// Result is what applying one command produced.
type Result struct {
	// Config is Query's answer: the configuration asked for, shared with the state, so
	// read-only. Every replica applies every Query and only one answers it, with a reply
	// whose Clone copies the configuration as it crosses to the clerk; a copy here as
	// well was one deep copy per replica per Query, and groups query every 100 ms.
	Config    Config
	Duplicate bool // a retry of a Join, Leave or Move already applied: it changed nothing
}

// Latest returns the latest configuration (a copy).
func (s *State) Latest() Config { return s.configs[len(s.configs)-1].Clone() }

// Query returns configuration num, or the latest one if num is negative or past it (a copy).
func (s *State) Query(num int) Config { return s.configs[s.index(num)].Clone() }

// index is Query's configuration: num, or the latest.
func (s *State) index(num int) int {
	if num < 0 || num >= len(s.configs) {
		return len(s.configs) - 1
	}
	return num
}

// Len is the number of configurations (the latest's Num + 1).
func (s *State) Len() int { return len(s.configs) }

// LastSeq returns the highest sequence number applied for client.
func (s *State) LastSeq(client int64) int64 { return s.sessions[client] }

// Apply applies one committed command. A Join, Leave or Move whose sequence number was
// already applied for its client changes nothing; a Query is always answered, being a read.
func (s *State) Apply(c Command) Result {
	if c.Op == OpQuery {
		return Result{Config: s.configs[s.index(c.Num)]}
	}
	if c.Seq <= s.sessions[c.Client] {
		return Result{Duplicate: true}
	}
	s.sessions[c.Client] = c.Seq
	next := s.configs[len(s.configs)-1].Clone()
	next.Num++
	switch c.Op {
	case OpJoin:
		for gid, servers := range c.Servers {
			// GID 0 means "no group" in Shards: a group by that number could never be
			// told apart from an unassigned shard.
			if gid != 0 {
				next.Groups[gid] = slices.Clone(servers)
			}
		}
		next.Shards = Rebalance(next.Shards, next.GIDs())
	case OpLeave:
		for _, gid := range c.GIDs {
			delete(next.Groups, gid)
		}
		next.Shards = Rebalance(next.Shards, next.GIDs())
	case OpMove:
		if c.Shard < 0 || c.Shard >= NShards {
			return Result{} // nothing to move; the sequence number is spent all the same
		}
		next.Shards[c.Shard] = c.GID
	}
	s.configs = append(s.configs, next)
	return Result{}
}

// Encode returns the state as snapshot bytes: the configurations in order, then the
// sessions in client order.
func (s *State) Encode() []byte {
	e := wire.Encoder{}
	e.Uint(uint64(len(s.configs)))
	for _, c := range s.configs {
		appendConfig(&e, c)
	}
	clients := make([]int64, 0, len(s.sessions))
	for c := range s.sessions {
		clients = append(clients, c)
	}
	slices.Sort(clients)
	e.Uint(uint64(len(clients)))
	for _, c := range clients {
		e.Uint(uint64(c))
		e.Uint(uint64(s.sessions[c]))
	}
	return e.B
}

// DecodeState rebuilds a state from Encode's bytes.
func DecodeState(b []byte) (*State, error) {
	d := wire.Decoder{B: b}
	s := &State{sessions: map[int64]int64{}}
	n := d.Count()
	for i := 0; i < n && d.Err == nil; i++ {
		c := readConfig(&d)
		if d.Err == nil && c.Num != i {
			return nil, fmtErr("snapshot: config %d numbered %d", i, c.Num)
		}
		s.configs = append(s.configs, c)
	}
	n = d.Count()
	for i := 0; i < n && d.Err == nil; i++ {
		c := int64(d.Uint())
		s.sessions[c] = int64(d.Uint())
	}
	if err := d.End("ctrler: snapshot"); err != nil {
		return nil, err
	}
	if len(s.configs) == 0 {
		return nil, fmtErr("snapshot: no configurations")
	}
	return s, nil
}
