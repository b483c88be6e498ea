package ctrler

import (
	"fmt"

	"github.com/lockstep-dst/lockstep/shardkv/internal/wire"
)

// The encodings here are the log's, the snapshot's and the wire's (package wire): maps in
// ascending key order, so that the bytes are a function of the value alone.

// appendGroups encodes a GID -> servers map in GID order.
func appendGroups(e *wire.Encoder, m map[int][]string) {
	if e.Count {
		e.Uint(uint64(len(m)))
		for gid, servers := range m { // a sum: the order does not matter
			e.Int(int64(gid))
			e.Uint(uint64(len(servers)))
			for _, s := range servers {
				e.Str(s)
			}
		}
		return
	}
	var buf [16]int
	gids := wire.SortedKeys(m, buf[:0])
	e.Uint(uint64(len(gids)))
	for _, gid := range gids {
		e.Int(int64(gid))
		e.Uint(uint64(len(m[gid])))
		for _, s := range m[gid] {
			e.Str(s)
		}
	}
}

// readGroups decodes appendGroups' map. The server lists share one array (as in
// Config.Clone), capped so that an append to one does not overwrite the next.
func readGroups(d *wire.Decoder) map[int][]string {
	n := d.Count()
	m := make(map[int][]string, n)
	var all []string
	for i := 0; i < n && d.Err == nil; i++ {
		gid := int(d.Int())
		k := d.Count()
		if all == nil {
			// Every group of a test has as many servers; each name takes a byte at least.
			all = make([]string, 0, min(n*k, len(d.B)))
		}
		start := len(all)
		for j := 0; j < k && d.Err == nil; j++ {
			all = append(all, d.Str())
		}
		m[gid] = all[start:len(all):len(all)]
	}
	return m
}

func appendConfig(e *wire.Encoder, c Config) {
	e.Int(int64(c.Num))
	for _, g := range c.Shards {
		e.Int(int64(g))
	}
	appendGroups(e, c.Groups)
}

func readConfig(d *wire.Decoder) Config {
	c := Config{Num: int(d.Int())}
	for s := range c.Shards {
		c.Shards[s] = int(d.Int())
	}
	c.Groups = readGroups(d)
	return c
}

// EncodeConfig encodes c with e (for shardkv's commands, which carry configurations).
func EncodeConfig(e *wire.Encoder, c Config) { appendConfig(e, c) }

// AppendConfig appends c's encoding (for services that carry configurations in their own
// commands and snapshots).
func AppendConfig(b []byte, c Config) []byte {
	e := wire.Encoder{B: b}
	appendConfig(&e, c)
	return e.B
}

// ReadConfig decodes a configuration AppendConfig wrote at the start of b, and returns
// the bytes after it.
func ReadConfig(b []byte) (Config, []byte, error) {
	d := wire.Decoder{B: b}
	c := readConfig(&d)
	if d.Err != nil {
		return Config{}, nil, fmt.Errorf("ctrler: config: %w", d.Err)
	}
	return c, d.B, nil
}

func fmtErr(format string, args ...any) error { return fmt.Errorf("ctrler: "+format, args...) }
