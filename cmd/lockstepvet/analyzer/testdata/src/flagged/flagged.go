// Package flagged does not import the kernel: only -pkgs makes it checked
// (TestPkgsFlag expects the two reports below; TestRules expects none).
package flagged

import "time"

func Wall() time.Time {
	go func() {}()    // goroutine start
	return time.Now() // wall time time.Now
}
