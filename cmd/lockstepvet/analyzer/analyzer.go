// Package analyzer is lockstepvet's analysis: it reports the sources of
// nondeterminism that a seed cannot fix in code that runs on the Lockstep
// kernel.
package analyzer

import (
	"go/ast"
	"go/token"
	"os"
	"regexp"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// KernelPath is the import path of the kernel: a package that imports it
// directly is simulated code and is checked.
const KernelPath = "github.com/lockstep-dst/lockstep/sim"

// netsimPath is the simulated network, whose methods, like the kernel's,
// act on the run in the order they are called.
const netsimPath = "github.com/lockstep-dst/lockstep/netsim"

const doc = `report nondeterminism in simulated code

lockstepvet checks the packages that import the Lockstep kernel
(github.com/lockstep-dst/lockstep/sim) directly, and any package named by
-pkgs. Test files are exempt, and so is package main unless -pkgs names it.
It reports what the run's seed cannot fix: goroutine starts; channel
operations and select; sync and sync/atomic primitives; wall time (time.Now,
Sleep, After, AfterFunc, Tick, NewTimer, NewTicker, Since, Until); math/rand's
global source and crypto/rand; ranges over maps whose body appends to an
unsorted slice, sends, schedules, writes output or exits early; calls into
os and net; and address-based ordering (%p, unsafe.Pointer to uintptr,
reflect.Value.Pointer, MapKeys).

A line that is deterministic after all carries
	//lockstep:allow <why>
at its end, or alone on the line above it. A file of a checked package that
runs outside the simulation (a real clock, a runner's command line) carries
	//lockstep:host <why>
before its package clause, and is not checked. A marker without a reason is
itself reported.`

// Analyzer reports nondeterminism in simulated code.
var Analyzer = &analysis.Analyzer{
	Name: "lockstepvet",
	Doc:  doc,
	Run:  run,
}

// pkgsFlag holds the -pkgs patterns.
var pkgsFlag string

func init() {
	Analyzer.Flags.StringVar(&pkgsFlag, "pkgs", "",
		"comma-separated import-path patterns (... matches any string) of packages to check besides those that import "+KernelPath+
			"; a named package is checked even if it is package main or does not import the kernel")
}

// selected reports whether pass's package is simulated code.
func selected(pass *analysis.Pass) bool {
	path := pass.Pkg.Path()
	// Test variants may carry a " [p.test]" suffix in some drivers.
	if i := strings.IndexByte(path, ' '); i >= 0 {
		path = path[:i]
	}
	// The generated main package of a test binary is no one's code.
	if strings.HasSuffix(path, ".test") {
		return false
	}
	if matchAny(pkgsFlag, path) {
		return true
	}
	if pass.Pkg.Name() == "main" {
		return false
	}
	for _, f := range pass.Files {
		if isTestFile(pass, f) {
			continue
		}
		for _, imp := range f.Imports {
			if strings.Trim(imp.Path.Value, "`\"") == KernelPath {
				return true
			}
		}
	}
	return false
}

// matchAny reports whether path matches one of the comma-separated
// patterns.
func matchAny(patterns, path string) bool {
	for _, p := range strings.Split(patterns, ",") {
		if p = strings.TrimSpace(p); p != "" && matchPattern(p, path) {
			return true
		}
	}
	return false
}

// matchPattern matches an import path against a go-command-style pattern:
// "..." matches any string, and a trailing "/..." also matches the path
// without it ("net/..." matches "net").
func matchPattern(pattern, path string) bool {
	re := regexp.QuoteMeta(pattern)
	re = strings.ReplaceAll(re, `\.\.\.`, `.*`)
	if strings.HasSuffix(re, `/.*`) {
		re = strings.TrimSuffix(re, `/.*`) + `(/.*)?`
	}
	ok, err := regexp.MatchString("^"+re+"$", path)
	return err == nil && ok
}

func isTestFile(pass *analysis.Pass, f *ast.File) bool {
	return strings.HasSuffix(pass.Fset.File(f.Pos()).Name(), "_test.go")
}

func run(pass *analysis.Pass) (any, error) {
	if !selected(pass) {
		return nil, nil
	}
	for _, f := range pass.Files {
		if isTestFile(pass, f) {
			continue
		}
		if hostFile(pass, f) {
			continue
		}
		c := &checker{pass: pass, file: f, allowed: allowedLines(pass, f), skip: map[ast.Node]bool{}}
		c.walk()
	}
	return nil, nil
}

// allowMarker is the escape hatch's comment prefix.
const allowMarker = "//lockstep:allow"

// hostMarker, before a file's package clause, says the whole file runs
// outside the simulation: a package can hold both, as the kernel's runner
// or clock package do.
const hostMarker = "//lockstep:host"

// hostFile reports whether f declares itself host code with a reasoned
// hostMarker before its package clause. A marker without a reason, or one
// after the package clause, exempts nothing and is reported.
func hostFile(pass *analysis.Pass, f *ast.File) bool {
	host := false
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			rest, ok := strings.CutPrefix(c.Text, hostMarker)
			if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
				continue
			}
			switch {
			case strings.TrimSpace(rest) == "":
				pass.Reportf(c.Pos(), "lockstep:host needs a reason: write %s <why this file runs outside the simulation>", hostMarker)
			case c.Pos() > f.Package:
				pass.Reportf(c.Pos(), "lockstep:host must come before the package clause: it marks a whole file")
			default:
				host = true
			}
		}
	}
	return host
}

// allowedLines returns the lines whose reports a //lockstep:allow marker
// with a reason suppresses: the marker's own line, and the next line when
// the marker stands alone on its line. It reports markers without a reason.
func allowedLines(pass *analysis.Pass, f *ast.File) map[int]bool {
	allowed := map[int]bool{}
	tf := pass.Fset.File(f.Pos())
	var src []byte
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			rest, ok := strings.CutPrefix(c.Text, allowMarker)
			if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
				continue
			}
			if strings.TrimSpace(rest) == "" {
				pass.Reportf(c.Pos(), "lockstep:allow needs a reason: write %s <why this line is deterministic>", allowMarker)
				continue
			}
			line := tf.Line(c.Pos())
			allowed[line] = true
			if src == nil {
				src = readFile(pass, tf.Name())
			}
			if standalone(tf, src, c.Pos()) {
				allowed[line+1] = true
			}
		}
	}
	return allowed
}

func readFile(pass *analysis.Pass, name string) []byte {
	if pass.ReadFile != nil {
		if b, err := pass.ReadFile(name); err == nil {
			return b
		}
	}
	b, _ := os.ReadFile(name)
	return b
}

// standalone reports whether only blanks precede pos on its line.
func standalone(tf *token.File, src []byte, pos token.Pos) bool {
	start := tf.Offset(tf.LineStart(tf.Line(pos)))
	end := tf.Offset(pos)
	if src == nil || end > len(src) {
		return false
	}
	return strings.TrimSpace(string(src[start:end])) == ""
}

// checker walks one file of a selected package.
type checker struct {
	pass    *analysis.Pass
	file    *ast.File
	allowed map[int]bool
	// skip holds channel operations already covered by their select.
	skip map[ast.Node]bool
}

// report reports at pos unless a marker allows its line.
func (c *checker) report(pos token.Pos, format string, args ...any) {
	if c.allowed[c.pass.Fset.File(pos).Line(pos)] {
		return
	}
	c.pass.Reportf(pos, format, args...)
}
