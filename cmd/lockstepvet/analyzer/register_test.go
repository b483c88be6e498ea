package analyzer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// plant is one hazard planted into examples/register.
type plant struct {
	file    string   // the register file planted into
	before  string   // the line the plant goes above, unique in file
	lines   []string // the planted lines, which go in a block of their own
	hazard  string   // the planted line that must be reported ("" for none)
	rule    string   // the report's message must start with it
	imports []string // import specs the plant needs
}

// The plants go into replicate, after args is known, into put just before
// it replicates, or into the client's workload loop.
const (
	inReplicate = "\tif args.Version >= r.version {"
	inPut       = "\tfor _, b := range r.backups {"
	inWorkload  = "\t\tif r.Chance(0.5) {"
)

var plants = []plant{
	{file: "register.go", before: inReplicate,
		lines:  []string{"\tgo r.node.World().Digest(uint64(args.Version))"},
		hazard: "\tgo r.node.World().Digest(uint64(args.Version))", rule: "goroutine start:"},
	{file: "register.go", before: inReplicate,
		lines:  []string{"\tacks := make(chan int, 1)", "\tacks <- args.Version"},
		hazard: "\tacks <- args.Version", rule: "channel send:"},
	{file: "register.go", before: inReplicate,
		lines:  []string{"\tvar acks chan int", "\tselect {", "\tcase v := <-acks:", "\t\targs.Version = v", "\tdefault:", "\t}"},
		hazard: "\tselect {", rule: "select:"},
	{file: "register.go", before: inReplicate, imports: []string{`"sync"`},
		lines:  []string{"\tvar mu sync.Mutex", "\tmu.Lock()", "\tdefer mu.Unlock()"},
		hazard: "\tvar mu sync.Mutex", rule: "sync primitive sync.Mutex:"},
	{file: "register.go", before: inReplicate, imports: []string{`"sync/atomic"`},
		lines:  []string{"\tvar applied atomic.Int64", "\tapplied.Add(1)"},
		hazard: "\tvar applied atomic.Int64", rule: "sync primitive sync/atomic.Int64:"},
	{file: "scenario.go", before: inWorkload,
		lines:  []string{"\t\tif time.Now().Unix()%2 == 0 {", "\t\t\tversion++", "\t\t}"},
		hazard: "\t\tif time.Now().Unix()%2 == 0 {", rule: "wall time time.Now:"},
	{file: "scenario.go", before: inWorkload,
		lines:  []string{"\t\ttime.Sleep(time.Millisecond)"},
		hazard: "\t\ttime.Sleep(time.Millisecond)", rule: "wall time time.Sleep:"},
	{file: "scenario.go", before: inWorkload, imports: []string{`"math/rand"`},
		lines:  []string{"\t\tif rand.Intn(2) == 0 {", "\t\t\tversion++", "\t\t}"},
		hazard: "\t\tif rand.Intn(2) == 0 {", rule: "global randomness math/rand.Intn:"},
	{file: "register.go", before: inReplicate, imports: []string{`crand "crypto/rand"`},
		lines:  []string{"\tnonce := make([]byte, 8)", "\t_, _ = crand.Read(nonce)"},
		hazard: "\t_, _ = crand.Read(nonce)", rule: "crypto randomness crypto/rand.Read:"},
	{file: "register.go", before: inPut,
		lines: []string{
			"\ttargets := map[int]bool{}",
			"\tfor _, b := range r.backups {",
			"\t\ttargets[b] = true",
			"\t}",
			"\tfor b := range targets {",
			"\t\tr.ep.Call(b, \"Register.Replicate\", &putArgs{Version: version, Value: args.Value}, func(any, bool) {})",
			"\t}",
		},
		hazard: "\tfor b := range targets {", rule: "map range: the body calls r.ep.Call"},
	{file: "register.go", before: inReplicate, imports: []string{`"os"`},
		lines:  []string{"\tif os.Getenv(\"REGISTER_RESET\") != \"\" {", "\t\targs.Version = 0", "\t}"},
		hazard: "\tif os.Getenv(\"REGISTER_RESET\") != \"\" {", rule: "host call os.Getenv:"},
	{file: "register.go", before: inReplicate,
		lines:  []string{"\tr.node.World().Logf(r.node, \"replica %p applies %d\", r, args.Version)"},
		hazard: "\tr.node.World().Logf(r.node, \"replica %p applies %d\", r, args.Version)", rule: "%p verb in a format string:"},
	{file: "register.go", before: inReplicate, imports: []string{`"unsafe"`},
		lines:  []string{"\targs.Version += int(uintptr(unsafe.Pointer(r)) % 2)"},
		hazard: "\targs.Version += int(uintptr(unsafe.Pointer(r)) % 2)", rule: "unsafe.Pointer to uintptr:"},
	{file: "register.go", before: inReplicate, imports: []string{`"reflect"`},
		lines:  []string{"\t_ = reflect.ValueOf(map[int]bool{}).MapKeys()"},
		hazard: "\t_ = reflect.ValueOf(map[int]bool{}).MapKeys()", rule: "reflect.Value.MapKeys:"},
	{file: "register.go", before: inReplicate,
		lines:  []string{"\t_ = args //lockstep:allow"},
		hazard: "\t_ = args //lockstep:allow", rule: "lockstep:allow needs a reason:"},

	// Deterministic after all: nothing may be reported.
	{file: "register.go", before: inReplicate, imports: []string{`"time"`},
		lines: []string{"\tr.node.World().Logf(r.node, \"applied at %v\", time.Now()) //lockstep:allow wall time in a debug line only"}},
	{file: "register.go", before: inPut, imports: []string{`"sort"`},
		lines: []string{
			"\tpeers := map[int]bool{}",
			"\tfor _, b := range r.backups {",
			"\t\tpeers[b] = true",
			"\t}",
			"\tvar sorted []int",
			"\tfor b := range peers {",
			"\t\tsorted = append(sorted, b)",
			"\t}",
			"\tsort.Ints(sorted)",
			"\tfor _, b := range sorted {",
			"\t\tr.ep.Call(b, \"Register.Replicate\", &putArgs{Version: version, Value: args.Value}, func(any, bool) {})",
			"\t}",
		}},
	{file: "scenario.go", before: inWorkload, imports: []string{`"math/rand"`},
		lines: []string{"\t\tif rand.New(rand.NewSource(int64(p.World().Seed()))).Intn(2) == 0 {", "\t\t\tversion++", "\t\t}"}},
}

