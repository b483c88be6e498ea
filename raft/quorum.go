package raft

import "slices"

// Quorum math as small pure functions over plain slices (no maps, so no iteration order can
// leak into behaviour). A cluster of n nodes needs n/2+1 of them for a majority.

// majority returns the size of a majority of n nodes.
func majority(n int) int { return n/2 + 1 }

// quorumMatch returns the highest log index that is stored on a majority of the nodes,
// given each node's match index (the leader's own last index included). It does not apply
// the current-term rule of §5.4.2; the caller does (see Raft.maybeCommit).
func quorumMatch(match []int) int { return quorumMatchSorting(slices.Clone(match)) }

// quorumMatchSorting is quorumMatch that sorts match in place (the leader's scratch copy).
func quorumMatchSorting(match []int) int {
	if len(match) == 0 {
		return 0
	}
	slices.Sort(match)
	// Sorted ascending, match[len-majority] and everything after it are on a majority of
	// nodes.
	return match[len(match)-majority(len(match))]
}

// vote is one node's answer in an election.
type vote int8

const (
	votePending  vote = iota // no answer yet
	voteGranted              // granted
	voteRejected             // rejected
)

// VoteResult is the outcome of an election as far as the votes so far decide it.
type VoteResult int

// Election outcomes.
const (
	VotePending VoteResult = iota // neither side has a majority yet
	VoteWon                       // a majority granted
	VoteLost                      // a majority rejected: the election cannot be won
)

// String returns "pending", "won" or "lost".
func (v VoteResult) String() string {
	switch v {
	case VoteWon:
		return "won"
	case VoteLost:
		return "lost"
	}
	return "pending"
}

// voteResult tallies votes, one per node of the cluster.
func voteResult(votes []vote) VoteResult {
	granted, rejected := 0, 0
	for _, v := range votes {
		switch v {
		case voteGranted:
			granted++
		case voteRejected:
			rejected++
		}
	}
	q := majority(len(votes))
	switch {
	case granted >= q:
		return VoteWon
	case rejected >= q:
		return VoteLost
	}
	return VotePending
}
