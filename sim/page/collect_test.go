package page

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lockstep-dst/lockstep/sim"
)

func rec(at time.Duration, m sim.Mark) sim.Record {
	return sim.Record{At: at, Node: m.Node, Note: m.Text, Mark: &m}
}

// A long run's messages are all counted but only a bounded sample is kept:
// an even sample over the run and the last ones in full.
func TestMessagesAreCountedAndSampledWithinBounds(t *testing.T) {
	const n = 100_000
	c := NewCollector()
	nodes := []string{"a", "b", "c", "d", "e"}
	for i := 0; i < n; i++ {
		at := time.Duration(i) * time.Millisecond
		from, to := nodes[i%5], nodes[(i+1)%5]
		id := uint64(i + 1)
		c.Record(rec(at, sim.Mark{Kind: sim.MarkSend, Node: from, Peer: to, ID: id, Text: fmt.Sprintf("send #%d %s → %s Raft.AppendEntries {Term:3 LeaderId:1 PrevLogIndex:%d PrevLogTerm:2 Entries:[] LeaderCommit:%d}", id, from, to, i, i)}))
		if i%10 == 0 {
			c.Record(rec(at+time.Microsecond, sim.Mark{Kind: sim.MarkDrop, Node: from, Peer: to, ID: id}))
		} else {
			c.Record(rec(at+2*time.Microsecond, sim.Mark{Kind: sim.MarkDeliver, Node: to, Peer: from, ID: id}))
		}
	}
	var b bytes.Buffer
	require.NoError(t, c.Write(&b, Run{Result: sim.Result{Scenario: "t/Long", Seed: 1, Outcome: sim.Pass, Virtual: n * time.Millisecond}}))
	d := c.data(sim.Result{})
	require.EqualValues(t, n, d.MsgTotal)
	require.LessOrEqual(t, len(d.Msgs), sampleMessages+tailMessages)
	require.Greater(t, len(d.Msgs), sampleMessages/2)
	var sent, dropped uint64
	for i := range d.Density.Sent {
		sent += d.Density.Sent[i]
		dropped += d.Density.Dropped[i]
	}
	require.EqualValues(t, n, sent, "the density strip counts every message")
	require.EqualValues(t, n/10, dropped)
	// The last message is kept, with its text and its fate.
	last := d.Msgs[len(d.Msgs)-1]
	require.Equal(t, int64((n-1)*time.Millisecond), last[0])
	require.Contains(t, d.Texts[last[5]], fmt.Sprintf("send #%d ", n))
	require.EqualValues(t, delivered, last[4])
	// The sample spans the run, not only its end.
	require.Less(t, d.Msgs[0][0], int64(time.Second))
	t.Logf("a page of %d messages: %d bytes", n, b.Len())
	require.Less(t, b.Len(), 4<<20, "a page of 100k messages stays under 4 MiB")
}

func TestMessageFates(t *testing.T) {
	c := NewCollector()
	c.Record(rec(0, sim.Mark{Kind: sim.MarkSend, Node: "a", Peer: "b", ID: 1, Text: "one"}))
	c.Record(rec(1, sim.Mark{Kind: sim.MarkSend, Node: "a", Peer: "b", ID: 2, Text: "two"}))
	c.Record(rec(2, sim.Mark{Kind: sim.MarkSend, Node: "b", Peer: "a", ID: 3, Text: "three"}))
	c.Record(rec(5, sim.Mark{Kind: sim.MarkDeliver, Node: "b", Peer: "a", ID: 1}))
	c.Record(rec(6, sim.Mark{Kind: sim.MarkDrop, Node: "a", Peer: "b", ID: 2}))
	c.Record(rec(7, sim.Mark{Kind: sim.MarkDeliver, Node: "b", Peer: "a", ID: 1})) // a duplicate
	c.finish(10)
	d := c.data(sim.Result{})
	require.Equal(t, [][6]int64{
		{0, 5, 0, 1, int64(delivered), 0},
		{1, 6, 0, 1, int64(dropped), 1},
		{2, 10, 1, 0, int64(inFlight), 2},
	}, d.Msgs)
	require.Equal(t, []string{"one", "two", "three"}, d.Texts)
	require.Equal(t, 1, c.unmatched)
	require.Equal(t, messageCounts{Sent: 3, Dropped: 1, Flying: 1}, c.view(Run{}).Messages)
	require.Equal(t, []string{"a", "b"}, d.Lanes)
}

