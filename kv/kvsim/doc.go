// Package kvsim is the test harness of package kv, the 6.824 Lab 3 kvraft service, on the
// simulator: a cluster of kv servers on a simulated network with the Raft checkers on every
// server (Cluster), clerks that run as simulated clients and retry until an operation
// succeeds (Clerk), the history of every completed clerk call (History), checked for
// linearizability by porcupine on virtual timestamps within bounds counted in operations,
// model steps and state comparisons (Model, CheckLinearizable, Bounds), and the Lab 3 tests
// as seeded scenarios (kv/Basic3A ...), plus kv/Swarm. Importing it registers the scenarios
// with the zero Config; Scenario builds one with another Config (deliberately broken
// servers, other bounds, a hook that sees the cluster), so that no test sets a package
// variable.
package kvsim
