//lockstep:host the runner: it drives whole runs from outside the simulation (flags, files, workers, wall time)

// Package cli is a Lockstep runner as a library: it lists, sweeps and
// replays the scenarios registered with package sim, and knows no system of
// its own. A program registers its scenarios by importing the packages that
// call sim.Register, then hands its command line to Main:
//
//	package main
//
//	import (
//		"os"
//
//		_ "example.com/mysystem/mysim" // registers mysystem/* scenarios
//		"github.com/lockstep-dst/lockstep/sim/cli"
//	)
//
//	func main() {
//		os.Exit(cli.Main(os.Args[1:], cli.Config{Command: "go run ./cmd/mysim"}))
//	}
//
// The commands, for a program named NAME:
//
//	NAME list   [-faults | -probes | -planted]
//	NAME run    [-scenario PATTERN] [-seeds A-B] [-parallel N] [-json]
//	            [-check-determinism] [-shard I/N|auto/N] [-faults PROFILE|@plan.json]
//	            [-save DIR] [-require-probes LIST] [-progress D] [-v] [-html DIR]
//	            [-gogc N|off] [-cpuprofile FILE] [-memprofile FILE]
//	NAME replay -scenario NAME -seed S [-faults PROFILE|@plan.json] [-knobs K=V,...]
//	            [-v] [-html FILE]
//	NAME merge  [-json] [-v] FILE...
//	NAME plan   -scenario NAME -seed S [-faults PROFILE|@plan.json]
//	NAME shrink -scenario NAME -seed S [-faults PROFILE|@plan.json] [-knobs K=V,...]
//	            [-max-runs N] [-max-time D] [-parallel N] [-o plan.json] [-save DIR]
//	            [-html FILE] [-gogc N|off]
//	NAME corpus [-dir seeds]
//
// Exit status: 0 when every run passed (and every required probe was
// reached), 1 when any failed, 2 for a usage error, including a run that
// failed because of the user's input (sim.ErrBadInput), 130 for a sweep
// stopped by an interrupt (after reporting what ran). merge exits as a run
// of all its shards would (1 also when a shard was interrupted), and 2 for
// files it cannot merge. shrink exits 1 with the minimal failure, 0 when the
// run it was given passed; corpus exits 1 when an entry does not replay as
// recorded, 2 for a corpus or entry it cannot load; plan and list exit 0.
//
// -faults takes a profile, with parameters if it has any
// (crashes:maxdown=1), or @FILE: a JSON fault plan, or a corpus entry (as
// shrink -save writes), whose faults it takes; replay and shrink also take
// the entry's knobs, and its scenario and seed when -scenario and -seed are
// left out.
//
// The garbage collector: a program started by Main, sweeping (run) or
// shrinking, lets the heap grow to five times what is live (GOGC=400)
// under a soft memory limit of 256 MiB per worker (-parallel), which costs
// about a fifth less CPU than Go's default; $GOGC and $GOMEMLIMIT, when set,
// stand, and -gogc overrides both the default and $GOGC (-gogc 100 is Go's
// default). -cpuprofile and -memprofile write a sweep's CPU and allocation
// profiles for go tool pprof.
//
// Sharding: -shard I/N runs run k of the sweep (counted from 0 in sweep
// order: scenarios by name, seeds ascending within each) when k mod N = I,
// so every machine given the same program and flags picks the same runs;
// -shard auto/N reads I from $LOCKSTEP_SHARD_INDEX (a CI matrix) or
// $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).
//
// Importing this package pulls in the kernel (sim), the simulated network
// (netsim), the fault plans (faults) and their shrinker (faults/shrink), the
// regression corpus format (seeds) and the HTML page of a run (sim/page), and
// nothing else of this module: no system, and not porcupine.
// TestImportsNoSystem holds that.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
)

// Config is what the runner knows of the program that embeds it. Its zero
// value is valid: every field has a default derived from how the program
// was started.
type Config struct {
	// Name is the program's name in messages and usage ("NAME: unknown
	// command"). Default: the base name of os.Args[0].
	Name string
	// Command is the shell command that starts this program, which every
	// replay line begins with, e.g. "go run ./cmd/mysim" or "./bin/mysim".
	// Default: DefaultCommand's guess.
	Command string
}

