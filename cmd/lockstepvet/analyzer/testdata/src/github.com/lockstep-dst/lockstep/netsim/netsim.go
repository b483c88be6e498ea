// Package netsim is a stub of the simulated network.
package netsim

import "github.com/lockstep-dst/lockstep/sim"

type Message interface{ Size() int }

type Endpoint struct{}

func (e *Endpoint) Call(to int, method string, args Message, done func(reply any, ok bool)) {}
func (e *Endpoint) Handle(method string, h func())                                          {}
func (e *Endpoint) Node() *sim.Node                                                         { return nil }
