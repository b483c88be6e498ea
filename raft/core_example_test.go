package raft_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lockstep-dst/lockstep/raft"
)

type exampleRand struct{ *rand.Rand }

// Example shows the host loop for one node of a single-node cluster: tick at the deadline,
// then drain Ready in order (persist, send, apply) and Advance.
func Example() {
	r := raft.New(raft.DefaultConfig(0, 1, exampleRand{rand.New(rand.NewPCG(1, 1))}), raft.Persistent{}, 0)
	var hardFile, logFile []byte
	drain := func() {
		for r.HasReady() {
			rd := r.Ready()
			logFile = raft.AppendReadyRecords(logFile, &rd) // 1. persist and sync
			if rd.Hard != nil {
				hardFile = raft.EncodeHardState(*rd.Hard)
			}
			_ = rd.Messages              // 2. send (none in a one-node cluster)
			for _, a := range rd.Apply { // 3. apply
				fmt.Printf("apply %d %s\n", a.CommandIndex, a.Command)
			}
			r.Advance(&rd) // 4. acknowledge
		}
	}
	now := r.Deadline()
	r.Tick(now) // the election timer fires; a single node elects itself
	drain()
	_, isLeader := r.State()
	fmt.Println("leader:", isLeader)

	r.Propose(now+time.Millisecond, []byte("hello"))
	drain()

	recs, _, _ := raft.DecodeLogRecords(logFile)
	hs, _ := raft.DecodeHardState(hardFile)
	fmt.Printf("stored: %d record(s), term %d, vote %d\n", len(recs), hs.Term, hs.Vote)
	// Output:
	// leader: true
	// apply 1 hello
	// stored: 1 record(s), term 1, vote 0
}
