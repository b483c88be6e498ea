package channels

import "github.com/lockstep-dst/lockstep/sim"

func Chans(p *sim.Proc) int {
	ch := make(chan int, 1) // making a channel is no operation
	ch <- 1                 // want `channel send: channels hand work between goroutines`
	v := <-ch               // want `channel receive`
	for x := range ch {     // want `range over channel`
		v += x
	}
	select { // want `select: channels`
	case ch <- 2: // covered by the select
	case y := <-ch:
		v += y
	default:
	}
	close(ch)              // want `channel close`
	var f func(chan<- int) // a channel type is no operation
	_ = f
	return v
}
