package faults

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A profile's parameters are given after its name on the command line:
//
//	PROFILE[:NAME=VALUE[,NAME=VALUE...]]
//
// e.g. -faults crashes:maxdown=1,every=1s..3s. Each profile declares the
// parameters it takes (Param), with a default; a name it does not declare,
// a value its Parse refuses, or a name given twice is an error naming the
// profile, the parameter and what it takes. docs/profiles.md lists the
// built-in profiles' parameters.

// Param is one parameter of a profile.
type Param struct {
	Name        string
	Description string
	// Default is the value when the parameter is not given, written as on
	// the command line. It must parse.
	Default string
	// Syntax says what values look like, for error messages and listings
	// (e.g. "majority, all or a number", "DURATION..DURATION").
	Syntax string
	// Parse checks a value and returns it in the type the generator reads
	// from Args (Args.Int for an int, and so on).
	Parse func(value string) (any, error)
}

// Args are a profile's parameter values for one plan: the defaults, with
// the values the user gave in their place.
type Args struct {
	values map[string]any
}

// Value returns the parameter's value, as its Param.Parse made it. It
// panics on a name the profile does not declare: a bug in the profile.
func (a Args) Value(name string) any {
	v, ok := a.values[name]
	if !ok {
		panic(fmt.Sprintf("faults: the profile reads parameter %q, which it does not declare", name))
	}
	return v
}

// Int returns an int parameter (IntParam).
func (a Args) Int(name string) int { return a.Value(name).(int) }

// Float returns a float parameter (FloatParam).
func (a Args) Float(name string) float64 { return a.Value(name).(float64) }

// Range returns a duration range parameter (RangeParam).
func (a Args) Range(name string) Range { return a.Value(name).(Range) }

// MaxDown returns a MaxDownParam's value.
func (a Args) MaxDown(name string) MaxDown { return a.Value(name).(MaxDown) }

// Set returns a SetParam's value: the chosen names, in the order the param
// lists its choices.
func (a Args) Set(name string) []string { return a.Value(name).([]string) }

// IntParam is an integer parameter in [lo, hi].
func IntParam(name, description string, def, lo, hi int) Param {
	return Param{Name: name, Description: description, Default: strconv.Itoa(def),
		Syntax: fmt.Sprintf("an integer in [%d, %d]", lo, hi),
		Parse: func(v string) (any, error) {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo || n > hi {
				return nil, fmt.Errorf("want an integer in [%d, %d]", lo, hi)
			}
			return n, nil
		}}
}

// FloatParam is a number in [lo, hi] (a probability, say).
func FloatParam(name, description string, def, lo, hi float64) Param {
	return Param{Name: name, Description: description, Default: strconv.FormatFloat(def, 'g', -1, 64),
		Syntax: fmt.Sprintf("a number in [%g, %g]", lo, hi),
		Parse: func(v string) (any, error) {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f >= lo && f <= hi) {
				return nil, fmt.Errorf("want a number in [%g, %g]", lo, hi)
			}
			return f, nil
		}}
}

// Range is a range of durations, [Lo, Hi].
type Range struct{ Lo, Hi time.Duration }

func (r Range) String() string { return r.Lo.String() + ".." + r.Hi.String() }

// RangeParam is a duration range written LO..HI ("200ms..2s"), or one
// duration for a range of one; LO must be at least min.
func RangeParam(name, description string, def Range, min time.Duration) Param {
	return Param{Name: name, Description: description, Default: def.String(),
		Syntax: fmt.Sprintf("DURATION..DURATION, each at least %v", min),
		Parse: func(v string) (any, error) {
			lo, hi, ok := strings.Cut(v, "..")
			if !ok {
				hi = lo
			}
			var r Range
			var err1, err2 error
			r.Lo, err1 = time.ParseDuration(lo)
			r.Hi, err2 = time.ParseDuration(hi)
			switch {
			case err1 != nil || err2 != nil:
				return nil, fmt.Errorf("want DURATION..DURATION, e.g. %s", def)
			case r.Lo < min:
				return nil, fmt.Errorf("%v is less than %v", r.Lo, min)
			case r.Hi < r.Lo:
				return nil, fmt.Errorf("%v is less than %v", r.Hi, r.Lo)
			case r.Hi > MaxTime:
				return nil, fmt.Errorf("%v is more than %v", r.Hi, MaxTime)
			}
			return r, nil
		}}
}

// MaxDown is how many target nodes may be down (crashed) at once.
type MaxDown struct {
	// Majority: keep a majority up, (n-1)/2 down at most; what a quorum
	// system needs to stay live. Otherwise N nodes at most, or all of them
	// if All.
	Majority bool
	All      bool
	N        int
}

// Of returns how many of n nodes may be down at once.
func (m MaxDown) Of(n int) int {
	switch {
	case m.Majority:
		return (n - 1) / 2
	case m.All:
		return n
	}
	return min(m.N, n)
}