// Main runs the command line args (without the program name) on the
// process's stdout and stderr, and returns the exit status for os.Exit.
//
// The first interrupt (SIGINT) stops a sweep after the runs in flight,
// which are reported with the summary of what ran (exit status 130); a
// second one kills the process at once, as signal.Stop restores the default
// action.
func Main(args []string, cfg Config) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { //lockstep:allow the runner waits for an interrupt, outside the simulation
		select { //lockstep:allow the runner waits for an interrupt, outside the simulation
		case <-sig:
			signal.Stop(sig)
			cancel()
		case <-ctx.Done():
		}
	}()
	defer signal.Stop(sig)
	return run(ctx, args, os.Stdin, os.Stdout, os.Stderr, cfg, true)
}

// Run is Main without the process: it writes to stdout and stderr, and
// treats the cancellation of ctx as the user's interrupt. Tests call it.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, cfg Config) int {
	return run(ctx, args, os.Stdin, stdout, stderr, cfg, false)
}

// run is Run reading stdin (merge -) from stdin; ownsProcess says that the
// runner is the process (Main), not a test calling Run.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, cfg Config, ownsProcess bool) int {
	r := &runner{Config: cfg, stdin: stdin, stdout: stdout, stderr: stderr, interrupted: ctx.Done(), ownsProcess: ownsProcess}
	if r.Name == "" {
		r.Name = defaultName()
	}
	if r.Command == "" {
		r.Command, r.commandNote = DefaultCommand()
	}
	return r.main(args)
}

// runner is one invocation: the config with its defaults filled in, and
// where it writes.
type runner struct {
	Config
	commandNote    string // why Command is only a guess, said once with the first replay line ("" if it is not)
	stdin          io.Reader
	stdout, stderr io.Writer
	interrupted    <-chan struct{} // closed when the user interrupts (nil: never)
	// ownsProcess: started by Main, the runner may tune the process's
	// garbage collector for its batch of runs (gc.go).
	ownsProcess bool
}

func (r *runner) usage() string {
	pad := strings.Repeat(" ", len(r.Name))
	return fmt.Sprintf(`usage:
  %[1]s list   [-faults | -probes | -planted]     list scenarios (or fault profiles, probes, planted bugs)
  %[1]s run    [-scenario PATTERN] [-seeds A-B] [-parallel N] [-json]
  %[2]s        [-check-determinism] [-shard I/N|auto/N] [-faults PROFILE|@plan.json]
  %[2]s        [-save DIR] [-require-probes LIST] [-progress D] [-v] [-html DIR]
  %[2]s        [-gogc N|off] [-cpuprofile FILE] [-memprofile FILE]
  %[1]s replay -scenario NAME -seed S [-faults PROFILE|@plan.json] [-knobs K=V,...] [-v] [-html FILE]
  %[1]s merge  [-json] [-v] FILE...                merge shards' run -json outputs (- is stdin)
  %[1]s plan   -scenario NAME -seed S [-faults PROFILE|@plan.json]  print the fault plan a seed makes, as editable JSON
  %[1]s shrink -scenario NAME -seed S [-faults PROFILE|@plan.json] [-knobs K=V,...] [-max-runs N]
  %[2]s        [-max-time D] [-parallel N] [-o plan.json] [-save DIR] [-html FILE] [-gogc N|off]
  %[2]s        minimize the fault plan of a failing run
  %[1]s corpus [-dir seeds]                     replay a regression corpus: passes still pass, planted bugs still caught
-faults takes PROFILE[:NAME=VALUE,...], @plan.json, or @entry.json (a corpus entry)
run '%[1]s <command> -h' for a command's flags`, r.Name, pad)
}

