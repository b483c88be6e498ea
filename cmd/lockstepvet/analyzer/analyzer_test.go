package analyzer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
	"golang.org/x/tools/go/packages"
)

// Each rule's testdata package holds its positives (marked with want
// comments) and negatives (unmarked: any report on them fails the test).
// notsim (no kernel import), flagged (no kernel import either), mainpkg
// (package main) and testonly (hazards in test files only) have no want
// comments: nothing in them may be reported. One run loads them all, which
// keeps the test fast.
func TestRules(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), Analyzer,
		"goroutines", "channels", "syncprims", "walltime", "randomness",
		"maprange", "hostcalls", "addresses", "allow", "hostfile",
		"notsim", "flagged", "mainpkg", "testonly")
}

// -pkgs names packages to check that would not be checked otherwise: one
// that does not import the kernel, and package main.
func TestPkgsFlag(t *testing.T) {
	if err := Analyzer.Flags.Set("pkgs", "example.com/none, flag...,mainpkg"); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = Analyzer.Flags.Set("pkgs", "") }()
	dir, err := filepath.Abs(analysistest.TestData())
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"GOPATH=" + dir, "GO111MODULE=off", "GOWORK=off"}
	var got []string
	for _, r := range analyze(t, dir, env, "flagged", "mainpkg") {
		rule, _, _ := strings.Cut(r.Message, ":")
		got = append(got, r.Pos()+" "+rule)
	}
	want := []string{
		"src/flagged/flagged.go:8 goroutine start",
		"src/flagged/flagged.go:9 wall time time.Now",
		"src/mainpkg/main.go:13 wall time time.Now",
		"src/mainpkg/main.go:16 wall time time.Since",
		"src/mainpkg/main.go:17 host call os.Exit",
	}
	if !slices.Equal(got, want) {
		t.Errorf("with -pkgs naming flagged and mainpkg, reports:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// report is a diagnostic with its position as file:line relative to the
// loaded directory.
type report struct {
	Pkg, File string
	Line      int
	Message   string
}

func (r report) Pos() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// analyze loads patterns in dir and runs the analyzer on them, returning
// the reports sorted by position. It is analysistest.Run without the want
// comments, and faster: dependencies come from export data, not source.
func analyze(t *testing.T, dir string, env []string, patterns ...string) []report {
	t.Helper()
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
			packages.NeedTypes | packages.NeedTypesSizes | packages.NeedSyntax | packages.NeedTypesInfo,
		Dir: dir,
		Env: append(os.Environ(), env...),
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	var out []report
	for _, pkg := range pkgs {
		for _, e := range pkg.Errors {
			t.Errorf("%s: %v", pkg.PkgPath, e)
		}
		if len(pkg.Errors) > 0 {
			continue
		}
		pass := &analysis.Pass{
			Analyzer:   Analyzer,
			Fset:       pkg.Fset,
			Files:      pkg.Syntax,
			Pkg:        pkg.Types,
			TypesInfo:  pkg.TypesInfo,
			TypesSizes: pkg.TypesSizes,
			ReadFile:   os.ReadFile,
			ResultOf:   map[*analysis.Analyzer]any{},
			Report: func(d analysis.Diagnostic) {
				pos := pkg.Fset.Position(d.Pos)
				rel, err := filepath.Rel(dir, pos.Filename)
				if err != nil {
					rel = pos.Filename
				}
				out = append(out, report{pkg.PkgPath, filepath.ToSlash(rel), pos.Line, d.Message})
			},
		}
		if _, err := Analyzer.Run(pass); err != nil {
			t.Errorf("%s: %v", pkg.PkgPath, err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

func TestMatchPattern(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"example.com/sys", "example.com/sys", true},
		{"example.com/sys", "example.com/sys/raft", false},
		{"example.com/sys/...", "example.com/sys", true},
		{"example.com/sys/...", "example.com/sys/raft", true},
		{"example.com/sys/...", "example.com/system", false},
		{"example.com/.../raft", "example.com/sys/raft", true},
		{"example.com/...", "example.org/sys", false},
		{"...", "anything/at/all", true},
		{"a.b", "axb", false},
	} {
		if got := matchPattern(c.pattern, c.path); got != c.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
	if !matchAny(" x/y , example.com/sys/...", "example.com/sys/kv") || matchAny("", "x") {
		t.Error("matchAny splits on commas and ignores blanks")
	}
}
