package sim

import "slices"

// contents is a file's bytes: head, the parts in full, in order, then last.
// A file is in one part, last (pre is 0), unless it was written whole in two
// (WriteFileOwned with a tail: a framed record whose payload, a snapshot, the
// node keeps too, which the disk keeps as handed over, head and last, instead
// of copying them into one array), or grew by appends past the room of its
// array: an append that does not fit starts a new part, an array of its own,
// rather than moving the whole file to a larger one, which copied a growing
// log again and again (two thirds of the bytes raft/RPCBytes2B allocated).
//
// Invariant: head and every part in full are clipped, and so is last when it
// is a written tail, so only last's spare capacity is ever appended into (see
// apply); the array of full itself is appended to in place only by its
// owner, as last is.
type contents struct {
	head []byte
	full [][]byte
	pre  int // bytes in head and full
	last []byte
	// whole: appends keep the file in one part, moving it to a larger array
	// when it does not fit, as a file that a read flattened may be read
	// whole again (Disk.flatten).
	whole bool
}

// whole returns b as a file in one part.
func whole(b []byte) contents { return contents{last: b} }

func (c contents) len() int { return c.pre + len(c.last) }

// appendTo appends c's bytes to dst.
func (c contents) appendTo(dst []byte) []byte {
	dst = append(dst, c.head...)
	for _, p := range c.full {
		dst = append(dst, p...)
	}
	return append(dst, c.last...)
}

// prefix returns c's first n bytes, every part's capacity clipped, and
// full's.
func (c contents) prefix(n int) contents {
	if n >= c.pre {
		k := n - c.pre
		return contents{head: c.head, full: c.full[:len(c.full):len(c.full)], pre: c.pre, last: c.last[:k:k], whole: c.whole}
	}
	if n <= len(c.head) {
		return contents{last: c.head[:n:n], whole: c.whole}
	}
	pre := len(c.head)
	for i, p := range c.full {
		if n <= pre+len(p) {
			k := n - pre
			return contents{head: c.head, full: c.full[:i:i], pre: pre, last: p[:k:k], whole: c.whole}
		}
		pre += len(p)
	}
	panic("sim: contents.prefix: the parts hold fewer bytes than pre")
}

// appendData returns c with data appended: in last's spare capacity if it
// fits (the caller must own it, see apply); else, for a file in one part
// smaller than partsFrom (Disk.partsFrom), in a new array as append grows it (a small
// file is mostly a log a snapshot soon replaces whole, where room is
// wasted), and for a file in one part that must stay so (whole), in a new
// array twice what it needs (append's own growth, a quarter more for a large
// slice, made a long log copy itself about five times over as it grew;
// doubling, about twice); else in a new part with room for an eighth of the
// file then (a part as large as the file wasted up to half of what a
// growing log allocated; the parts are some 40 more per doubling, which
// nothing but a flatten walks). data is never split between parts: it is
// the last len(data) bytes of the result's last.
func (c contents) appendData(data []byte, partsFrom int) contents {
	if cap(c.last)-len(c.last) >= len(data) || c.pre == 0 && len(c.last) < partsFrom {
		c.last = append(c.last, data...)
		return c
	}
	if c.whole && c.pre == 0 {
		c.last = append(slices.Grow(c.last, len(c.last)+len(data)), data...)
		return c
	}
	room := max(len(data), c.len()/8)
	switch {
	case len(c.last) == 0:
	case c.pre == 0:
		c.head = c.last[:len(c.last):len(c.last)]
		c.pre = len(c.last)
	default:
		c.full = append(c.full, c.last[:len(c.last):len(c.last)])
		c.pre += len(c.last)
	}
	c.last = append(make([]byte, 0, room), data...)
	return c
}

// growDoubleFrom is the size from which an append that does not fit starts a
// new part of the file, or moves a whole one to twice what it needs, rather
// than moving it as append grows a slice (appendData): every disk's
// partsFrom, but for tests of short files, which lower their disk's.
const growDoubleFrom = 4 << 10
