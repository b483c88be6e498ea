// Package rafthost hosts the pure Raft core of package raft inside the simulator: Peer runs
// one core on a simulated node (timers on the node's clock, messages on netsim, state on
// the node's storage), Checker wires the safety checks of package raftcheck into the
// world, and the probes count the states the literature's Raft bugs need. It is what a
// system built on Raft (kv, shardkv) imports, and it registers no scenario: the harness
// and the raft/* scenarios are in package raftsim, which imports this one.
//
// # Asynchronous storage
//
// A Sync completes as a later event, or never if the node crashes first. A peer writes one
// Ready at a time (the file protocol is on Peer.persist) and sends its messages, applies
// its entries and calls Advance only when the last Sync of that Ready completes, so nothing
// is acknowledged before it is durable (§5.1). It keeps stepping what arrives meanwhile;
// the responses go out with the Ready that carries them. A crash during a write cancels the
// completion: the peer restarts from whatever part of the Ready the disk kept, none of
// which it had acknowledged.
//
// # Corrupt storage: the peer halts
//
// At boot a peer tells a torn tail from corruption (see raft/persist.go). A torn tail is a
// write the crash interrupted, never synced, so never acknowledged: it is dropped. Anything
// else that does not decode (a record present whole that fails its CRC anywhere in the log,
// the last record included, or a damaged hard state or snapshot file) is corruption of data
// the peer synced and may have acknowledged: a vote, or entries a leader counted towards a
// commit. The peer then halts (Peer.Halted): it logs "raft: storage corrupt: ..., peer
// halted", keeps no timer, refuses every RPC, proposes and applies nothing, and stays so
// across restarts, since the disk still holds the damage. An operator would replace its
// storage and add it back as a new member, which this package does not model. The cluster
// runs on with the others: raft/Swarm requires liveness of the remaining peers if they are a
// majority, and the checkers are told (HaltObserver) to stop holding the halted peer to what
// it had synced.
//
// The alternative the issue names, rejoining without a vote until caught up from the
// others, was not chosen because no peer can tell when a peer that lost state has "caught
// up" enough to vote safely. Suppose 5 peers, and entry 7 committed by the leader of term 3
// with the acknowledgements of S1, S2 and S3. S3's log is corrupted, it truncates at 6 and
// rejoins, silently. S4 and S5 lack 7. If S3 votes again before relearning 7, S4 can win
// term 4 with the votes of S3, S5 and itself, and overwrite the committed 7: a
// state-machine-safety violation. Catching up from "a" leader does not help, because the
// leader S3 catches up from may be S4. Making it safe needs more than this protocol has:
// either to know what the peer acknowledged before the loss (which is what was lost), or a
// recovery protocol that asks a majority of the others for their logs before voting again
// (as in protocol-aware recovery, Alagappan et al., FAST '18), or a membership change that
// removes the peer and adds it back empty. The damaged hard state makes it worse: the peer
// no longer knows its term or its vote, so even its next vote may be its second in that
// term. Halting keeps every safety property and costs availability only when a majority's
// disks fail, which no protocol survives without an operator.
package rafthost
