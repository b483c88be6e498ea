// Package wire is the byte encoding shardkv's services share for log commands,
// snapshots and RPC sizes and digests: uvarints, varints and length-prefixed strings,
// maps in ascending key order, so that the bytes are a function of the value alone.
package wire

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// ErrShort is a decoder's error for bytes that end early or hold an impossible length.
var ErrShort = errors.New("truncated encoding")

// Encoder appends to B. With Count set it appends nothing and adds to N the
// number of bytes it would have appended: a message's wire size (netsim asks every
// message for it) without building the encoding, or sorting maps to build it.
type Encoder struct {
	B     []byte
	Count bool
	N     int
}

// Len is the length of the encoding so far (N when counting).
func (e *Encoder) Len() int {
	if e.Count {
		return e.N
	}
	return len(e.B)
}

func (e *Encoder) Uint(v uint64) {
	if e.Count {
		e.N += uvarintLen(v)
		return
	}
	e.B = binary.AppendUvarint(e.B, v)
}

func (e *Encoder) Int(v int64) {
	if e.Count {
		e.N += uvarintLen(uint64(v)<<1 ^ uint64(v>>63)) // zigzag, as binary.AppendVarint
		return
	}
	e.B = binary.AppendVarint(e.B, v)
}

func (e *Encoder) Byte(v byte) {
	if e.Count {
		e.N++
		return
	}
	e.B = append(e.B, v)
}

func (e *Encoder) Str(s string) {
	e.Uint(uint64(len(s)))
	if e.Count {
		e.N += len(s)
		return
	}
	e.B = append(e.B, s...)
}

// uvarintLen is the length of v's uvarint encoding.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// Ints encodes a slice of ints, in its order.
func (e *Encoder) Ints(v []int) {
	e.Uint(uint64(len(v)))
	for _, x := range v {
		e.Int(int64(x))
	}
}

// StrMap encodes a string map in key order.
func (e *Encoder) StrMap(m map[string]string) {
	if e.Count {
		e.Uint(uint64(len(m)))
		for k, v := range m { // a sum: the order does not matter
			e.Str(k)
			e.Str(v)
		}
		return
	}
	var buf [16]string
	keys := SortedKeys(m, buf[:0])
	e.Uint(uint64(len(keys)))
	for _, k := range keys {
		e.Str(k)
		e.Str(m[k])
	}
}

// Sessions encodes a duplicate table (client -> last sequence number) in client order.
func (e *Encoder) Sessions(m map[int64]int64) {
	if e.Count {
		e.Uint(uint64(len(m)))
		for c, seq := range m { // a sum: the order does not matter
			e.Int(c)
			e.Int(seq)
		}
		return
	}
	var buf [32]int64
	clients := SortedKeys(m, buf[:0])
	e.Uint(uint64(len(clients)))
	for _, c := range clients {
		e.Int(c)
		e.Int(m[c])
	}
}

// SortedKeys returns m's keys in ascending order, in buf if it has room (a caller passes
// an array on its stack: most maps here are a few groups, keys or clients, and encoding
// sorts them for every message digest and snapshot), else in a slice allocated once at
// its final size (slices.Sorted(maps.Keys(m)) grows its slice by appending, several
// allocations for a shard of a few hundred keys).
func SortedKeys[K cmp.Ordered, V any](m map[K]V, buf []K) []K {
	keys := buf[:0]
	if cap(keys) < len(m) {
		keys = make([]K, 0, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Decoder reads from B; the first error sticks and later reads return zero values.
type Decoder struct {
	B   []byte
	Err error
}

func (d *Decoder) Uint() uint64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Err = ErrShort
		return 0
	}
	d.B = d.B[n:]
	return v
}

func (d *Decoder) Int() int64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Varint(d.B)
	if n <= 0 {
		d.Err = ErrShort
		return 0
	}
	d.B = d.B[n:]
	return v
}

func (d *Decoder) Byte() byte {
	if d.Err != nil {
		return 0
	}
	if len(d.B) == 0 {
		d.Err = ErrShort
		return 0
	}
	b := d.B[0]
	d.B = d.B[1:]
	return b
}

// Count reads a length and checks it against the bytes left (every element takes at
// least one), so that a corrupt length cannot make a decoder allocate without bound.
func (d *Decoder) Count() int {
	n := d.Uint()
	if n > uint64(len(d.B)) {
		d.Fail(ErrShort)
		return 0
	}
	return int(n)
}

func (d *Decoder) Str() string {
	n := d.Count()
	if d.Err != nil {
		return ""
	}
	s := string(d.B[:n])
	d.B = d.B[n:]
	return s
}

// SkipStr reads past a string without making it.
func (d *Decoder) SkipStr() {
	n := d.Count()
	if d.Err == nil {
		d.B = d.B[n:]
	}
}

func (d *Decoder) Ints() []int {
	n := d.Count()
	var v []int
	for i := 0; i < n && d.Err == nil; i++ {
		v = append(v, int(d.Int()))
	}
	return v
}

func (d *Decoder) StrMap() map[string]string {
	n := d.Count()
	m := make(map[string]string, n)
	for i := 0; i < n && d.Err == nil; i++ {
		k := d.Str()
		m[k] = d.Str()
	}
	return m
}

func (d *Decoder) Sessions() map[int64]int64 {
	n := d.Count()
	m := make(map[int64]int64, n)
	for i := 0; i < n && d.Err == nil; i++ {
		c := d.Int()
		m[c] = d.Int()
	}
	return m
}

// Fail records err unless an error is already recorded.
func (d *Decoder) Fail(err error) {
	if d.Err == nil {
		d.Err = err
	}
}

// End reports the first error, or trailing bytes, naming what was decoded.
func (d *Decoder) End(what string) error {
	if d.Err != nil {
		return fmt.Errorf("%s: %w", what, d.Err)
	}
	if len(d.B) != 0 {
		return fmt.Errorf("%s: %d trailing bytes", what, len(d.B))
	}
	return nil
}
