// Package faults makes fault plans: timed lists of fault actions that are
// data, so a plan can be printed, saved, edited, shrunk and replayed against
// the same seed. Named profiles turn a seed into a plan.
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

// Kind names a fault action.
type Kind string

const (
	Partition  Kind = "partition" // Groups: links inside a group up, across down
	OneWay     Kind = "one-way"   // From -> To cut, the other direction untouched
	Isolate    Kind = "isolate"   // Nodes[0] cut off from everyone
	IsolateLdr Kind = "isolate-leader"
	Heal       Kind = "heal" // every link up
	Crash      Kind = "crash"
	Restart    Kind = "restart"
	Pause      Kind = "pause"
	Resume     Kind = "resume"
	Network    Kind = "network" // Net replaces the loss/latency/duplication rates
	Clock      Kind = "clock"   // Nodes get Offset and Drift
	Disk       Kind = "disk"    // Nodes' storage fault model becomes Disk
)

var kinds = []Kind{Partition, OneWay, Isolate, IsolateLdr, Heal, Crash, Restart, Pause, Resume, Network, Clock, Disk}

// Kinds returns every kind of action, in the order docs/plans.md describes
// them.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// Action is one fault at one virtual time. Node numbers index the plan's
// target nodes (0..n-1), not world node IDs, so a plan fits any cluster of
// the same size; in JSON a node may also be named (see Plan.Names), and
// durations are strings such as "1.5s" (docs/plans.md has every kind).
type Action struct {
	At     time.Duration
	Kind   Kind
	Nodes  []int
	Groups [][]int
	From   int
	To     int
	Net    *netsim.Conditions
	Offset time.Duration
	Drift  float64
	Disk   *sim.DiskFaults
}

func (a Action) String() string { return fmt.Sprintf("%9v %s", a.At, a.describe(strconv.Itoa)) }

// describe prints the action without its time, naming node i as name(i).
func (a Action) describe(name func(int) string) string {
	list := func(nodes []int) string {
		out := make([]string, len(nodes))
		for i, n := range nodes {
			out[i] = name(n)
		}
		return "[" + strings.Join(out, " ") + "]"
	}
	var b strings.Builder
	b.WriteString(string(a.Kind))
	switch a.Kind {
	case Partition:
		groups := make([]string, len(a.Groups))
		for i, g := range a.Groups {
			groups[i] = list(g)
		}
		fmt.Fprintf(&b, " [%s]", strings.Join(groups, " "))
	case OneWay:
		fmt.Fprintf(&b, " %s->%s", name(a.From), name(a.To))
	case Network:
		c := a.Net
		fmt.Fprintf(&b, " delay=%v..%v drop=%g/%g dup=%g longreorder=%v longdelayreq=%g latedup=%g faildelay=%v",
			c.DelayMin, c.DelayMax, c.DropRequest, c.DropReply, c.Duplicate, c.LongReordering,
			c.LongDelayRequest, c.LateDuplicate, c.FailDelay)
	case Clock:
		fmt.Fprintf(&b, " %s offset=%v drift=%v", list(a.Nodes), a.Offset, a.Drift)
	case Disk:
		fmt.Fprintf(&b, " %s %v", list(a.Nodes), *a.Disk)
	default:
		if len(a.Nodes) > 0 {
			fmt.Fprintf(&b, " %s", list(a.Nodes))
		}
	}
	return b.String()
}

// Plan is a complete fault schedule for one run. Its JSON form (MarshalJSON,
// ParsePlan) is written for people: see docs/plans.md.
type Plan struct {
	Profile string
	Nodes   int // how many target nodes the plan is for
	// Names, if set, names the target nodes in order (len(Names) == Nodes):
	// the JSON form then names nodes rather than numbering them, and
	// Install matches them to the target's nodes by name. Plans generated
	// by profiles have none until installed (InstallPlan fills them in).
	Names   []string
	Actions []Action
	// Until is when faults stop: by then the plan has healed the network,
	// restored reliable conditions, and restarted and resumed every node, so
	// liveness checks can start.
	Until time.Duration
}

// name returns node i's name, or its index if the plan has no names.
func (p Plan) name(i int) string {
	if len(p.Names) == p.Nodes && i >= 0 && i < len(p.Names) {
		return p.Names[i]
	}
	return strconv.Itoa(i)
}

// String prints the plan one action per line.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fault plan %q for %d nodes, faults until %v:\n", p.Profile, p.Nodes, p.Until)
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "  %9v %s\n", a.At, a.describe(p.name))
	}
	return b.String()
}