// Marks that open and close a state become spans; what is still open when
// the run ends lasts to its end. Link conditions as the run set them first
// are no fault, and not drawn.
func TestSpans(t *testing.T) {
	c := NewCollector()
	s := time.Second
	for _, r := range []sim.Record{
		rec(0, sim.Mark{Kind: sim.MarkStart, Node: "a"}),
		rec(0, sim.Mark{Kind: sim.MarkStart, Node: "b"}),
		rec(0, sim.Mark{Kind: sim.MarkStart, Node: "c"}),
		rec(1*s, sim.Mark{Kind: sim.MarkCrash, Node: "a"}),
		rec(2*s, sim.Mark{Kind: sim.MarkStart, Node: "a"}),
		rec(2*s, sim.Mark{Kind: sim.MarkPause, Node: "b"}),
		rec(3*s, sim.Mark{Kind: sim.MarkResume, Node: "b"}),
		rec(3*s, sim.Mark{Kind: sim.MarkPartition, Text: "[a] | [b c]", ID: 7}),
		rec(3*s, sim.Mark{Kind: sim.MarkPartition, Node: "a", Peer: "c", Text: "a -/- c", ID: 8}),
		rec(4*s, sim.Mark{Kind: sim.MarkHeal, ID: 7}),
		rec(0, sim.Mark{Kind: sim.MarkLink, Text: "reliable"}),
		rec(4*s, sim.Mark{Kind: sim.MarkLink, Text: "drop 10%"}),
		rec(5*s, sim.Mark{Kind: sim.MarkLink, Text: "reliable"}),
		rec(6*s, sim.Mark{Kind: sim.MarkCrash, Node: "c"}),
		rec(6*s, sim.Mark{Kind: sim.MarkClock, Node: "b", Text: "offset +2s"}),
		rec(7*s, sim.Mark{Kind: sim.MarkFail, Node: "b", Text: "FAIL x: boom"}),
	} {
		c.Record(r)
	}
	c.finish(8 * s)
	res := sim.Result{Failure: &sim.Failure{Check: "x", Node: "b", At: 7 * s, Err: errors.New("boom")}}
	d := c.data(res)
	sec := int64(s)
	require.Equal(t, []span{
		{From: 1 * sec, To: 2 * sec, Lane: 0, Kind: "down", Text: "down (crashed)"},
		{From: 2 * sec, To: 3 * sec, Lane: 1, Kind: "paused", Text: "paused"},
		{From: 4 * sec, To: 5 * sec, Lane: -1, Kind: "link", Text: "drop 10%"},
		{From: 6 * sec, To: 8 * sec, Lane: 2, Kind: "down", Text: "down (crashed) until the end"},
		{From: 3 * sec, To: 4 * sec, Lane: -1, Kind: "partition", Text: "[a] | [b c]"},
		{From: 3 * sec, To: 8 * sec, Lane: 0, Kind: "partition", Text: "a -/- c"},
		{From: 3 * sec, To: 8 * sec, Lane: 2, Kind: "partition", Text: "a -/- c"},
	}, d.Spans)
	require.Len(t, d.Points, 16)
	require.Equal(t, &fail{At: 7 * sec, Lane: 1, Check: "x", Text: "x failed at 7s on b: boom"}, d.Fail)
}

// The cuts of one node that overlap are drawn as one span naming them all.
func TestOverlappingCutsOfALaneMerge(t *testing.T) {
	c := NewCollector()
	c.Record(rec(1, sim.Mark{Kind: sim.MarkPartition, Node: "a", Peer: "b", ID: 1, Text: "a-/->b"}))
	c.Record(rec(2, sim.Mark{Kind: sim.MarkPartition, Node: "a", Peer: "c", ID: 2, Text: "a-/->c"}))
	c.Record(rec(4, sim.Mark{Kind: sim.MarkHeal, Node: "a", Peer: "b", ID: 1}))
	c.Record(rec(5, sim.Mark{Kind: sim.MarkHeal, Node: "a", Peer: "c", ID: 2}))
	c.Record(rec(6, sim.Mark{Kind: sim.MarkPartition, Node: "a", Peer: "b", ID: 3, Text: "a-/->b"}))
	c.Record(rec(7, sim.Mark{Kind: sim.MarkHeal, Node: "a", Peer: "b", ID: 3}))
	c.finish(10)
	d := c.data(sim.Result{})
	require.Equal(t, []span{
		{From: 1, To: 5, Lane: 0, Kind: "partition", Text: "a-/->b; a-/->c"},
		{From: 6, To: 7, Lane: 0, Kind: "partition", Text: "a-/->b"},
		{From: 1, To: 4, Lane: 1, Kind: "partition", Text: "a-/->b"},
		{From: 6, To: 7, Lane: 1, Kind: "partition", Text: "a-/->b"},
		{From: 2, To: 5, Lane: 2, Kind: "partition", Text: "a-/->c"},
	}, d.Spans)
}

