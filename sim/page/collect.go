//lockstep:host the page is drawn from a run's trace by the runner, outside the simulation

package page

import (
	"sort"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Bounds on what a Collector keeps, so that a page's size and the memory
// spent on it are bounded however long the run: a run can send millions of
// messages. Every message is counted (in the density strip and the per-link
// table); only a sample is drawn as arrows.
const (
	// sampleMessages is how many messages a uniform sample over the whole
	// run keeps (a stride that doubles whenever the sample overflows).
	sampleMessages = 16000
	// tailMessages is how many of the last messages are kept in full: the
	// ones just before a failure are the ones a reader follows.
	tailMessages = 4000
	// maxMarks bounds the lane marks kept (crashes, restarts, faults, a
	// system's own kinds); later ones are counted, not kept.
	maxMarks = 20000
	// tailRecords is how many of the last trace lines the page prints.
	tailRecords = 300
	// densityBuckets is the resolution of the message-density strip.
	densityBuckets = 400
	// maxText bounds one mark's text on the page (a failure's message is
	// kept whole).
	maxText = 300
)

// Collector keeps what a page draws from a run's trace. Hand its Record
// method to sim.Options.Trace (alone, or called from another trace
// function); it keeps marks, counts messages and samples them, and keeps the
// last trace lines. It is not safe for concurrent use, which a trace never
// needs: a run calls its trace function from one goroutine.
type Collector struct {
	lanes  []string       // node names in order of first appearance
	laneOf map[string]int // name -> index in lanes
	marks  []mark         // lane marks other than messages, in trace order
	// marksDropped counts lane marks past maxMarks.
	marksDropped int
	fail         *mark // the first failed check, kept even past maxMarks
	pending      map[uint64]message
	msgs         sampler
	density      histogram
	links        map[[2]int]*linkCount
	// unmatched counts deliveries and drops whose send was never seen (a
	// duplicate delivered after the original, or a system's marks without
	// IDs).
	unmatched int
	// dropped and flying count messages dropped, and still in flight when
	// the run ended.
	dropped, flying uint64
	tail            []sim.Record // ring of the last tailRecords records
	tailNext        int
	records         uint64
	end             time.Duration
}

// mark is a lane mark: a fact about one node (Lane >= 0) or the whole world
// (Lane -1), at one time.
type mark struct {
	At   time.Duration
	Lane int
	Peer int // the other node's lane, -1 if none
	Kind sim.MarkKind
	ID   uint64
	Text string
}

// message is one message's life: sent at Send from lane From to lane To,
// and delivered, dropped or still in flight at End.
type message struct {
	seq       uint64 // order of completion, for the sample's stride
	Send, End time.Duration
	From, To  int
	Status    msgStatus
	Text      string
}

type msgStatus int

const (
	delivered msgStatus = iota
	dropped
	inFlight // sent, and neither delivered nor dropped when the run ended
)

type linkCount struct{ sent, dropped uint64 }

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{
		laneOf:  map[string]int{},
		pending: map[uint64]message{},
		links:   map[[2]int]*linkCount{},
		msgs:    sampler{stride: 1},
		density: histogram{width: time.Millisecond},
		tail:    make([]sim.Record, 0, tailRecords),
	}
}

// Record takes one trace record, as sim.Options.Trace hands it.
func (c *Collector) Record(r sim.Record) {
	c.records++
	if r.At > c.end {
		c.end = r.At
	}
	if len(c.tail) < tailRecords {
		c.tail = append(c.tail, r)
	} else {
		c.tail[c.tailNext] = r
		c.tailNext = (c.tailNext + 1) % tailRecords
	}
	if r.Mark == nil {
		return
	}
	m := r.Mark
	switch m.Kind {
	case sim.MarkSend:
		c.send(r.At, m)
	case sim.MarkDeliver, sim.MarkDrop:
		c.arrive(r.At, m)
	default:
		k := mark{At: r.At, Lane: c.lane(m.Node), Peer: c.lane(m.Peer), Kind: m.Kind, ID: m.ID, Text: clip(m.Text)}
		if m.Kind == sim.MarkFail && c.fail == nil {
			k.Text = m.Text
			c.fail = &k
		}
		if len(c.marks) < maxMarks {
			c.marks = append(c.marks, k)
		} else {
			c.marksDropped++
		}
	}
}

// lane returns the lane of node name, adding one for a node seen first; -1
// for "" (the world).
func (c *Collector) lane(name string) int {
	if name == "" {
		return -1
	}
	if i, ok := c.laneOf[name]; ok {
		return i
	}
	c.laneOf[name] = len(c.lanes)
	c.lanes = append(c.lanes, name)
	return len(c.lanes) - 1
}

