package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/lockstep-dst/lockstep/faults"
	"github.com/lockstep-dst/lockstep/sim"
)

func (r *runner) list(args []string) error {
	stdout := r.stdout
	fs := newFlags("list", io.Discard)
	profiles := fs.Bool("faults", false, "list the fault profiles instead")
	probes := fs.Bool("probes", false, "list the coverage probes instead")
	planted := fs.Bool("planted", false, "list the scenarios with a planted bug instead (what each breaks)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *profiles && *probes {
		return usagef("list takes -faults or -probes, not both")
	}
	if *planted && (*profiles || *probes) {
		return usagef("list takes -planted alone")
	}
	if *planted {
		return listPlanted(stdout)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if *probes {
		for _, p := range sim.Probes() {
			fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Description)
		}
		return tw.Flush()
	}
	if *profiles {
		for _, p := range faults.Profiles() {
			fmt.Fprintf(tw, "%s\t%s\n", p.Synopsis(), p.Description)
		}
		return tw.Flush()
	}
	for _, s := range sim.Scenarios() {
		faults := "scripted faults"
		if s.TakesFaults() {
			faults = "faults: " + s.Faults
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, faults, s.Description)
	}
	return tw.Flush()
}
