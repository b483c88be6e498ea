package main

// Every system's scenarios register themselves when their package loads.
import (
	_ "github.com/lockstep-dst/lockstep/examples/lease"
	_ "github.com/lockstep-dst/lockstep/examples/register"
	_ "github.com/lockstep-dst/lockstep/kv/kvsim"
	_ "github.com/lockstep-dst/lockstep/mapreduce"
	_ "github.com/lockstep-dst/lockstep/raft/raftsim"
	_ "github.com/lockstep-dst/lockstep/shardkv/shardsim"
)
