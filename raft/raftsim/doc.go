// Package raftsim runs the pure Raft core of package raft inside the simulator: Peer hosts
// one core on a simulated node (timers on the node's clock, messages on netsim, state on
// the node's storage), Cluster is the 6.824 Lab 2 harness, Checker the safety checkers, and
// the scenario files register the raft/* scenarios. Importing package raft alone registers
// nothing and pulls in nothing of the simulator; importing raftsim registers the scenarios.
package raftsim
