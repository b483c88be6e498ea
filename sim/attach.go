package sim

import "fmt"

// Attachment is a file a run produced for a person to read beside its trace:
// a fault plan as JSON, a checker's own report (porcupine's linearization
// view as HTML). Attachments travel in Result.Attachments to whatever drew the
// run (simrun's -html page). Like notes and marks, they are not part of the
// trace hash: a run with and without them is the same run.
type Attachment struct {
	Name      string // unique within the run, e.g. "kv/linearizability"
	MediaType string // e.g. "application/json", "text/html"
	Data      []byte
}

// Attach adds an attachment to the run. Attaching a name a second time
// replaces the first, so that a check run twice reports its last verdict.
// The data is kept as given: the caller must not change it afterwards.
//
// It costs what building data costs: code that builds an expensive one (a
// rendered view of a whole history) should do so only when a person will
// read it, when Tracing reports true or the check failed.
func (w *World) Attach(name, mediaType string, data []byte) {
	if name == "" {
		panic(fmt.Sprintf("sim: Attach needs a name (media type %q)", mediaType))
	}
	for i := range w.attachments {
		if w.attachments[i].Name == name {
			w.attachments[i] = Attachment{Name: name, MediaType: mediaType, Data: data}
			return
		}
	}
	w.attachments = append(w.attachments, Attachment{Name: name, MediaType: mediaType, Data: data})
}

// Attachments returns the run's attachments in the order they were first
// attached.
func (w *World) Attachments() []Attachment { return w.attachments }

// Attachment returns the attachment named name, if the run has one.
func (r Result) Attachment(name string) (Attachment, bool) {
	for _, a := range r.Attachments {
		if a.Name == name {
			return a, true
		}
	}
	return Attachment{}, false
}