// JSON encodes the plan in its readable form, one action per line:
//
//	{
//	  "profile": "hand",
//	  "nodes": ["raft0", "raft1", "raft2"],
//	  "until": "4s",
//	  "actions": [
//	    {"at": "500ms", "kind": "crash", "nodes": ["raft1"]},
//	    {"at": "4s", "kind": "heal"}
//	  ]
//	}
func (p Plan) JSON() []byte {
	w := p.toJSON()
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"profile\": %s,\n  \"nodes\": %s,\n  \"until\": %s,\n  \"actions\": [",
		spaced(w.Profile), spaced(w.Nodes), spaced(w.Until))
	for i, a := range w.Actions {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    " + spaced(a))
	}
	if len(w.Actions) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}")
	return b.Bytes()
}

// spaced is v's compact JSON with a space after each colon and comma between
// tokens, as a person writes it on one line.
func spaced(v any) string {
	compact, err := json.Marshal(v)
	if err != nil {
		panic(err) // a plan's parts have no unencodable fields
	}
	var b strings.Builder
	inString, escaped := false, false
	for _, c := range compact {
		b.WriteByte(c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ':' || c == ','):
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// Bounds on a plan's numbers (clock skew is bounded by the kernel's
// sim.MaxClockDrift and sim.MaxClockOffset, delays by netsim.MaxDelay). A
// plan is user input: every number in it is checked before it reaches the
// simulator, so that a typo is a
// one-line error naming the field, never a run that divides by zero,
// overflows virtual time or replays differently on another CPU.
const (
	// MaxNodes bounds Plan.Nodes.
	MaxNodes = 1 << 10
	// MaxTime bounds every action's At and the plan's Until: a week of
	// virtual time, far beyond any scenario, far below overflow.
	MaxTime = 7 * 24 * time.Hour
)

// PlanError is a fault plan that is not valid: the user's input, not the
// system under test, is at fault, so it matches sim.ErrBadInput and runners
// report it as a usage error. Its message is one line naming the field.
type PlanError struct{ msg string }

func (e *PlanError) Error() string { return e.msg }

// Is makes errors.Is(err, sim.ErrBadInput) hold.
func (e *PlanError) Is(target error) bool { return target == sim.ErrBadInput }

func badPlan(format string, args ...any) error {
	return &PlanError{msg: "fault plan: " + fmt.Sprintf(format, args...)}
}

// ParsePlan decodes and validates a JSON plan: exactly one JSON object with
// known fields, each at most once, and nothing after it. Empty input is an
// error, not "no plan". Every error matches sim.ErrBadInput.
func ParsePlan(data []byte) (Plan, error) {
	text := bytes.TrimSpace(data)
	if len(text) == 0 {
		return Plan{}, badPlan("empty (a plan is a JSON object; for no faults give no plan)")
	}
	if text[0] != '{' { // null would decode as the empty plan
		return Plan{}, badPlan("not a JSON object")
	}
	if err := checkDuplicateKeys(data); err != nil {
		return Plan{}, err
	}
	p, offset, err := decodePlan(data)
	if err != nil {
		return Plan{}, badPlan("%v", err)
	}
	if rest := bytes.TrimLeft(data[offset:], " \t\r\n"); len(rest) > 0 {
		return Plan{}, badPlan("data after the plan object at byte %d", len(data)-len(rest))
	}
	if err := p.Validate(); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// checkDuplicateKeys rejects an object that names a key twice (in any
// letter case: encoding/json matches field names case-insensitively, and
// would silently keep the last one).
func checkDuplicateKeys(data []byte) error {
	// errSyntax stops the walk at the first token that does not decode:
	// walking on would loop (dec.More stays true before a bad token), and
	// the decoder proper reports the error.
	errSyntax := errors.New("syntax")
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return errSyntax
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return errSyntax
				}
				key, _ := kt.(string)
				if seen[strings.ToLower(key)] {
					return badPlan("duplicate key %q in %s", key, path)
				}
				seen[strings.ToLower(key)] = true
				if err := walk(path + "." + key); err != nil {
					return err
				}
			}
			_, _ = dec.Token() // '}'
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, _ = dec.Token() // ']'
		}
		return nil
	}
	if err := walk("the plan"); err != errSyntax {
		return err
	}
	return nil
}