// TestPlantedInRegister plants every hazard, each in a block of its own,
// into a copy of examples/register in a module that uses the real kernel,
// and checks that the analyzer reports exactly the planted lines: each
// hazard's, with its rule, and nothing for the rest of the example or the
// plants that are deterministic after all.
func TestPlantedInRegister(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.HasPrefix(string(b), "module github.com/lockstep-dst/lockstep\n") {
		t.Fatalf("%s is not the repository root: %v", root, err)
	}
	src := map[string]string{}
	names, _ := filepath.Glob(filepath.Join(root, "examples/register/*.go"))
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src[filepath.Base(name)] = string(b)
	}
	for _, p := range plants {
		if _, ok := src[p.file]; !ok {
			t.Fatalf("examples/register has no %s", p.file)
		}
	}

	dir := t.TempDir()
	// The module requires the repository and replaces it with this working
	// tree; the repository's go.sum covers its requirements, and the load
	// runs offline (GOPROXY=off) from the module cache.
	write(t, filepath.Join(dir, "go.mod"), fmt.Sprintf(
		"module planted.example\n\ngo 1.26.0\n\nrequire github.com/lockstep-dst/lockstep v0.0.0\n\nreplace github.com/lockstep-dst/lockstep => %s\n", root))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "go.sum"), string(sum))

	var want []string
	for name, text := range src {
		var mine []plant
		for _, p := range plants {
			if p.file == name {
				mine = append(mine, p)
			}
		}
		text = applyPlants(t, name, text, mine)
		for _, p := range mine {
			if p.hazard != "" {
				want = append(want, fmt.Sprintf("register/%s:%d: %s", name, lineOf(t, text, p.hazard), p.rule))
			}
		}
		write(t, filepath.Join(dir, "register", name), text)
	}
	slices.Sort(want)

	var got []string
	for _, r := range analyze(t, dir, []string{"GO111MODULE=on", "GOPROXY=off", "GOWORK=off"}, "./...") {
		got = append(got, r.Pos()+": "+r.Message)
	}
	slices.Sort(got)
	matched := len(got) == len(want)
	for i := 0; matched && i < len(got); i++ {
		matched = strings.HasPrefix(got[i], want[i])
	}
	if !matched {
		t.Errorf("reports:\n%s\nwant, each starting:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// applyPlants inserts each plant's lines, wrapped in a block, above its
// anchor, and its imports into the file's import block.
func applyPlants(t *testing.T, name, text string, plants []plant) string {
	t.Helper()
	var out []string
	found := make([]int, len(plants))
	imported := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		for i, p := range plants {
			if l == p.before {
				found[i]++
				indent := l[:len(l)-len(strings.TrimLeft(l, "\t"))]
				out = append(out, indent+"{")
				for _, pl := range p.lines {
					out = append(out, "\t"+pl)
				}
				out = append(out, indent+"}")
			}
		}
		out = append(out, l)
		if l == "import (" {
			for _, p := range plants {
				for _, imp := range p.imports {
					if !imported[imp] && !strings.Contains(text, "\t"+imp+"\n") {
						imported[imp] = true
						out = append(out, "\t"+imp)
					}
				}
			}
		}
	}
	for i, n := range found {
		if n != 1 {
			t.Fatalf("%s: anchor %q found %d times", name, plants[i].before, n)
		}
	}
	return strings.Join(out, "\n")
}

// lineOf returns the line number of the planted line: each is unique.
func lineOf(t *testing.T, text, line string) int {
	t.Helper()
	n := 0
	for i, l := range strings.Split(text, "\n") {
		if l == "\t"+line {
			if n != 0 {
				t.Fatalf("planted line %q is not unique", line)
			}
			n = i + 1
		}
	}
	if n == 0 {
		t.Fatalf("planted line %q not found", line)
	}
	return n
}

func write(t *testing.T, name, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