func (m MaxDown) String() string {
	switch {
	case m.Majority:
		return "majority"
	case m.All:
		return "all"
	}
	return strconv.Itoa(m.N)
}

// MaxDownParam is how many nodes may be down at once: "majority" (keep a
// majority up), "all", or a number.
func MaxDownParam(name, description string, def MaxDown) Param {
	return Param{Name: name, Description: description, Default: def.String(),
		Syntax: "majority, all, or a number of nodes",
		Parse: func(v string) (any, error) {
			switch v {
			case "majority":
				return MaxDown{Majority: true}, nil
			case "all", "any":
				return MaxDown{All: true}, nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > MaxNodes {
				return nil, fmt.Errorf("want majority (keep a majority up), all, or a number of nodes")
			}
			return MaxDown{N: n}, nil
		}}
}

// SetParam is a subset of choices, written with '+' between names
// ("network+crashes"); "all" is every choice and "none" the empty set.
func SetParam(name, description, def string, choices []string) Param {
	return Param{Name: name, Description: description, Default: def,
		Syntax: "names joined by + from " + strings.Join(choices, ", ") + " (or all, none)",
		Parse: func(v string) (any, error) {
			switch v {
			case "all":
				return append([]string{}, choices...), nil
			case "none":
				return []string{}, nil
			}
			chosen := map[string]bool{}
			for _, c := range strings.Split(v, "+") {
				known := false
				for _, k := range choices {
					known = known || c == k
				}
				if !known {
					return nil, fmt.Errorf("unknown %q (known: %s; or all, none)", c, strings.Join(choices, ", "))
				}
				chosen[c] = true
			}
			out := []string{}
			for _, k := range choices {
				if chosen[k] {
					out = append(out, k)
				}
			}
			return out, nil
		}}
}

// Spec is a parsed -faults profile spec: the profile and its arguments.
type Spec struct {
	Profile *Profile
	Args    Args
	// Given holds the parameters the spec gave, name=value, sorted by name.
	Given []string
}

// String is the spec in its canonical form: the profile's name, then the
// parameters given, sorted by name ("crashes:every=1s..2s,maxdown=1").
func (s Spec) String() string {
	if len(s.Given) == 0 {
		return s.Profile.Name
	}
	return s.Profile.Name + ":" + strings.Join(s.Given, ",")
}

// ParseSpec parses PROFILE[:NAME=VALUE[,NAME=VALUE...]]. Every error matches
// sim.ErrBadInput and names what was wrong.
func ParseSpec(spec string) (Spec, error) {
	spec = strings.TrimSpace(spec)
	name, params, hasParams := strings.Cut(spec, ":")
	p, ok := Lookup(name)
	if !ok {
		return Spec{}, unknownProfile(name)
	}
	s := Spec{Profile: p, Args: Args{values: map[string]any{}}}
	given := map[string]string{}
	if hasParams {
		if strings.TrimSpace(params) == "" {
			return Spec{}, badSpec(p, "no parameters after ':' (want %s:NAME=VALUE)", p.Name)
		}
		for _, kv := range strings.Split(params, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return Spec{}, badSpec(p, "%q is not NAME=VALUE", kv)
			}
			if _, dup := given[k]; dup {
				return Spec{}, badSpec(p, "parameter %s given twice", k)
			}
			if p.param(k) == nil {
				return Spec{}, badSpec(p, "unknown parameter %q (%s)", k, p.paramNames())
			}
			given[k] = v
		}
	}
	for _, prm := range p.Params {
		v, ok := given[prm.Name]
		if !ok {
			v = prm.Default
		} else {
			s.Given = append(s.Given, prm.Name+"="+v)
		}
		val, err := prm.Parse(v)
		if err != nil {
			return Spec{}, badSpec(p, "%s=%s: %v", prm.Name, v, err)
		}
		s.Args.values[prm.Name] = val
	}
	sort.Strings(s.Given)
	return s, nil
}

func badSpec(p *Profile, format string, args ...any) error {
	return &PlanError{msg: fmt.Sprintf("fault profile %s: ", p.Name) + fmt.Sprintf(format, args...)}
}

func (p *Profile) param(name string) *Param {
	for i := range p.Params {
		if p.Params[i].Name == name {
			return &p.Params[i]
		}
	}
	return nil
}

func (p *Profile) paramNames() string {
	if len(p.Params) == 0 {
		return p.Name + " takes no parameters"
	}
	names := make([]string, len(p.Params))
	for i, prm := range p.Params {
		names[i] = prm.Name
	}
	return "known: " + strings.Join(names, ", ")
}

// Synopsis is the profile's command-line form with its parameters and their
// defaults, e.g. "crashes[:maxdown=majority,every=500ms..2s,down=200ms..2s]".
func (p *Profile) Synopsis() string {
	if len(p.Params) == 0 {
		return p.Name
	}
	kv := make([]string, len(p.Params))
	for i, prm := range p.Params {
		kv[i] = prm.Name + "=" + prm.Default
	}
	return p.Name + "[:" + strings.Join(kv, ",") + "]"
}
