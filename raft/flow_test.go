package raft

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Flow control (progress): at most one append with entries in flight to a follower, sent
// from its match; a heartbeat due meanwhile carries no entries and a prev the follower
// acknowledged; only the response that answers the append in flight releases the next one;
// an append left unanswered for retryAfter is sent again by the heartbeat.

// nflights is 1 if a request is in flight to the follower, else 0.
func (pr *progress) nflights() int {
	if pr.inflight {
		return 1
	}
	return 0
}

// flowPair is a leader (node 0 of 3) and a real follower (node 1), whose messages the test
// carries by hand, in whatever order it likes. Node 2 never answers.
type flowPair struct {
	t        *testing.T
	lead, f  *Raft
	rejected int // rejections the follower sent
}

func newFlowPair(t *testing.T) *flowPair {
	p := &flowPair{t: t, lead: newNode(t, 0, 3, Persistent{}), f: newNode(t, 1, 3, Persistent{})}
	makeLeader(t, p.lead)
	// The new leader's first heartbeat to node 1 was drained by makeLeader; send the next
	// and let the follower learn of the leader and answer it.
	p.lead.Tick(p.lead.Deadline())
	hb := p.to1(drain(p.lead).Messages)
	require.Len(t, hb, 1)
	p.back(p.deliver(hb[0]))
	require.Equal(t, 0, p.lead.prs[1].match)
	require.Equal(t, 0, p.lead.prs[1].nflights(), "the heartbeat was answered")
	return p
}

// to1 returns the messages for node 1.
func (p *flowPair) to1(ms []Message) []Message {
	var out []Message
	for _, m := range ms {
		if m.To == 1 {
			out = append(out, m)
		}
	}
	return out
}

// send drains the leader and returns its messages to node 1.
func (p *flowPair) send() []Message { return p.to1(drain(p.lead).Messages) }

// deliver steps m into the follower and returns its response.
func (p *flowPair) deliver(m Message) Message {
	p.t.Helper()
	p.f.Step(p.lead.now, m)
	resp, _ := oneMsg(p.t, p.f, MsgAppResp)
	if !resp.Success {
		p.rejected++
	}
	return resp
}

// back steps the follower's response into the leader.
func (p *flowPair) back(m Message) { p.lead.Step(p.lead.now, m) }

// TestHeartbeatDuringAppendIsNotRejected: a heartbeat that overtakes the append in flight
// is accepted, and so is the append after it. (The leader used to send the heartbeat from
// the end of the append in flight: the follower rejected it for a prev it did not hold yet,
// and the leader backed up and sent the entries again.)
func TestHeartbeatDuringAppendIsNotRejected(t *testing.T) {
	p := newFlowPair(t)
	at := p.lead.heartbeatDeadline - p.lead.retryAfter()/2 // less than retryAfter before it
	p.lead.Propose(at, []byte("a"))
	app := p.send()
	require.Len(t, app, 1)
	require.Equal(t, 0, app[0].PrevIndex)
	require.Len(t, app[0].Entries, 1)
	p.lead.Propose(at, []byte("b"))
	require.Empty(t, p.send(), "batched behind the append in flight")

	p.lead.Tick(p.lead.Deadline())
	hb := p.send()
	require.Len(t, hb, 1)
	require.Empty(t, hb[0].Entries, "a heartbeat during an append carries no entries")
	require.Equal(t, 0, hb[0].PrevIndex, "it probes at the follower's match")

	// The heartbeat arrives first, then the append.
	hbResp := p.deliver(hb[0])
	appResp := p.deliver(app[0])
	require.Zero(t, p.rejected, "heartbeat %v, append %v", hbResp, appResp)
	require.Equal(t, 1, p.f.LastIndex())

	// The heartbeat's answer acknowledges nothing new: the append is still in flight, so a
	// new proposal waits for its answer instead of going out behind it.
	p.back(hbResp)
	require.Empty(t, p.send(), "the append is still in flight: b waits for its answer")
	p.back(appResp)
	next := p.send()
	require.Len(t, next, 1, "its answer releases the next append")
	require.Equal(t, 1, next[0].PrevIndex)
	require.Len(t, next[0].Entries, 1)
	p.back(p.deliver(next[0]))
	require.Zero(t, p.rejected)
	require.Equal(t, 2, p.lead.prs[1].match)
}

// TestResponseAnswersOnlyItsRequest: a late answer to an older request does not release
// the next append while a newer one is in flight (it used to clear inflight whichever
// request it answered, and the append sent then could overtake the one in flight).
func TestResponseAnswersOnlyItsRequest(t *testing.T) {
	p := newFlowPair(t)
	p.lead.Propose(p.lead.now, []byte("a"))
	first := p.send()[0]
	p.back(p.deliver(first))
	p.lead.Propose(p.lead.now, []byte("b"))
	second := p.send()[0]
	require.Equal(t, 1, second.PrevIndex)

	// A duplicate of the first append's answer arrives (the network delivered it twice).
	dup := first
	p.back(p.deliver(dup))
	p.lead.Propose(p.lead.now, []byte("c"))
	require.Empty(t, p.send(), "the second append is still in flight")

	p.back(p.deliver(second))
	third := p.send()
	require.Len(t, third, 1)
	require.Equal(t, 2, third[0].PrevIndex)
	require.Zero(t, p.rejected)
}

