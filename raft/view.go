package raft

// Read-only accessors for checkers, beside those at the end of core.go.

// Match returns the leader's match index for peer (§5.3 matchIndex: the highest index
// known to be replicated on it). ok is false unless this node leads and peer is another
// member: a leader counts its own log by its last index, not by a match index.
func (r *Raft) Match(peer int) (index int, ok bool) {
	if r.role != leader || peer == r.id || peer < 0 || peer >= len(r.prs) {
		return 0, false
	}
	return r.prs[peer].match, true
}