func (c *Collector) send(at time.Duration, m *sim.Mark) {
	msg := message{Send: at, From: c.lane(m.Node), To: c.lane(m.Peer), Text: clip(m.Text)}
	c.density.add(at)
	c.link(msg.From, msg.To).sent++
	if m.ID == 0 {
		// Nothing can tie it to its delivery: drawn as sent and never seen again.
		msg.End, msg.Status = at, inFlight
		c.flying++
		c.complete(msg)
		return
	}
	c.pending[m.ID] = msg
}

// arrive ends the life of a message: a deliver mark is on the receiver
// (Node) from the sender (Peer), a drop mark on the sender (Node) to the
// receiver (Peer).
func (c *Collector) arrive(at time.Duration, m *sim.Mark) {
	msg, ok := c.pending[m.ID]
	if !ok || m.ID == 0 {
		c.unmatched++
		return
	}
	delete(c.pending, m.ID)
	msg.End = at
	if m.Kind == sim.MarkDrop {
		msg.Status = dropped
		c.dropped++
		c.density.addDrop(msg.Send)
		c.link(msg.From, msg.To).dropped++
	}
	c.complete(msg)
}

func (c *Collector) complete(msg message) {
	msg.seq = c.msgs.n
	c.msgs.add(msg)
}

func (c *Collector) link(from, to int) *linkCount {
	k := [2]int{from, to}
	l := c.links[k]
	if l == nil {
		l = &linkCount{}
		c.links[k] = l
	}
	return l
}

// finish ends the run at end: messages still in flight are drawn as such,
// in the order of their IDs so that the page is the same on every replay.
func (c *Collector) finish(end time.Duration) {
	if end > c.end {
		c.end = end
	}
	ids := make([]uint64, 0, len(c.pending))
	for id := range c.pending {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		msg := c.pending[id]
		msg.End, msg.Status = c.end, inFlight
		c.flying++
		c.complete(msg)
	}
	clear(c.pending)
}

// lastRecords returns the kept tail of the trace, oldest first.
func (c *Collector) lastRecords() []sim.Record {
	if len(c.tail) < tailRecords {
		return c.tail
	}
	return append(append([]sim.Record(nil), c.tail[c.tailNext:]...), c.tail[:c.tailNext]...)
}

func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// sampler keeps a uniform sample of the messages (every stride-th, the
// stride doubling when the sample is full) and the last tailMessages in full.
type sampler struct {
	n        uint64 // messages seen
	stride   uint64
	kept     []message
	tail     []message // ring
	tailNext int
}

func (s *sampler) add(m message) {
	s.n++
	if len(s.tail) < tailMessages {
		s.tail = append(s.tail, m)
	} else {
		s.tail[s.tailNext] = m
		s.tailNext = (s.tailNext + 1) % tailMessages
	}
	if m.seq%s.stride != 0 {
		return
	}
	s.kept = append(s.kept, m)
	if len(s.kept) <= sampleMessages {
		return
	}
	s.stride *= 2
	kept := s.kept[:0]
	for _, k := range s.kept {
		if k.seq%s.stride == 0 {
			kept = append(kept, k)
		}
	}
	s.kept = kept
}

// all returns the sample and the tail, each message once, by send time.
func (s *sampler) all() []message {
	seen := make(map[uint64]bool, len(s.tail))
	out := make([]message, 0, len(s.kept)+len(s.tail))
	for _, m := range s.tail {
		seen[m.seq] = true
		out = append(out, m)
	}
	for _, m := range s.kept {
		if !seen[m.seq] {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Send != out[j].Send {
			return out[i].Send < out[j].Send
		}
		return out[i].seq < out[j].seq
	})
	return out
}

// histogram counts messages by send time in densityBuckets buckets of one
// width, which doubles (merging pairs) whenever a time falls past the last.
type histogram struct {
	width         time.Duration
	sent, dropped []uint64
}

func (h *histogram) bucket(at time.Duration) int {
	if h.sent == nil {
		h.sent = make([]uint64, densityBuckets)
		h.dropped = make([]uint64, densityBuckets)
	}
	for at >= h.width*densityBuckets {
		h.width *= 2
		for i := 0; i < densityBuckets/2; i++ {
			h.sent[i] = h.sent[2*i] + h.sent[2*i+1]
			h.dropped[i] = h.dropped[2*i] + h.dropped[2*i+1]
		}
		clear(h.sent[densityBuckets/2:])
		clear(h.dropped[densityBuckets/2:])
	}
	return int(at / h.width)
}

func (h *histogram) add(at time.Duration)     { h.sent[h.bucket(at)]++ }
func (h *histogram) addDrop(at time.Duration) { h.dropped[h.bucket(at)]++ }