// TestLostAppendIsRetriedByTheHeartbeat: an append that stays unanswered for retryAfter is
// sent again by the next heartbeat, with whatever was proposed since, from the follower's
// match; before that, the heartbeat carries no entries.
func TestLostAppendIsRetriedByTheHeartbeat(t *testing.T) {
	p := newFlowPair(t)
	sent := p.lead.heartbeatDeadline - p.lead.retryAfter() + time.Millisecond
	p.lead.Propose(sent, []byte("a"))
	require.Len(t, p.send(), 1) // lost
	p.lead.Propose(sent, []byte("b"))
	require.Empty(t, p.send())

	p.lead.Tick(p.lead.Deadline())
	hb := p.send()
	require.Len(t, hb, 1)
	require.Empty(t, hb[0].Entries, "sent less than retryAfter ago: not sent again yet")

	p.lead.Tick(p.lead.Deadline())
	retry := p.send()
	require.Len(t, retry, 1)
	require.Equal(t, 0, retry[0].PrevIndex)
	require.Len(t, retry[0].Entries, 2, "the lost entry and the one batched behind it")
	p.back(p.deliver(retry[0]))
	require.Zero(t, p.rejected)
	require.Equal(t, 2, p.lead.prs[1].match)
}

// TestSnapshotInFlightIsNotSentTwice: while a snapshot is in flight, the heartbeat sends an
// append without entries from index 0 (the follower's match is compacted away), which the
// follower accepts, not a second copy of the snapshot; one unanswered for retryAfter is sent
// again.
func TestSnapshotInFlightIsNotSentTwice(t *testing.T) {
	p := newFlowPair(t)
	at := p.lead.heartbeatDeadline - p.lead.retryAfter()/2
	p.lead.Propose(at, []byte("a"))
	app := p.send()
	p.lead.Propose(at, []byte("b"))
	// Node 2 acknowledges both: they commit, are applied, and the leader snapshots them.
	p.lead.Step(at, Message{Type: MsgAppResp, From: 2, To: 0, Term: p.lead.term, Success: true, PrevIndex: 0, MatchIndex: 2})
	drain(p.lead)
	p.lead.Snapshot(2, []byte("s"))
	drain(p.lead)
	// The follower's answer for a arrives: b is compacted away, so the snapshot goes.
	p.back(p.deliver(app[0]))
	snap := p.send()
	require.Len(t, snap, 1)
	require.Equal(t, MsgSnap, snap[0].Type)

	p.lead.Tick(p.lead.Deadline())
	hb := p.send()
	require.Len(t, hb, 1)
	require.Equal(t, MsgApp, hb[0].Type, "no second snapshot while one is in flight")
	require.Equal(t, 0, hb[0].PrevIndex, "match 1 is compacted: the sentinel instead")
	require.Equal(t, 0, hb[0].PrevTerm)
	require.True(t, p.deliver(hb[0]).Success)

	// Unanswered at the next heartbeat, retryAfter later: sent again.
	p.lead.Tick(p.lead.Deadline())
	again := p.send()
	require.Len(t, again, 1)
	require.Equal(t, MsgSnap, again[0].Type)
	p.f.Step(p.lead.now, again[0])
	resp, _ := oneMsg(t, p.f, MsgSnapResp)
	p.back(resp)
	require.Equal(t, 2, p.lead.prs[1].match)
	require.Zero(t, p.lead.prs[1].nflights())
	require.Empty(t, p.send(), "the snapshot told the follower the commit index: nothing is due")
	require.Zero(t, p.rejected)
}

// TestHeartbeatLeavesTheCommitDue: a heartbeat during an append carries the commit index,
// but the follower takes it only up to its match; the answer to the append then sends the
// rest of it, with no entries if there are none to send.
func TestHeartbeatLeavesTheCommitDue(t *testing.T) {
	p := newFlowPair(t)
	at := p.lead.heartbeatDeadline - p.lead.retryAfter()/2
	p.lead.Propose(at, []byte("a"))
	app := p.send()
	p.lead.Step(at, Message{Type: MsgAppResp, From: 2, To: 0, Term: p.lead.term, Success: true, PrevIndex: 0, MatchIndex: 1})
	require.Equal(t, 1, p.lead.CommitIndex())
	p.send()

	p.lead.Tick(p.lead.Deadline())
	hb := p.send()
	require.Len(t, hb, 1)
	require.Equal(t, 1, hb[0].Commit)
	p.back(p.deliver(hb[0]))
	require.Equal(t, 0, p.f.CommitIndex(), "the follower holds nothing beyond its match yet")

	p.back(p.deliver(app[0]))
	push := p.send()
	require.Len(t, push, 1, "the commit index follows the answer")
	require.Empty(t, push[0].Entries)
	p.back(p.deliver(push[0]))
	require.Equal(t, 1, p.f.CommitIndex())
	require.Zero(t, p.rejected)
}
