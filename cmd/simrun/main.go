// Command simrun lists, sweeps and replays Lockstep scenarios.
//
//	simrun list   [-faults | -probes]
//	simrun run    [-scenario PATTERN] [-seeds A-B] [-parallel N] [-json]
//	              [-check-determinism] [-shard I/N] [-faults PROFILE|@plan.json] [-save DIR]
//	              [-require-probes LIST]
//	simrun replay -scenario NAME -seed S [-faults PROFILE|@plan.json] [-v]
//
// Exit status: 0 when every run passed (and every required probe was
// reached), 1 when any failed, 2 for a usage error, including a run that
// failed because of the user's input (sim.ErrBadInput), 130 for a sweep
// stopped by an interrupt (after reporting what ran).
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
)

const usage = `usage:
  simrun list   [-faults | -probes]               list scenarios (or fault profiles, or probes)
  simrun run    [-scenario PATTERN] [-seeds A-B] [-parallel N] [-json]
                [-check-determinism] [-shard I/N] [-faults PROFILE|@plan.json] [-save DIR]
                [-require-probes LIST]
  simrun replay -scenario NAME -seed S [-faults PROFILE|@plan.json] [-v]
run 'simrun <command> -h' for a command's flags`

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	// The first interrupt stops a sweep after the runs in flight, which are
	// reported with the summary of what ran; a second one kills at once, as
	// signal.Stop restores the default action.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	interrupted := make(chan struct{})
	go func() {
		<-sig
		signal.Stop(sig)
		close(interrupted)
	}()
	os.Exit(runWith(os.Args[1:], os.Stdout, os.Stderr, interrupted))
}

// run is main without the process: tests call it.
func run(args []string, stdout, stderr io.Writer) int { return runWith(args, stdout, stderr, nil) }

// runWith is run with a channel that is closed when the user interrupts
// (nil: never).
func runWith(args []string, stdout, stderr io.Writer, interrupted <-chan struct{}) int {
	if len(args) == 0 {
		// The README's first command: a sweep of everything on the default
		// seeds needs no arguments.
		args = []string{"run"}
	}
	var code int
	var err error
	switch args[0] {
	case "list":
		err = list(args[1:], stdout)
	case "run":
		code, err = sweep(args[1:], stdout, stderr, interrupted)
	case "replay":
		code, err = replay(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		err = usagef("unknown command %q (want list, run or replay)", args[0])
	}
	if h, ok := err.(helpRequested); ok {
		h.print(stdout)
		return 0
	}
	if err != nil {
		if _, ok := err.(usageError); ok {
			fmt.Fprintf(stderr, "simrun: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return 1
	}
	return code
}
