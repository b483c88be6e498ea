package hostcalls

import (
	"errors"
	"net"
	"os"
	"os/exec"

	"github.com/lockstep-dst/lockstep/sim"
)

func Host(n *sim.Node) string {
	home := os.Getenv("HOME")           // want `host call os.Getenv: it reaches the machine outside the simulation`
	b, err := os.ReadFile("/etc/hosts") // want `host call os.ReadFile`
	if os.IsNotExist(err) || errors.Is(err, os.ErrNotExist) {
		return "" // pure helpers and error values are fine
	}
	c, _ := net.Dial("tcp", "localhost:1") // want `host call net.Dial`
	_ = c
	_ = exec.Command("true")       // want `host call os/exec.Command`
	_ = os.Args                    // want `host call os.Args`
	_ = net.JoinHostPort("a", "1") // pure
	_ = os.Stdout                  // output, not input
	// The node's disk is the simulated replacement.
	n.Disk.WriteFile("f", b)
	return home
}
