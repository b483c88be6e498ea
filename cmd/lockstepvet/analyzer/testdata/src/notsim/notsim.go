// Package notsim does not import the kernel: it is not simulated code and
// nothing in it is reported.
package notsim

import (
	"math/rand"
	"os"
	"sync"
	"time"
)

var mu sync.Mutex

func Host() int {
	mu.Lock()
	defer mu.Unlock()
	go func() {}()
	ch := make(chan int, 1)
	ch <- 1
	time.Sleep(time.Millisecond)
	_ = os.Getenv("HOME")
	var out []int
	for k := range map[int]bool{1: true} {
		out = append(out, k)
	}
	return rand.Intn(10) + <-ch + len(out)
}