func (r *runner) main(args []string) int {
	if len(args) == 0 {
		// The README's first command: a sweep of everything on the default
		// seeds needs no arguments.
		args = []string{"run"}
	}
	var code int
	var err error
	switch args[0] {
	case "list":
		err = r.list(args[1:])
	case "run":
		code, err = r.sweep(args[1:])
	case "replay":
		code, err = r.replay(args[1:])
	case "merge":
		code, err = r.merge(args[1:])
	case "plan":
		code, err = r.plan(args[1:])
	case "shrink":
		code, err = r.shrinkCmd(args[1:])
	case "corpus":
		code, err = r.corpus(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(r.stdout, r.usage())
		return 0
	default:
		err = usagef("unknown command %q (want list, run, replay, merge, plan, shrink or corpus)", args[0])
	}
	if h, ok := err.(helpRequested); ok {
		h.print(r.stdout, r.Name)
		return 0
	}
	if err != nil {
		fmt.Fprintf(r.stderr, "%s: %v\n", r.Name, err)
		if _, ok := err.(usageError); ok {
			return 2
		}
		return 1
	}
	return code
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func defaultName() string {
	if len(os.Args) == 0 || os.Args[0] == "" {
		return "runner"
	}
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
}

// DefaultCommand guesses the shell command that started this program, for
// replay lines, from os.Args[0]. A program built and run as a file is named
// by the path it was started with. A program started by `go run` lives in a
// temporary directory that is gone when it exits, so it is named by `go
// run` and its package's directory, relative to the working directory when
// that is inside the program's module (found by its go.mod), else relative
// to the module's root; note then says that the guess assumes the module's
// root, and the runner prints it with the first replay line.
// Config.Command removes the guess.
func DefaultCommand() (command, note string) {
	if len(os.Args) == 0 || os.Args[0] == "" {
		return "runner", "the command that started this program is unknown: set cli.Config.Command"
	}
	arg0 := os.Args[0]
	if !isGoRunBinary(arg0) {
		return shellQuote(arg0), ""
	}
	var mainPkg, module string
	if bi, ok := debug.ReadBuildInfo(); ok {
		mainPkg, module = bi.Path, bi.Main.Path
	}
	wd, _ := os.Getwd()
	return goRunCommand(mainPkg, module, wd)
}

// goRunCommand is the `go run` command, from directory wd, of the main
// package mainPkg of module (import paths; "" if unknown).
func goRunCommand(mainPkg, module, wd string) (command, note string) {
	rel, inModule := ".", module != "" && mainPkg == module
	if r, ok := strings.CutPrefix(mainPkg, module+"/"); ok && module != "" {
		rel, inModule = r, true
	}
	if inModule && wd != "" {
		if root := moduleRoot(wd, module); root != "" {
			if r, err := filepath.Rel(wd, filepath.Join(root, filepath.FromSlash(rel))); err == nil {
				return "go run " + shellQuote(dotSlash(filepath.ToSlash(r))), ""
			}
		}
	}
	command = "go run " + shellQuote(dotSlash(rel))
	return command, fmt.Sprintf("replay lines say '%s', which assumes the module's root as the working directory; set cli.Config.Command to name this program's command", command)
}

// moduleRoot returns the directory at or above dir whose go.mod declares
// module, or "" if there is none.
func moduleRoot(dir, module string) string {
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if modulePath(data) == module {
				return dir
			}
			return "" // dir is in another module
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// modulePath returns the path a go.mod file declares on its module line.
func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			rest, _, _ = strings.Cut(rest, "//")
			return strings.Trim(strings.TrimSpace(rest), `"`+"`")
		}
	}
	return ""
}

// dotSlash makes a relative slash path one that go run takes as a
// directory, not an import path: "cmd/mysim" becomes "./cmd/mysim".
func dotSlash(p string) string {
	if p == "." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || p == ".." {
		return p
	}
	return "./" + p
}

// isGoRunBinary reports whether path is where `go run` puts the binary it
// builds: $WORK/bNNN/exe/NAME, $WORK being a go-build* directory under the
// temporary directory.
func isGoRunBinary(path string) bool {
	path = filepath.ToSlash(path)
	return strings.Contains(path, "/go-build") && filepath.Base(filepath.Dir(path)) == "exe"
}
