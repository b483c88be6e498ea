package raft

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuorumMatch(t *testing.T) {
	tests := []struct {
		name  string
		match []int
		want  int
	}{
		{"single node", []int{7}, 7},
		{"three all equal", []int{5, 5, 5}, 5},
		{"three, majority at 4", []int{5, 4, 0}, 4},
		{"three, order does not matter", []int{0, 5, 4}, 4},
		{"three, only leader ahead", []int{9, 0, 0}, 0},
		{"four needs three", []int{9, 8, 2, 1}, 2},
		{"five needs three", []int{10, 3, 7, 1, 7}, 7},
		{"five, two ahead is not enough", []int{10, 10, 1, 1, 1}, 1},
		{"empty", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]int(nil), tt.match...)
			require.Equal(t, tt.want, quorumMatch(tt.match))
			require.Equal(t, in, tt.match, "quorumMatch must not reorder its input")
		})
	}
}

func TestVoteResult(t *testing.T) {
	const (
		P = votePending
		G = voteGranted
		R = voteRejected
	)
	tests := []struct {
		name  string
		votes []vote
		want  VoteResult
	}{
		{"single node votes for itself", []vote{G}, VoteWon},
		{"three, self only", []vote{G, P, P}, VotePending},
		{"three, two granted", []vote{G, G, P}, VoteWon},
		{"three, two rejected", []vote{G, R, R}, VoteLost},
		{"three, split", []vote{G, R, P}, VotePending},
		{"four needs three", []vote{G, G, R, P}, VotePending},
		{"four, three granted", []vote{G, G, G, R}, VoteWon},
		{"four, two each: no majority either way", []vote{G, G, R, R}, VotePending},
		{"five, three rejected", []vote{G, G, R, R, R}, VoteLost},
		{"five, three granted", []vote{G, P, G, R, G}, VoteWon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, voteResult(tt.votes))
		})
	}
}

func TestMajority(t *testing.T) {
	for n, want := range []int{1, 1, 2, 2, 3, 3, 4} {
		require.Equal(t, want, majority(n), "n=%d", n)
	}
}
