// Package sim is a stub of the Lockstep kernel: just enough API for the
// analyzer's test packages to import it and call its methods.
package sim

import "time"

type World struct{}

func (w *World) Now() time.Duration                                    { return 0 }
func (w *World) Schedule(delay time.Duration, label string, fn func()) {}
func (w *World) AfterFunc(delay time.Duration, label string, fn func()) *Timer {
	return &Timer{}
}
func (w *World) Spawn(node *Node, name string, fn func(p *Proc)) *Proc { return &Proc{} }
func (w *World) Logf(node *Node, format string, args ...any)           {}
func (w *World) Digest(d uint64)                                       {}
func (w *World) Crash(n *Node)                                         {}
func (w *World) Rand(name string) *Rand                                { return &Rand{} }
func (w *World) Nodes() []*Node                                        { return nil }

type Node struct {
	ID   int
	Disk *Disk
}

func (n *Node) After(delay time.Duration, label string, fn func()) {}
func (n *Node) Up() bool                                           { return true }

type Disk struct{}

func (d *Disk) WriteFile(name string, data []byte)  {}
func (d *Disk) ReadFile(name string) ([]byte, bool) { return nil, false }

type Proc struct{}

func (p *Proc) Sleep(d time.Duration)                               {}
func (p *Proc) Suspend(reason string, register func(resume func())) {}

type Timer struct{}

func (t *Timer) Stop() bool { return true }

type Rand struct{}

func (r *Rand) IntN(n int) int                     { return 0 }
func (r *Rand) Fork(name string) *Rand             { return r }
func (r *Rand) Shuffle(n int, swap func(i, j int)) {}

func Checkf(check, format string, args ...any) error { return nil }
