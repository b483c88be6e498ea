package sim

import (
	"fmt"
	"sort"
)

// Probe is a named condition a sweep wants to see reached ("sometimes"): a
// passing sweep proves little unless its runs got to the states where bugs
// live. Systems declare their probes once, at package initialisation, and
// count them with World.Sometimes; simrun reports how often each was reached
// and can fail a sweep that never reached a required one.
type Probe struct {
	id          int
	Name        string // "system/what-was-reached"
	Description string // one line
}

var (
	probeList   []*Probe
	probeByName = map[string]*Probe{}
)

// NewProbe declares a probe. Call it from a package-level variable
// declaration; it panics on a duplicate or malformed name, so that the
// mistake is found by every test.
func NewProbe(name, description string) *Probe {
	if name == "" || description == "" {
		panic(fmt.Sprintf("sim: probe %q needs a name and a description", name))
	}
	if _, dup := probeByName[name]; dup {
		panic(fmt.Sprintf("sim: probe %q declared twice", name))
	}
	p := &Probe{id: len(probeList), Name: name, Description: description}
	probeList = append(probeList, p)
	probeByName[name] = p
	return p
}

// Probes returns every declared probe, sorted by name.
func Probes() []*Probe {
	out := append([]*Probe(nil), probeList...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupProbe returns the probe named name.
func LookupProbe(name string) (*Probe, bool) {
	p, ok := probeByName[name]
	return p, ok
}

// Sometimes counts one reaching of probe p if cond holds. It never changes
// the run: counts are not part of the trace hash.
func (w *World) Sometimes(p *Probe, cond bool) {
	if !cond {
		return
	}
	if p.id >= len(w.probeHits) {
		w.probeHits = append(w.probeHits, make([]uint64, len(probeList)-len(w.probeHits))...)
	}
	w.probeHits[p.id]++
}

// ProbeHits returns how often each probe was reached in this run, by name,
// for the probes reached at least once.
func (w *World) ProbeHits() map[string]uint64 {
	out := map[string]uint64{}
	for id, n := range w.probeHits {
		if n > 0 {
			out[probeList[id].Name] = n
		}
	}
	return out
}
