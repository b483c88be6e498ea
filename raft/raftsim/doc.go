// Package raftsim is the Raft test harness and scenarios: Cluster is the 6.824 Lab 2
// harness on the simulator, and the scenario files register the raft/* scenarios (the Lab
// 2 tests and raft/Swarm) when the package is imported. The peers it runs are the host of
// package rafthost (asynchronous persistence and halting on corrupt storage are described
// there). Importing package raft alone registers nothing and pulls in nothing of the
// simulator; importing rafthost (as kv and shardkv do) registers nothing either; importing
// raftsim registers the scenarios.
package raftsim
