//lockstep:host the runner: it reads a corpus entry from disk before any run

package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/seeds"
	"github.com/lockstep-dst/lockstep/sim"
)

// isEntry reports whether text, the contents of a -faults @file, is a
// corpus entry (seeds.Entry, as shrink -save, run -save and faults/faultgen
// write) rather than a bare plan: an object with a "scenario" key, which no
// plan has.
func isEntry(text []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(text, &top) != nil {
		return false // not an object: the plan parser says what is wrong
	}
	_, ok := top["scenario"]
	return ok
}

// faultsOfEntry reads the corpus entry in text (from file, for errors) as
// -faults takes it: the entry's faults (a profile name, a JSON plan, or ""
// for the scenario's own), and the entry itself, whose scenario, seed and
// knobs a replay or a shrink checks against its flags (matchEntry). Unlike
// seeds.Parse, it takes an entry whose "fixed" still holds the placeholder:
// replaying a failing run that is not fixed yet is what the entry is for.
func faultsOfEntry(file string, text []byte) (string, *seeds.Entry, error) {
	var e seeds.Entry
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return "", nil, usagef("-faults @%s: a corpus entry that does not decode: %v", file, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(text, &top); err != nil {
		return "", nil, usagef("-faults @%s: %v", file, err)
	}
	if _, ok := top["seed"]; !ok {
		// Absent, it would decode as seed 0 and match a -seed 0 nobody meant.
		return "", nil, usagef("-faults @%s: the corpus entry has no \"seed\"", file)
	}
	if strings.TrimSpace(e.Scenario) == "" {
		return "", nil, usagef("-faults @%s: the corpus entry's \"scenario\" is empty", file)
	}
	spec, err := e.FaultSpec()
	if err == nil {
		err = faults.CheckSpec(spec)
	}
	if err != nil {
		return "", nil, usagef("-faults @%s: the corpus entry's \"faults\": %v", file, err)
	}
	e.File = file
	return spec, &e, nil
}

// entryOfFaults returns the corpus entry a -faults argument names (arg is
// "@file" holding one), or nil for a profile, a plan file or "". The file
// was already read and checked by parseFaults.
func entryOfFaults(arg string) (*seeds.Entry, error) {
	file, ok := strings.CutPrefix(arg, "@")
	if !ok {
		return nil, nil
	}
	data, err := os.ReadFile(file)
	if err != nil || !isEntry(data) {
		return nil, err
	}
	_, e, err := faultsOfEntry(file, data)
	return e, err
}

// matchEntry checks a replay's or a shrink's -scenario and -seed against
// the corpus entry given as -faults @entry.json: the entry's faults are
// those of its own run, and under another scenario or seed they make
// another run, which is never what a user replaying an entry means. It
// returns the knobs the run takes: -knobs (knobsArg) if given, which must
// then agree with the entry's, else the entry's.
func matchEntry(e *seeds.Entry, sc *sim.Scenario, seed uint64, knobsArg string) (map[string]int, error) {
	if e.Scenario != sc.Name || e.Seed != seed {
		return nil, usagef("-faults @%s is the corpus entry of %s seed %d, but -scenario %s -seed %d was given: "+
			"its faults reproduce only its own run (give -scenario %s -seed %d, or leave both out to take the entry's)",
			e.File, e.Scenario, e.Seed, sc.Name, seed, shellQuote(e.Scenario), e.Seed)
	}
	fromEntry, err := parseKnobs(knobsFlag(e.Knobs), sc)
	if err != nil {
		return nil, usagef("-faults @%s: the corpus entry's knobs: %v", e.File, err)
	}
	if strings.TrimSpace(knobsArg) == "" {
		return fromEntry, nil
	}
	given, err := parseKnobs(knobsArg, sc)
	if err != nil {
		return nil, err
	}
	if knobsText(sc, given, true) != knobsText(sc, fromEntry, true) {
		return nil, usagef("-knobs %s disagrees with the knobs of the corpus entry %s (%s): leave -knobs out to take the entry's",
			knobsArg, e.File, knobsText(sc, fromEntry, true))
	}
	return given, nil
}

// knobsFlag prints knobs as -knobs takes them, sorted by name.
func knobsFlag(knobs map[string]int) string {
	names := make([]string, 0, len(knobs))
	for name := range knobs {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		names[i] = fmt.Sprintf("%s=%d", name, knobs[name])
	}
	return strings.Join(names, ",")
}

// fromEntry fills a replay's or a shrink's -scenario and -seed, where not
// given, from the corpus entry given as -faults: `replay -faults
// @entry.json` replays the entry's run.
func fromEntry(e *seeds.Entry, name, seedArg *string) {
	if *name == "" {
		*name = e.Scenario
	}
	if *seedArg == "" {
		*seedArg = fmt.Sprint(e.Seed)
	}
}

// entryNote is the line a replay or a shrink prints when its faults come
// from a corpus entry.
func entryNote(e *seeds.Entry) string {
	knobs := ""
	if len(e.Knobs) > 0 {
		knobs = " and knobs (" + knobsFlag(e.Knobs) + ")"
	}
	return fmt.Sprintf("faults%s of the corpus entry %s, for its scenario %s and seed %d", knobs, e.File, e.Scenario, e.Seed)
}
