package kvsim

import (
	"fmt"
	"strconv"
	"strings"
)

// appendValue is the value client cli's j-th Append adds: "x cli j y" as in the original.
func appendValue(cli, j int) string {
	var buf [48]byte // one allocation, the string's
	b := append(buf[:0], "x "...)
	b = strconv.AppendInt(b, int64(cli), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(j), 10)
	return string(append(b, " y"...))
}

// CheckClntAppends is the original's checkClntAppends: each of the count Appends client
// clnt made (and counted) to a key is in v exactly once, in the order the client made them.
func CheckClntAppends(clnt int, v string, count int) error {
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
	for i, n := range counts {
		if err := CheckClntAppends(i, v, n); err != nil {
			return err
		}
	}
	return nil
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
