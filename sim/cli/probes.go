package cli

import (
	"path"
	"sort"
	"strings"

	"github.com/lockstep-dst/lockstep/sim"
)

// systemOf is the system a scenario or probe name belongs to: the part before
// the first '/' ("raft" for "raft/Swarm" and for "raft/vote-split").
func systemOf(name string) string {
	s, _, _ := strings.Cut(name, "/")
	return s
}

// probeTally is a probe's count over a sweep's runs.
type probeTally struct {
	runs uint64 // runs that reached it at least once
	hits uint64 // times it was reached, summed over the runs
}

func (t *probeTally) add(hits uint64) {
	if hits > 0 {
		t.runs++
		t.hits += hits
	}
}

// probeLine is one probe as a scenario's summary shows it.
type probeLine struct {
	Name string `json:"name"`
	Runs uint64 `json:"runs"`
	Hits uint64 `json:"hits"`
}

// shownProbes is what a scenario's summary lists: every probe its runs
// reached, and every declared probe of its own system, reached or not, so a
// probe never reached stands out. A kv scenario runs Raft, so the raft
// probes its runs reach are listed for it too, but the raft probes it never
// reached are not: they are raft scenarios' business. Sorted by name.
func shownProbes(scenario string, reached map[string]*probeTally) []probeLine {
	var out []probeLine
	for _, p := range sim.Probes() {
		t := reached[p.Name]
		switch {
		case t != nil && t.runs > 0:
			out = append(out, probeLine{p.Name, t.runs, t.hits})
		case systemOf(p.Name) == systemOf(scenario):
			out = append(out, probeLine{Name: p.Name})
		}
	}
	return out
}

// shownProbes is what the summary of scenario name lists: as the
// function shownProbes, or, when the probes to list were given (merge), the
// reached ones and those.
func (s *scenarioStats) shownProbes(name string) []probeLine {
	if s.listed == nil {
		return shownProbes(name, s.probes)
	}
	var out []probeLine
	for p := range s.listed {
		if t := s.probes[p]; t == nil || t.runs == 0 {
			out = append(out, probeLine{Name: p})
		}
	}
	for p, t := range s.probes {
		if t.runs > 0 {
			out = append(out, probeLine{p, t.runs, t.hits})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// isGlob reports whether a -require-probes item is a pattern.
func isGlob(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// parseRequiredProbes expands -require-probes (comma-separated names or
// globs; '*' alone is every probe) into declared probe names, sorted and
// without duplicates. An unknown name, or a glob that matches no declared
// probe, is a usage error: a typo must not make the requirement vacuous.
func parseRequiredProbes(list, program string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, usagef("-require-probes %q: empty item", list)
		}
		var matched []string
		if isGlob(item) {
			if _, err := path.Match(item, ""); err != nil {
				return nil, usagef("-require-probes: bad pattern %q", item)
			}
			for _, p := range sim.Probes() {
				if ok, _ := path.Match(item, p.Name); ok || item == "*" {
					matched = append(matched, p.Name)
				}
			}
			if len(matched) == 0 {
				return nil, usagef("-require-probes: %q matches no declared probe (see '%s list -probes')", item, program)
			}
		} else {
			if _, ok := sim.LookupProbe(item); !ok {
				return nil, usagef("-require-probes: unknown probe %q (see '%s list -probes')", item, program)
			}
			matched = []string{item}
		}
		for _, name := range matched {
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
