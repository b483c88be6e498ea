//lockstep:host the regression corpus: it reads entry files from disk, outside any simulation, before the runs it replays

// Package seeds is Lockstep's regression corpus: one JSON file per failing
// run that was found, minimized and fixed. `go test ./seeds/` replays every
// entry; a corrupt entry or one naming an unknown scenario fails, naming its
// file, rather than being skipped.
package seeds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

// Entry is one regression case.
type Entry struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// Faults is the fault profile name, or a JSON plan object, the run used;
	// empty means the scenario's default.
	Faults json.RawMessage `json:"faults,omitempty"`
	// Found says what failed when the case was found (the check and message).
	Found string `json:"found"`
	// Fixed says why it passes now (the commit or change that fixed it).
	Fixed string `json:"fixed"`
	// Knobs sets the scenario's workload knobs (sim.Options.Knobs) as the
	// run had them; absent, every knob has its default.
	Knobs map[string]int `json:"knobs,omitempty"`
	// Expect, if set, makes the entry an expected failure: a run of a
	// scenario with a planted bug (sim.Scenario.Planted), kept to show that
	// the bug is still caught the same way; the replay must end in Expect's
	// outcome on Expect's check. Fixed then says that the bug is planted.
	Expect *Expect `json:"expect,omitempty"`
	// File is where the entry was loaded from (not stored).
	File string `json:"-"`
}

// Expect is how an expected failure ends: its outcome ("fail", "panic",
// "budget", "deadlock", "unknown") and the check that failed.
type Expect struct {
	Outcome string `json:"outcome"`
	Check   string `json:"check"`
}

// FaultSpec returns the entry's faults as the string form sim.Options takes:
// a profile name, or the plan's JSON.
func (e Entry) FaultSpec() (string, error) {
	raw := bytes.TrimSpace(e.Faults)
	if len(raw) == 0 {
		return "", nil
	}
	if raw[0] == '"' {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return "", err
		}
		return name, nil
	}
	if raw[0] == '{' {
		return string(raw), nil
	}
	return "", fmt.Errorf("faults must be a profile name or a plan object, got %s", raw)
}

// FixedPlaceholder is what `simrun run -save` writes as an entry's "fixed":
// the entry is a failing run, not yet a regression case, until a person says
// what fixed it. Parse rejects it, so a saved entry cannot slip into the
// corpus unexplained.
const FixedPlaceholder = "not yet: saved by simrun run -save; say here what fixed it"

// required are the fields every entry must spell out. A missing seed would
// otherwise decode as seed 0 and replay a run nobody found failing.
var required = []string{"scenario", "seed", "found", "fixed"}

// Parse decodes and validates one entry; file names it in errors, and an
// error about a field names the field.
func Parse(file string, data []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		if err == io.EOF {
			return Entry{}, fmt.Errorf("%s: empty file", file)
		}
		return Entry{}, fmt.Errorf("%s: %w", file, err)
	}
	if dec.More() {
		return Entry{}, fmt.Errorf("%s: trailing data after the entry", file)
	}
	keys, dup, err := objectKeys(data)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: %w", file, err)
	}
	if dup != "" {
		return Entry{}, fmt.Errorf("%s: field %q appears twice", file, dup)
	}
	for _, k := range required {
		if !keys[k] {
			return Entry{}, fmt.Errorf("%s: field %q is missing", file, k)
		}
	}
	e.File = file
	switch {
	case e.Scenario == "":
		return Entry{}, fmt.Errorf("%s: field \"scenario\" is empty", file)
	case strings.TrimSpace(e.Found) == "":
		return Entry{}, fmt.Errorf("%s: field \"found\" is empty (say what failed when the case was found)", file)
	case strings.TrimSpace(e.Fixed) == "":
		return Entry{}, fmt.Errorf("%s: field \"fixed\" is empty (say why it passes now)", file)
	case strings.TrimSpace(e.Fixed) == FixedPlaceholder:
		return Entry{}, fmt.Errorf("%s: field \"fixed\" still holds the placeholder simrun -save wrote: say what fixed the failure", file)
	}
	if x := e.Expect; x != nil {
		switch sim.Outcome(x.Outcome) {
		case sim.Fail, sim.Panic, sim.Budget, sim.Deadlock, sim.Unknown:
		default:
			return Entry{}, fmt.Errorf("%s: field \"expect.outcome\" is %q (want fail, panic, budget, deadlock or unknown)", file, x.Outcome)
		}
		if strings.TrimSpace(x.Check) == "" {
			return Entry{}, fmt.Errorf("%s: field \"expect.check\" is empty (name the check the run fails)", file)
		}
	}
	spec, err := e.FaultSpec()
	if err != nil {
		return Entry{}, fmt.Errorf("%s: field \"faults\": %w", file, err)
	}
	if err := faults.CheckSpec(spec); err != nil {
		return Entry{}, fmt.Errorf("%s: field \"faults\": %w", file, err)
	}
	return e, nil
}

// objectKeys returns the keys of the top-level object of data (which must
// already have decoded), and the path of the first key that appears twice
// in any object ("faults.actions[2].at"), or "". encoding/json keeps the last
// of two equal keys silently, and matches keys to fields without regard to
// case, so keys are compared case-folded: {"seed": 1, "Seed": 2} is a
// duplicate too.
func objectKeys(data []byte) (top map[string]bool, dup string, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(path string, keys map[string]bool) (string, error)
	walk = func(path string, keys map[string]bool) (string, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch tok {
		case json.Delim('{'):
			if keys == nil {
				keys = map[string]bool{}
			}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return "", err
				}
				key := tok.(string)
				p := key
				if path != "" {
					p = path + "." + key
				}
				folded := strings.ToLower(key)
				if keys[folded] {
					return p, nil
				}
				keys[folded] = true
				if d, err := walk(p, nil); d != "" || err != nil {
					return d, err
				}
			}
			_, err = dec.Token() // '}'
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if d, err := walk(fmt.Sprintf("%s[%d]", path, i), nil); d != "" || err != nil {
					return d, err
				}
			}
			_, err = dec.Token() // ']'
		}
		return "", err
	}
	top = map[string]bool{}
	dup, err = walk("", top)
	return top, dup, err
}

// Load reads every *.json entry in dir, sorted by file name. Anything else
// but Go files and README.md is an error, subdirectories included: the
// corpus is flat, and a misnamed or misplaced entry must not be silently
// skipped.
func Load(dir string) ([]Entry, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, d := range names {
		name := d.Name()
		switch {
		case d.IsDir():
			return nil, fmt.Errorf("%s: a directory in the corpus (entries are not read from subdirectories: move them into %s)",
				filepath.Join(dir, name), dir)
		case strings.HasSuffix(name, ".go") || name == "README.md":
		case strings.HasSuffix(name, ".json"):
			files = append(files, name)
		default:
			return nil, fmt.Errorf("%s: not a corpus entry (entries are *.json)", filepath.Join(dir, name))
		}
	}
	sort.Strings(files)
	var out []Entry
	for _, name := range files {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		e, err := Parse(path, data)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// FileName is the conventional file name of an entry.
func FileName(scenario string, seed uint64) string {
	return strings.ReplaceAll(scenario, "/", "_") + fmt.Sprintf("_%d.json", seed)
}

// Marshal encodes an entry as its file contents.
func Marshal(e Entry) []byte {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}
