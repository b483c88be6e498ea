package kvsim

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

// appendValue is the value client cli's j-th Append adds: "x cli j y" as in the original.
func appendValue(cli, j int) string {
	var buf [maxAppendValue]byte // one allocation, the string's
	return string(appendValueTo(buf[:0], cli, j))
}

// appendValueTo appends appendValue(cli, j) to b.
func appendValueTo(b []byte, cli, j int) []byte {
	b = append(b, "x "...)
	b = strconv.AppendInt(b, int64(cli), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(j), 10)
	return append(b, " y"...)
}

// maxAppendValue bounds the length of appendValue's values (two ints of up to 20 bytes).
const maxAppendValue = 48

// valueArena makes one client's appendValue values in chunks of valueChunk bytes, one
// allocation a chunk where a string each was 7% of kv/SnapshotRecoverManyClients3B's
// allocations. A value's bytes are never written again once it is returned (later values
// go after it, or into a new chunk), so it is an ordinary string, which keeps its chunk
// alive while something holds it (a request in flight, the history).
type valueArena struct{ buf []byte }

const valueChunk = 1024

// value returns appendValue(cli, j).
func (a *valueArena) value(cli, j int) string {
	if cap(a.buf)-len(a.buf) < maxAppendValue {
		a.buf = make([]byte, 0, valueChunk)
	}
	start := len(a.buf)
	a.buf = appendValueTo(a.buf, cli, j)
	return unsafe.String(&a.buf[start], len(a.buf)-start)
}

// CheckClntAppends is the original's checkClntAppends: each of the count Appends client
// clnt made (and counted) to a key is in v exactly once, in the order the client made them.
func CheckClntAppends(clnt int, v string, count int) error {
	if clnt >= 0 && appendsInOrder(v, clnt, []int{count}) {
		return nil
	}
	return checkClntAppends(clnt, v, count)
}

// checkClntAppends is the original's algorithm: two searches of the whole value per
// Append, quadratic in the number of Appends (a tenth of a 20-client run's CPU). It alone
// words the errors; appendsInOrder passes the values it would pass, in one scan.
func checkClntAppends(clnt int, v string, count int) error {
	lastoff := -1
	for j := 0; j < count; j++ {
		wanted := appendValue(clnt, j)
		off := strings.Index(v, wanted)
		if off < 0 {
			return fmt.Errorf("%v missing element %v in Append result %v", clnt, wanted, short(v))
		}
		if off1 := strings.LastIndex(v, wanted); off1 != off {
			return fmt.Errorf("duplicate element %v in Append result", wanted)
		}
		if off <= lastoff {
			return fmt.Errorf("wrong order for element %v in Append result", wanted)
		}
		lastoff = off
	}
	return nil
}

// CheckConcurrentAppends is the original's checkConcurrentAppends: for every client i,
// its counts[i] Appends to one shared key are in v exactly once and in its order.
func CheckConcurrentAppends(v string, counts []int) error {
	if appendsInOrder(v, 0, counts) {
		return nil
	}
	for i, n := range counts {
		if err := checkClntAppends(i, v, n); err != nil {
			return err
		}
	}
	return nil
}

// appendsInOrder reports whether v is a concatenation of appendValue's "x c j y" tokens
// in which, for each client c = first+i, the tokens of its Appends 0..counts[i]-1 appear
// in that order, once each (other tokens may sit anywhere). When it holds, checkClntAppends
// passes every such client; when it does not, the caller runs checkClntAppends, which
// decides and says why.
//
// Why one scan of the tokens gives checkClntAppends' verdict: in such a v, 'x' starts every
// token and occurs nowhere else (the rest of a token is digits, spaces and the final 'y'),
// so an occurrence of appendValue(c, j) starts at a token's start; and it matches that
// token only if the token is (c, j), because the digits of c and of j end at a space on
// both sides (the tokens' numbers have no leading zeros, like appendValue's). So the
// occurrences of appendValue(c, j) are the tokens (c, j), and "present, only once, after
// the previous Append's" for j = 0..count-1 says that client c's tokens below count read
// 0, 1, ..., count-1 in order.
func appendsInOrder(v string, first int, counts []int) bool {
	next := make([]int, len(counts)) // the Append each client's next token must be
	for pos := 0; pos < len(v); {
		c, j, n := appendToken(v[pos:])
		if n == 0 {
			return false
		}
		pos += n
		if i := c - first; i >= 0 && i < len(counts) && j < counts[i] {
			if j != next[i] {
				return false // one missing, repeated or out of order
			}
			next[i]++
		}
	}
	for i, n := range counts {
		if next[i] != max(n, 0) {
			return false
		}
	}
	return true
}

// appendToken parses "x c j y" at the start of s, with c and j as appendValue writes them
// (decimal, no sign, no leading zero), and returns them and the token's length; n is 0 if
// s does not start with such a token.
func appendToken(s string) (c, j, n int) {
	if len(s) < 2 || s[0] != 'x' || s[1] != ' ' {
		return 0, 0, 0
	}
	c, l := leadingNumber(s[2:])
	if l == 0 || len(s) < 2+l+1 || s[2+l] != ' ' {
		return 0, 0, 0
	}
	rest := s[2+l+1:]
	j, m := leadingNumber(rest)
	if m == 0 || len(rest) < m+2 || rest[m] != ' ' || rest[m+1] != 'y' {
		return 0, 0, 0
	}
	return c, j, 2 + l + 1 + m + 2
}

// leadingNumber parses the decimal number at the start of s, as strconv.Itoa writes a
// non-negative int of up to 18 digits, and returns it and its length (0 if there is none).
func leadingNumber(s string) (v, n int) {
	for n < len(s) && n < 18 && s[n] >= '0' && s[n] <= '9' {
		v = v*10 + int(s[n]-'0')
		n++
	}
	if n == 0 || (n > 1 && s[0] == '0') || (n < len(s) && s[n] >= '0' && s[n] <= '9') {
		return 0, 0
	}
	return v, n
}

// diff describes how got differs from want, for value check failures: the values of the
// 6.824 workloads run to kilobytes, and two that differ late look equal when shortened.
func diff(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-20)
	ctx := func(s string) string {
		if i >= len(s) {
			return fmt.Sprintf("…%q (ends)", s[from:])
		}
		return fmt.Sprintf("…%q…", s[from:min(len(s), i+20)])
	}
	return fmt.Sprintf("wanted %d bytes, got %d; first difference at byte %d: wanted %s, got %s",
		len(want), len(got), i, ctx(want), ctx(got))
}

// short abbreviates a long value for messages (the workloads' values run to kilobytes).
func short(s string) string {
	if len(s) > 40 {
		return s[:18] + "…" + s[len(s)-18:]
	}
	return s
}
