package netsim

import "sort"

// Stats counts traffic as labrpc does: a call is counted when it is sent
// (even over a disabled link or if dropped), request bytes at send, reply
// bytes only when a reply is delivered, and each server counts the calls
// dispatched to its handlers.
type Stats struct {
	Calls      int // every call sent
	Bytes      int // request bytes at send plus reply bytes at delivery
	Delivered  int // requests that reached a handler (duplicates included)
	Replies    int // replies delivered to callers
	perServer  []int
	perMethod  map[string]int
	sentByNode []sent // by node ID
}

// sent is what one node sent: one record, so that a call counts both with
// one lookup.
type sent struct{ calls, bytes int }

// sentBy counts a call of size bytes sent by node id.
func (s *Stats) sentBy(id, size int) {
	for len(s.sentByNode) <= id {
		s.sentByNode = append(s.sentByNode, sent{})
	}
	c := &s.sentByNode[id]
	c.calls++
	c.bytes += size
}

func (s *Stats) bump(counts *[]int, id, by int) {
	for len(*counts) <= id {
		*counts = append(*counts, 0)
	}
	(*counts)[id] += by
}

// Stats returns a snapshot of the counters.
func (n *Network) Stats() Stats {
	s := n.stats
	s.perServer = append([]int(nil), s.perServer...)
	s.sentByNode = append([]sent(nil), s.sentByNode...)
	s.perMethod = make(map[string]int, len(n.methods))
	for _, m := range n.methods {
		s.perMethod[m.name] = m.calls
	}
	return s
}

// ServerCount is the number of calls dispatched to node id's handlers
// (labrpc's GetCount).
func (s Stats) ServerCount(id int) int {
	if id < len(s.perServer) {
		return s.perServer[id]
	}
	return 0
}

// SentBy is the number of calls node id sent, and their request bytes.
func (s Stats) SentBy(id int) (calls, bytes int) {
	if id < len(s.sentByNode) {
		calls, bytes = s.sentByNode[id].calls, s.sentByNode[id].bytes
	}
	return
}

// Method is the number of calls sent of one method.
func (s Stats) Method(name string) int { return s.perMethod[name] }

// Methods returns the methods seen, sorted.
func (s Stats) Methods() []string {
	out := make([]string, 0, len(s.perMethod))
	for k := range s.perMethod {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