func TestHealWithoutIDHealsEveryCut(t *testing.T) {
	c := NewCollector()
	c.Record(rec(1, sim.Mark{Kind: sim.MarkPartition, Node: "a", ID: 1}))
	c.Record(rec(2, sim.Mark{Kind: sim.MarkPartition, Node: "b", ID: 2}))
	c.Record(rec(3, sim.Mark{Kind: sim.MarkHeal}))
	c.finish(10)
	d := c.data(sim.Result{})
	require.Equal(t, []span{
		{From: 1, To: 3, Lane: 0, Kind: "partition"},
		{From: 2, To: 3, Lane: 1, Kind: "partition"},
	}, d.Spans)
}

// Whatever a run's nodes, checks and messages say, the page shows it as
// text: nothing from the trace can open a tag or end the script.
func TestTraceTextIsEscaped(t *testing.T) {
	c := NewCollector()
	evil := `</script><img src=x onerror=alert(1)>`
	c.Record(rec(0, sim.Mark{Kind: sim.MarkStart, Node: evil, Text: evil}))
	c.Record(rec(1, sim.Mark{Kind: sim.MarkSend, Node: evil, Peer: "b", ID: 1, Text: evil}))
	c.Record(sim.Record{At: 2, Node: evil, Note: evil})
	res := sim.Result{Scenario: "t/" + evil, Outcome: sim.Fail, Faults: evil,
		Failure:     &sim.Failure{Check: evil, At: 2, Err: errors.New(evil)},
		Attachments: []sim.Attachment{{Name: evil, MediaType: "text/html", Data: []byte(evil)}, {Name: "t", MediaType: "text/plain", Data: []byte(evil)}}}
	var b bytes.Buffer
	require.NoError(t, c.Write(&b, Run{Result: res, Replay: evil, Plan: []byte(evil)}))
	require.NotContains(t, b.String(), "<img")
	require.Equal(t, 2, strings.Count(b.String(), "</script>"), "only the page's own two scripts end")
}

func TestClipKeepsUTF8Whole(t *testing.T) {
	s := strings.Repeat("é", maxText) // two bytes each
	got := clip(s)
	require.True(t, strings.HasSuffix(got, "…"))
	require.LessOrEqual(t, len(got), maxText+len("…"))
	require.True(t, strings.HasPrefix(s, strings.TrimSuffix(got, "…")))
	require.Equal(t, "short", clip("short"))
}

func TestTheLastTraceLinesAreKept(t *testing.T) {
	c := NewCollector()
	for i := 0; i < tailRecords+50; i++ {
		c.Record(sim.Record{At: time.Duration(i), Note: fmt.Sprint("line ", i)})
	}
	got := c.lastRecords()
	require.Len(t, got, tailRecords)
	require.Equal(t, "line 50", got[0].Note)
	require.Equal(t, fmt.Sprint("line ", tailRecords+49), got[len(got)-1].Note)
}

// An attachment larger than the bound is named with its size, not embedded.
func TestLargeAttachmentIsNamedNotEmbedded(t *testing.T) {
	big := strings.Repeat("<p>x</p>", 100)
	res := sim.Result{Scenario: "t/A", Outcome: sim.Pass, Attachments: []sim.Attachment{
		{Name: "big.html", MediaType: "text/html", Data: []byte(big)},
		{Name: "small.txt", MediaType: "text/plain", Data: []byte("hello")},
	}}
	var b bytes.Buffer
	require.NoError(t, NewCollector().Write(&b, Run{Result: res, MaxEmbed: 100}))
	require.Contains(t, b.String(), "text/html, 800 bytes: too large to embed in this page.")
	require.NotContains(t, b.String(), "&lt;p&gt;x")
	require.Contains(t, b.String(), "<pre>hello</pre>")
}

// The marks table lists the first maxTableMarks marks and says how many
// there are; the drawing has them all.
func TestMarksTableIsBounded(t *testing.T) {
	c := NewCollector()
	for i := 0; i < maxTableMarks+500; i++ {
		c.Record(rec(time.Duration(i), sim.Mark{Kind: "custom", Node: "a", Text: fmt.Sprint("m", i)}))
	}
	var b bytes.Buffer
	require.NoError(t, c.Write(&b, Run{Result: sim.Result{Scenario: "t/M", Outcome: sim.Pass}}))
	require.Contains(t, b.String(), fmt.Sprintf("Marks (the first %d of %d)", maxTableMarks, maxTableMarks+500))
	require.Equal(t, maxTableMarks, strings.Count(b.String(), `<tr class="row-custom"`))
	require.Len(t, c.data(sim.Result{}).Points, maxTableMarks+500)
}
