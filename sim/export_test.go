package sim

// PortableLogForTest exposes portableLog to the external tests.
var PortableLogForTest = portableLog

// CurrentTie is the tiebreak of the event running now.
func CurrentTie(w *World) uint64 { return w.tie }
