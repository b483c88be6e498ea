package faults

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/netsim"
	"github.com/lockstep-dst/lockstep/sim"
)

// The JSON form of a plan is written for people (docs/plans.md describes
// it): durations are strings ("1.5s", "200ms", "-30s"), and when the plan
// lists its nodes by name ("nodes": ["raft0", "raft1", "raft2"]) actions
// name them too. For the plans made before this form, a duration may also be
// an integer count of nanoseconds, and a node an index. Go code sees one
// shape: time.Duration fields and node indices into Plan.Names.

// duration is a time.Duration in JSON: written as its String() ("1.5s"),
// read from a string time.ParseDuration takes or from an integer of
// nanoseconds.
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("duration %q: want a number with a unit, e.g. \"1.5s\", \"200ms\", \"-30s\"", s)
		}
		*d = duration(v)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a string such as \"1.5s\" or an integer of nanoseconds", b)
	}
	*d = duration(n)
	return nil
}

// nodeRef is a node in JSON: its name (a string) or its index (an integer).
type nodeRef struct {
	index  int
	name   string
	byName bool
}

func (r nodeRef) MarshalJSON() ([]byte, error) {
	if r.byName {
		return json.Marshal(r.name)
	}
	return json.Marshal(r.index)
}

func (r *nodeRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		r.byName = true
		return json.Unmarshal(b, &r.name)
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("node %s: want a node name (a string) or an index", b)
	}
	r.index = n
	return nil
}

// nodesField is a plan's "nodes": how many target nodes (an integer), or
// their names in order (an array of strings).
type nodesField struct {
	count int
	names []string
}

func (f nodesField) MarshalJSON() ([]byte, error) {
	if f.names != nil {
		return json.Marshal(f.names)
	}
	return json.Marshal(f.count)
}

func (f *nodesField) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var names []string
		if err := json.Unmarshal(b, &names); err != nil {
			return errors.New("nodes: want the number of nodes or a list of node names (strings)")
		}
		f.names = names
		if f.names == nil {
			f.names = []string{}
		}
		f.count = len(names)
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("nodes %s: want the number of nodes or a list of node names", b)
	}
	f.count = n
	return nil
}

// conditionsJSON is netsim.Conditions with readable durations. Its fields
// mirror netsim.Conditions one for one, under the same names
// (TestConditionsJSONMirrorsNetsim holds that).
type conditionsJSON struct {
	DelayMin         duration `json:"DelayMin,omitempty"`
	DelayMax         duration `json:"DelayMax,omitempty"`
	DropRequest      float64  `json:"DropRequest,omitempty"`
	DropReply        float64  `json:"DropReply,omitempty"`
	Duplicate        float64  `json:"Duplicate,omitempty"`
	LongReordering   bool     `json:"LongReordering,omitempty"`
	LongDelayRequest float64  `json:"LongDelayRequest,omitempty"`
	LateDuplicate    float64  `json:"LateDuplicate,omitempty"`
	FailDelay        duration `json:"FailDelay,omitempty"`
}

func toConditionsJSON(c netsim.Conditions) *conditionsJSON {
	return &conditionsJSON{duration(c.DelayMin), duration(c.DelayMax), c.DropRequest, c.DropReply, c.Duplicate,
		c.LongReordering, c.LongDelayRequest, c.LateDuplicate, duration(c.FailDelay)}
}

func (c conditionsJSON) conditions() netsim.Conditions {
	return netsim.Conditions{DelayMin: time.Duration(c.DelayMin), DelayMax: time.Duration(c.DelayMax),
		DropRequest: c.DropRequest, DropReply: c.DropReply, Duplicate: c.Duplicate, LongReordering: c.LongReordering,
		LongDelayRequest: c.LongDelayRequest, LateDuplicate: c.LateDuplicate, FailDelay: time.Duration(c.FailDelay)}
}

// actionJSON is an Action as written. From and To are pointers so that a
// one-way cut from or to node 0 prints both ends.
type actionJSON struct {
	At     duration        `json:"at"`
	Kind   Kind            `json:"kind"`
	Nodes  []nodeRef       `json:"nodes,omitempty"`
	Groups [][]nodeRef     `json:"groups,omitempty"`
	From   *nodeRef        `json:"from,omitempty"`
	To     *nodeRef        `json:"to,omitempty"`
	Net    *conditionsJSON `json:"net,omitempty"`
	Offset duration        `json:"offset,omitempty"`
	Drift  float64         `json:"drift,omitempty"`
	Disk   *sim.DiskFaults `json:"disk,omitempty"`
}

// planJSON is a Plan as written.
type planJSON struct {
	Profile string       `json:"profile"`
	Nodes   nodesField   `json:"nodes"`
	Until   duration     `json:"until"`
	Actions []actionJSON `json:"actions"`
}

// MarshalJSON writes the readable form: string durations, and node names
// when the plan has them (Names).
func (p Plan) MarshalJSON() ([]byte, error) { return json.Marshal(p.toJSON()) }

