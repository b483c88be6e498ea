package lincheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/sim"
	"github.com/lockstep-dst/lockstep/sim/page"
)

// Visualize attaches to w what a person reads of a decided check of ops:
// porcupine's visualization (the client history key by key, with the
// linearizations the search found and, for a key that is not linearizable,
// the operation at which every one of them got stuck), as HTML under name;
// and the history itself in virtual time (page.History, under name +
// ".history.json"), which simrun's -html page draws as a lane per client under
// the nodes, the operations on keys found wrong in red. The ops must be
// stamped by a Stamper (their times are virtual times shifted by StampBits)
// and keyOf must be the one the check partitioned them by.
//
// It renders only when a person will read it, because a long history's view
// costs time and megabytes: when the history is not linearizable, or when w
// is tracing (a replay with -html or -v). w nil attaches nothing, and so does
// an undecided check, whose Result is empty. The model must be the one the
// check was given: the view steps it along the linearizations found, a
// bounded number of steps.
func Visualize(w *sim.World, name string, model porcupine.Model, ops []porcupine.Operation, keyOf func(any) string, res Result) {
	if w == nil || (res.Ok && !w.Tracing()) {
		return
	}
	info := res.info()
	if len(info.PartialLinearizations()) == 0 {
		return
	}
	var b bytes.Buffer
	if err := porcupine.Visualize(model, info, &b); err != nil {
		// The view is for a person; the verdict stands without it.
		w.Attach(name, "text/plain", []byte("porcupine could not render the history: "+err.Error()))
	} else {
		w.Attach(name, "text/html", b.Bytes())
	}
	h, err := json.Marshal(history(model, ops, keyOf, res.Illegal))
	if err != nil {
		panic(err) // a page.History has no unencodable fields
	}
	w.Attach(name+".history.json", page.HistoryMediaType, h)
}

// history is ops in virtual time, described by the model, those on the
// illegal keys marked bad.
func history(model porcupine.Model, ops []porcupine.Operation, keyOf func(any) string, illegal []string) page.History {
	bad := map[string]bool{}
	for _, k := range illegal {
		bad[k] = true
	}
	describe := model.DescribeOperation
	if describe == nil {
		describe = func(in, out any) string { return fmt.Sprintf("%v -> %v", in, out) }
	}
	h := page.History{Ops: make([]page.Op, 0, len(ops))}
	for _, op := range ops {
		key := keyOf(op.Input)
		h.Ops = append(h.Ops, page.Op{
			Client: op.ClientId,
			Call:   time.Duration(op.Call >> StampBits),
			Return: time.Duration(op.Return >> StampBits),
			Key:    key,
			Text:   describe(op.Input, op.Output),
			Bad:    bad[key],
		})
	}
	return h
}
