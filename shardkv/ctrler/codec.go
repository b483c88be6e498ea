package ctrler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The encodings here are the log's, the snapshot's and the wire's: uvarints and
// length-prefixed strings, maps in ascending key order, so that the bytes are a function
// of the value alone.

var errShort = errors.New("ctrler: truncated encoding")

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// groups encodes a GID -> servers map in GID order.
func (e *encoder) groups(m map[int][]string) {
	e.uint(uint64(len(m)))
	for _, gid := range sortedKeys(m) {
		e.int(int64(gid))
		e.uint(uint64(len(m[gid])))
		for _, s := range m[gid] {
			e.str(s)
		}
	}
}

func (e *encoder) config(c Config) {
	e.int(int64(c.Num))
	for _, g := range c.Shards {
		e.int(int64(g))
	}
	e.groups(c.Groups)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length and checks it against the bytes left (each element takes at least
// one), so that a corrupt length cannot make a decoder allocate without bound.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) groups() map[int][]string {
	n := d.count()
	m := make(map[int][]string, n)
	for i := 0; i < n && d.err == nil; i++ {
		gid := int(d.int())
		k := d.count()
		servers := make([]string, 0, k)
		for j := 0; j < k && d.err == nil; j++ {
			servers = append(servers, d.str())
		}
		m[gid] = servers
	}
	return m
}

func (d *decoder) config() Config {
	c := Config{Num: int(d.int())}
	for s := range c.Shards {
		c.Shards[s] = int(d.int())
	}
	c.Groups = d.groups()
	return c
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// end reports the first error, or trailing bytes.
func (d *decoder) end(what string) error {
	if d.err != nil {
		return fmt.Errorf("ctrler: %s: %w", what, d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("ctrler: %s: %d trailing bytes", what, len(d.b))
	}
	return nil
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func fmtErr(format string, args ...any) error { return fmt.Errorf("ctrler: "+format, args...) }

// AppendConfig appends c's encoding (for services that carry configurations in their own
// commands and snapshots).
func AppendConfig(b []byte, c Config) []byte {
	e := encoder{b: b}
	e.config(c)
	return e.b
}

// ReadConfig decodes a configuration AppendConfig wrote at the start of b, and returns
// the bytes after it.
func ReadConfig(b []byte) (Config, []byte, error) {
	d := decoder{b: b}
	c := d.config()
	if d.err != nil {
		return Config{}, nil, fmt.Errorf("ctrler: config: %w", d.err)
	}
	return c, d.b, nil
}
