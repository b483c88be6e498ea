package lease

import (
	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// dataFile holds the storage service's durable state: the (token, seq) of
// the newest write it applied, its writer, and its value.
const dataFile = "data"

// store is the storage service the lock protects: one value, written only
// under a lease, behind a fence. It applies a write only if its (token,
// seq) is after the last one it applied, so a write from a client whose
// lease ran out (paused, or delayed in the network) is refused once a newer
// holder wrote: the storage's own check, which does not trust any clock.
type store struct {
	node *sim.Node
	cfg  Config
	obs  Observer
	// last is the newest write applied; the fence is checked against it,
	// including writes not yet durable, so the order applied is the order
	// decided.
	last    writeID
	writer  uint64
	value   uint64
	queue   []pendingWrite // writes waiting for the one being made durable
	syncing bool
	halted  bool
}

type pendingWrite struct {
	client  int
	args    writeArgs
	respond func(netsim.Message)
}

func bootStore(node *sim.Node, ep *netsim.Endpoint, cfg Config, obs Observer) *store {
	s := &store{node: node, cfg: cfg.withDefaults(), obs: obs}
	ep.Handle("Store.Write", s.write)
	fields, err := load(node.Disk, dataFile, 4)
	if err != nil {
		// Coming back with an older fence would let a stale writer in.
		node.World().Logf(node, "storage: refusing to serve: %v", err)
		node.World().Sometimes(probeHalted, true)
		s.halted = true
		return s
	}
	if fields != nil {
		s.last = writeID{fields[0], fields[1]}
		s.writer, s.value = fields[2], fields[3]
	}
	return s
}

// write queues the request; writes are decided and made durable one at a
// time, in arrival order.
func (s *store) write(req *netsim.Request, respond func(netsim.Message)) {
	if s.halted {
		respond(&writeReply{})
		return
	}
	s.queue = append(s.queue, pendingWrite{req.From, *req.Args.(*writeArgs), respond})
	s.next()
}

func (s *store) next() {
	for !s.syncing && len(s.queue) > 0 {
		pw := s.queue[0]
		s.queue = s.queue[1:]
		id := writeID{pw.args.Token, pw.args.Seq}
		switch {
		case id == s.last && s.writer == uint64(pw.client) && s.value == pw.args.Value:
			// A retransmission of the write applied last: it is stored
			// (durably: the next write waits for this one's sync).
			pw.respond(&writeReply{OK: true})
			continue
		case !s.last.less(id) && !s.cfg.AcceptStaleTokens:
			s.node.World().Sometimes(probeStaleRejected, id.token < s.last.token)
			pw.respond(&writeReply{Stale: true})
			continue
		}
		s.last, s.writer, s.value = id, uint64(pw.client), pw.args.Value
		s.syncing = true
		persist(s.node.Disk, dataFile, func() {
			s.syncing = false
			if s.obs != nil {
				s.obs.Applied(s.node, pw.client, id.token, id.seq)
			}
			pw.respond(&writeReply{OK: true})
			s.next()
		}, id.token, id.seq, s.writer, s.value)
	}
}
