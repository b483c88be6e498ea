package raftsim

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/lockstep-dst/lockstep/raft/internal/paged"
)

// raft/Swarm's snapshots name the history they cover instead of holding it. The 2D
// applier's snapshot (encodeSnapshot) is the 6.824 harness's: every value applied, from
// index 1, so it grows with the run, and raft/Swarm's peers, snapshotting every 5 to 200
// entries through 20 s of three clients, encoded, wrote, copied, checksummed and sent
// snapshots of their whole history over and over: 58% of the bytes the scenario allocated
// (seeds 1-10: 12.2 MB a run, 5.1 MB with digests). A digest snapshot is the index and a
// hash of the values through it, and the harness keeps the values once, for the group:
// ingest checks the hash against the history the group applied and takes the values from
// there.
//
// What the harness checks is the same as with full snapshots. A peer's values come only
// from what it applied and from snapshots; every value applied is compared with the
// group's history (Cluster.record), and a digest's hash with the history's at its index,
// as a full snapshot's values are compared one by one, so a peer's log is always a prefix
// of the history. A snapshot of other values (of another index, or of a peer that applied
// something else) is refused at its ingest.
//
// The scenario's timing changes with the snapshots' size (a sync costs
// sim.SyncCostPerByte a byte written), so its runs are not the runs of full snapshots; what
// they reach is: over seeds 1-400 the six probes were reached in as many runs (within
// three), and the planted bugs were caught on the same seeds of 1-300.

// history is what the group applied: the first command applied at each index, which peer
// applied it, and with digest snapshots a running hash of the commands through each index.
//
// Its tables grow by pages (paged.Table), never moved: the history of raft/Swarm or the
// churn scenarios reaches thousands of commands, and slices grown by doubling allocated two
// to four times that.
type history struct {
	cmds    paged.Table[[]byte] // cmds.At(k-1): the command applied at index k
	by      paged.Table[int]    // by.At(k-1): the peer that applied it first
	digests bool
	sums    paged.Table[uint64] // with digests, sums.At(k): the hash of the first k commands; At(0) the empty history's
}

const historyOffset = 14695981039346656037 // FNV-1a's offset basis: sums[0]

func newHistory(digests bool) *history {
	h := &history{digests: digests}
	if digests {
		h.sums.Push(historyOffset)
	}
	return h
}

// len returns the number of commands the group applied.
func (h *history) len() int { return h.cmds.Len() }

// cmd returns the command applied at index k, for 1 <= k <= len().
func (h *history) cmd(k int) []byte { return *h.cmds.At(k - 1) }

// sum returns the hash of the first k commands, for 0 <= k <= len(), with digests.
func (h *history) sum(k int) uint64 { return *h.sums.At(k) }

// add records that peer applied cmd at index, at most one past the history; if the history
// holds another command at index, it returns that one and the peer that applied it.
func (h *history) add(peer, index int, cmd []byte) (other []byte, by int, conflict bool) {
	switch {
	case index <= h.len():
		if old := h.cmd(index); !bytes.Equal(old, cmd) {
			return old, *h.by.At(index - 1), true
		}
		return nil, 0, false
	case index != h.len()+1:
		// A peer applies in order, from 1 or from a snapshot, whose values are in the
		// history (ingest): apply checked the order already.
		panic(fmt.Sprintf("raft harness: index %d applied beyond the group's history of %d", index, h.len()))
	}
	h.cmds.Push(cmd)
	h.by.Push(peer)
	if h.digests {
		h.sums.Push(chainHash(h.sum(h.len()-1), cmd))
	}
	return nil, 0, false
}

// chainHash extends the hash of a history by cmd: FNV-1a over the command's length (so
// that no two splits of the same bytes into commands hash alike by construction) and
// bytes.
func chainHash(h uint64, cmd []byte) uint64 {
	const prime = 1099511628211
	for n := uint64(len(cmd)) | 1<<63; n > 0; n >>= 8 {
		h = (h ^ (n & 0xff)) * prime
	}
	for _, b := range cmd {
		h = (h ^ uint64(b)) * prime
	}
	return h
}

// digestSnapshot is the snapshot of the history through index: the index in decimal, a
// newline, and the hash of the history through it in 16 hex digits.
func (h *history) digestSnapshot(index int) []byte {
	b := make([]byte, 0, 40)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, '\n')
	const digits = "0123456789abcdef"
	sum := h.sum(index)
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[sum>>shift&15])
	}
	return b
}

// parseDigest returns the index and hash a digest snapshot holds.
func parseDigest(snap []byte) (index int, sum uint64, ok bool) {
	n := bytes.IndexByte(snap, '\n')
	if n < 0 || len(snap)-n-1 != 16 {
		return 0, 0, false
	}
	index, err := strconv.Atoi(string(snap[:n]))
	if err != nil || index < 0 {
		return 0, 0, false
	}
	sum, err = strconv.ParseUint(string(snap[n+1:]), 16, 64)
	return index, sum, err == nil
}

// ingestDigest is ingest for a digest snapshot: the snapshot must name the group's
// history through its index, and peer i's log becomes that prefix of it.
func (c *Cluster) ingestDigest(i int, snap []byte) int {
	index, sum, ok := parseDigest(snap)
	if !ok {
		c.W.Fail("apply", c.Nodes[i], fmt.Errorf("undecodable snapshot %q", short(snap)))
		return -1
	}
	if index > c.history.len() || c.history.sum(index) != sum {
		c.W.Fail("apply", c.Nodes[i], fmt.Errorf("snapshot at index %d does not hold the %d values the group applied through it (hash %016x, history's %s)",
			index, index, sum, c.historySum(index)))
		return -1
	}
	c.logLen[i] = index
	c.applied[i] = index
	return index
}

func (c *Cluster) historySum(index int) string {
	if index > c.history.len() {
		return fmt.Sprintf("through %d only", c.history.len())
	}
	return fmt.Sprintf("%016x", c.history.sum(index))
}
