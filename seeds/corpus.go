// Package seeds is Lockstep's regression corpus: one JSON file per failing
// run that was found, minimized and fixed. `go test ./seeds/` replays every
// entry; a corrupt entry or one naming an unknown scenario fails, naming its
// file, rather than being skipped.
package seeds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
	// File is where the entry was loaded from (not stored).
	File string `json:"-"`
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

// Parse decodes and validates one entry; file names it in errors.
func Parse(file string, data []byte) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("%s: %w", file, err)
	}
	if dec.More() {
		return Entry{}, fmt.Errorf("%s: trailing data after the entry", file)
	}
	e.File = file
	switch {
	case e.Scenario == "":
		return Entry{}, fmt.Errorf("%s: no scenario", file)
	case e.Found == "":
		return Entry{}, fmt.Errorf("%s: no \"found\" (what failed when the case was found)", file)
	case e.Fixed == "":
		return Entry{}, fmt.Errorf("%s: no \"fixed\" (why it passes now)", file)
	}
	if _, err := e.FaultSpec(); err != nil {
		return Entry{}, fmt.Errorf("%s: %w", file, err)
	}
	return e, nil
}

// Load reads every *.json entry in dir, sorted by file name. Files with
// other extensions, other than README.md, are an error: a misnamed entry
// must not be silently skipped.
func Load(dir string) ([]Entry, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, d := range names {
		name := d.Name()
		switch {
		case d.IsDir() || strings.HasSuffix(name, ".go") || name == "README.md":
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
