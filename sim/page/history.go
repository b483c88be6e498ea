//lockstep:host the page is drawn from a run's trace by the runner, outside the simulation

package page

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// HistoryMediaType is the media type of an attachment holding a client
// history (JSON of History). The page draws it as one lane per client under
// the nodes, at the same virtual times; kv/lincheck.Visualize attaches one
// beside porcupine's view.
const HistoryMediaType = "application/vnd.lockstep.history+json"

// History is the operations a run's clients completed, as a checker saw them.
type History struct {
	Ops []Op `json:"ops"`
}

// Op is one completed client operation.
type Op struct {
	Client int           `json:"client"`
	Call   time.Duration `json:"call"`   // virtual time of the call
	Return time.Duration `json:"return"` // virtual time of the return
	Key    string        `json:"key,omitempty"`
	Text   string        `json:"text"` // e.g. `get("1") -> "x 1 2 y"`
	// Bad marks an operation on a key whose history the check found wrong
	// (not linearizable).
	Bad bool `json:"bad,omitempty"`
}

// maxOps bounds the client operations one page draws: every operation on a
// bad key, then an even sample of the others.
const maxOps = 20000

// clients is what the page's script draws of one client history.
type clients struct {
	Name  string     `json:"name"`  // the attachment's
	Lanes []int      `json:"lanes"` // client numbers, one lane each
	Ops   [][5]int64 `json:"ops"`   // call, return, lane index, index in Texts, bad (0/1)
	Texts []string   `json:"texts"`
	Total int        `json:"total"` // operations in the history (Ops may hold fewer)
	Bad   int        `json:"bad"`   // of which on bad keys
}

// parseHistory reads a history attachment and keeps what the page draws.
func parseHistory(name string, data []byte) (clients, error) {
	var h History
	if err := json.Unmarshal(data, &h); err != nil {
		return clients{}, fmt.Errorf("client history %s: %v", name, err)
	}
	out := clients{Name: name, Lanes: []int{}, Ops: [][5]int64{}, Texts: []string{}, Total: len(h.Ops)}
	var keep, rest []Op
	for _, op := range h.Ops {
		if op.Bad {
			out.Bad++
			keep = append(keep, op)
		} else {
			rest = append(rest, op)
		}
	}
	if room := maxOps - len(keep); room < len(rest) {
		// An even sample: every stride-th, by completion order.
		stride := (len(rest) + max(room, 1) - 1) / max(room, 1)
		for i := 0; i < len(rest) && room > 0; i += stride {
			keep = append(keep, rest[i])
		}
	} else {
		keep = append(keep, rest...)
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].Call < keep[j].Call })
	lane := map[int]int{}
	for _, op := range h.Ops {
		if _, ok := lane[op.Client]; !ok {
			lane[op.Client] = 0
			out.Lanes = append(out.Lanes, op.Client)
		}
	}
	sort.Ints(out.Lanes)
	for i, c := range out.Lanes {
		lane[c] = i
	}
	texts := map[string]int{}
	for _, op := range keep {
		text := clip(op.Text)
		if op.Key != "" {
			text = clip(fmt.Sprintf("%s (key %q)", op.Text, op.Key))
		}
		ti, ok := texts[text]
		if !ok {
			ti = len(out.Texts)
			texts[text] = ti
			out.Texts = append(out.Texts, text)
		}
		bad := int64(0)
		if op.Bad {
			bad = 1
		}
		out.Ops = append(out.Ops, [5]int64{int64(op.Call), int64(op.Return), int64(lane[op.Client]), int64(ti), bad})
	}
	return out, nil
}