// Validate checks that every field of the plan is within bounds and every
// action well formed for its kind and for the plan's nodes. Errors match
// sim.ErrBadInput and name the action and the field.
func (p Plan) Validate() error {
	if p.Nodes < 0 || p.Nodes > MaxNodes {
		return badPlan("nodes %d is not in [0, %d]", p.Nodes, MaxNodes)
	}
	if p.Until < 0 || p.Until > MaxTime {
		return badPlan("until %v is not in [0, %v]", p.Until, MaxTime)
	}
	if p.Names != nil && len(p.Names) != p.Nodes {
		return badPlan("names lists %d nodes, the plan has %d", len(p.Names), p.Nodes)
	}
	if err := checkNames(p.Names); err != nil {
		return badPlan("%v", err)
	}
	var last time.Duration
	for i, a := range p.Actions {
		if err := p.validateAction(a, last); err != nil {
			return badPlan("actions[%d] (%s): %v", i, a.Kind, err)
		}
		last = a.At
	}
	return nil
}

// validateAction checks one action; last is the previous action's time.
func (p Plan) validateAction(a Action, last time.Duration) error {
	known := false
	for _, k := range kinds {
		known = known || a.Kind == k
	}
	if !known {
		return fmt.Errorf("unknown kind %q (known: %v)", a.Kind, kinds)
	}
	if a.At < 0 || a.At > p.Until {
		return fmt.Errorf("at %v is not in [0, until %v]", a.At, p.Until)
	}
	if a.At < last {
		return fmt.Errorf("at %v is before the previous action's %v", a.At, last)
	}
	node := func(field string, n int) error {
		if n < 0 || n >= p.Nodes {
			return fmt.Errorf("%s names node %d, the plan has %d nodes", field, n, p.Nodes)
		}
		return nil
	}
	// Which fields each kind uses: a field set on an action that ignores it
	// is a mistake the author would want to hear about.
	uses := map[string]bool{}
	switch a.Kind {
	case Partition:
		uses["groups"] = true
	case OneWay:
		uses["from"], uses["to"] = true, true
	case Isolate, Crash, Restart, Pause, Resume:
		uses["nodes"] = true
	case Network:
		uses["net"] = true
	case Clock:
		uses["nodes"], uses["offset"], uses["drift"] = true, true, true
	case Disk:
		uses["nodes"], uses["disk"] = true, true
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"nodes", len(a.Nodes) > 0}, {"groups", len(a.Groups) > 0}, {"from", a.From != 0}, {"to", a.To != 0},
		{"net", a.Net != nil}, {"offset", a.Offset != 0}, {"drift", a.Drift != 0}, {"disk", a.Disk != nil}} {
		if f.set && !uses[f.name] {
			return fmt.Errorf("field %s does not apply to %s", f.name, a.Kind)
		}
	}
	if uses["nodes"] && len(a.Nodes) == 0 {
		return errors.New("nodes names no nodes")
	}
	if a.Kind == Isolate && len(a.Nodes) != 1 {
		return fmt.Errorf("nodes names %d nodes, isolate takes one", len(a.Nodes))
	}
	for j, n := range a.Nodes {
		if err := node(fmt.Sprintf("nodes[%d]", j), n); err != nil {
			return err
		}
	}
	group := map[int]int{}
	for g, members := range a.Groups {
		for j, n := range members {
			if err := node(fmt.Sprintf("groups[%d][%d]", g, j), n); err != nil {
				return err
			}
			if prev, ok := group[n]; ok && prev != g {
				return fmt.Errorf("groups[%d][%d]: node %d is already in groups[%d]", g, j, n, prev)
			}
			group[n] = g
		}
	}
	switch a.Kind {
	case OneWay:
		if err := node("from", a.From); err != nil {
			return err
		}
		if err := node("to", a.To); err != nil {
			return err
		}
	case Network:
		if a.Net == nil {
			return errors.New("net is missing")
		}
		if err := a.Net.Validate(); err != nil {
			return fmt.Errorf("net.%v", err)
		}
	case Clock:
		// The kernel's bounds (sim.MaxClockDrift, sim.MaxClockOffset): a
		// plan it would refuse must fail here, as the user's error, not as
		// a panic in the run.
		if err := sim.CheckClockSkew(a.Offset, a.Drift); err != nil {
			return err
		}
	case Disk:
		if a.Disk == nil {
			return errors.New("disk is missing")
		}
		if err := a.Disk.Validate(); err != nil {
			return err
		}
	}
	return nil
}
