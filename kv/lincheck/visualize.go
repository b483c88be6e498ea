package lincheck

import (
	"bytes"

	"github.com/anishathalye/porcupine"

	"github.com/lockstep-dst/lockstep/sim"
)

// Visualize attaches porcupine's visualization of a decided check (the client
// history, key by key, with the linearizations the search found and, for a
// key that is not linearizable, the point where every one of them got stuck)
// to w under name, as an HTML document: simrun's -html page embeds it.
//
// It renders only when a person will read it, because a long history's view
// costs time and megabytes: when the history is not linearizable, or when w
// is tracing (a replay with -html or -v). w nil attaches nothing, and so does
// an undecided check, whose Result is empty. The model must be the one the
// check was given: the view steps it along the linearizations found, a
// bounded number of steps.
func Visualize(w *sim.World, name string, model porcupine.Model, res Result) {
	if w == nil || (res.Ok && !w.Tracing()) || len(res.Info.PartialLinearizations()) == 0 {
		return
	}
	var b bytes.Buffer
	if err := porcupine.Visualize(model, res.Info, &b); err != nil {
		// The view is for a person; the verdict stands without it.
		w.Attach(name, "text/plain", []byte("porcupine could not render the history: "+err.Error()))
		return
	}
	w.Attach(name, "text/html", b.Bytes())
}