// toJSON is the plan as written.
func (p Plan) toJSON() planJSON {
	named := len(p.Names) > 0 && len(p.Names) == p.Nodes
	ref := func(i int) nodeRef {
		if named && i >= 0 && i < len(p.Names) {
			return nodeRef{name: p.Names[i], byName: true}
		}
		return nodeRef{index: i}
	}
	w := planJSON{Profile: p.Profile, Nodes: nodesField{count: p.Nodes}, Until: duration(p.Until), Actions: []actionJSON{}}
	if named {
		w.Nodes.names = p.Names
	}
	for _, a := range p.Actions {
		w.Actions = append(w.Actions, a.toJSON(ref))
	}
	return w
}

func (a Action) toJSON(ref func(int) nodeRef) actionJSON {
	w := actionJSON{At: duration(a.At), Kind: a.Kind, Offset: duration(a.Offset), Drift: a.Drift, Disk: a.Disk}
	for _, n := range a.Nodes {
		w.Nodes = append(w.Nodes, ref(n))
	}
	for _, g := range a.Groups {
		var refs []nodeRef // a nil side stays null, an empty one []
		if g != nil {
			refs = []nodeRef{}
		}
		for _, n := range g {
			refs = append(refs, ref(n))
		}
		w.Groups = append(w.Groups, refs)
	}
	if a.Kind == OneWay || a.From != 0 || a.To != 0 {
		from, to := ref(a.From), ref(a.To)
		w.From, w.To = &from, &to
	}
	if a.Net != nil {
		w.Net = toConditionsJSON(*a.Net)
	}
	return w
}

// MarshalJSON writes one action alone, its nodes as indices.
func (a Action) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.toJSON(func(i int) nodeRef { return nodeRef{index: i} }))
}

// UnmarshalJSON reads one action alone; its nodes must be indices, as there
// is no plan to look names up in.
func (a *Action) UnmarshalJSON(b []byte) error {
	var w actionJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	v, err := w.action(nil)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// UnmarshalJSON reads a plan in either form without validating it; use
// ParsePlan for input a person wrote.
func (p *Plan) UnmarshalJSON(b []byte) error {
	var w planJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	v, err := w.plan()
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// plan converts the written form, resolving node names.
func (w planJSON) plan() (Plan, error) {
	p := Plan{Profile: w.Profile, Nodes: w.Nodes.count, Names: w.Nodes.names, Until: time.Duration(w.Until)}
	if err := checkNames(p.Names); err != nil {
		return Plan{}, err
	}
	for i, aw := range w.Actions {
		a, err := aw.action(p.Names)
		if err != nil {
			return Plan{}, fmt.Errorf("actions[%d] (%s): %w", i, aw.Kind, err)
		}
		p.Actions = append(p.Actions, a)
	}
	return p, nil
}

// checkNames checks a plan's node names: each a distinct non-empty string.
func checkNames(names []string) error {
	seen := map[string]int{}
	for i, n := range names {
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("nodes[%d] is an empty name", i)
		}
		if j, dup := seen[n]; dup {
			return fmt.Errorf("nodes[%d] %q is nodes[%d] again", i, n, j)
		}
		seen[n] = i
	}
	return nil
}

// action converts one written action, looking names up in names (the plan's
// node names, nil if it has none).
func (w actionJSON) action(names []string) (Action, error) {
	a := Action{At: time.Duration(w.At), Kind: w.Kind, Offset: time.Duration(w.Offset), Drift: w.Drift, Disk: w.Disk}
	resolve := func(field string, r nodeRef) (int, error) {
		if !r.byName {
			return r.index, nil
		}
		if names == nil {
			return 0, fmt.Errorf("%s names node %q, but the plan lists no node names (give \"nodes\": [\"name0\", \"name1\", ...] instead of a count)", field, r.name)
		}
		for i, n := range names {
			if n == r.name {
				return i, nil
			}
		}
		return 0, fmt.Errorf("%s: unknown node %q (the plan's nodes: %s)", field, r.name, strings.Join(names, ", "))
	}
	for j, r := range w.Nodes {
		i, err := resolve(fmt.Sprintf("nodes[%d]", j), r)
		if err != nil {
			return Action{}, err
		}
		a.Nodes = append(a.Nodes, i)
	}
	for g, group := range w.Groups {
		var side []int
		if group != nil {
			side = []int{}
		}
		for j, r := range group {
			i, err := resolve(fmt.Sprintf("groups[%d][%d]", g, j), r)
			if err != nil {
				return Action{}, err
			}
			side = append(side, i)
		}
		a.Groups = append(a.Groups, side)
	}
	var err error
	if w.From != nil {
		if a.From, err = resolve("from", *w.From); err != nil {
			return Action{}, err
		}
	}
	if w.To != nil {
		if a.To, err = resolve("to", *w.To); err != nil {
			return Action{}, err
		}
	}
	if w.Net != nil {
		c := w.Net.conditions()
		a.Net = &c
	}
	return a, nil
}

// decodePlan decodes data strictly: unknown fields are errors.
func decodePlan(data []byte) (Plan, int64, error) {
	var w planJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Plan{}, 0, err
	}
	p, err := w.plan()
	return p, dec.InputOffset(), err
}
