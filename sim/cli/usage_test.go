package cli

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The usage text that -h prints, and the package comment that go doc shows,
// list every command with its flags: a flag a command accepts but neither
// names is one a user never learns about.
func TestUsageNamesEveryFlag(t *testing.T) {
	var top bytes.Buffer
	require.Equal(t, 0, Run(context.Background(), []string{"-h"}, &top, &top, Config{Name: "simrun", Command: "simrun"}))
	src, err := os.ReadFile("cli.go")
	require.NoError(t, err)
	doc := string(src[:bytes.Index(src, []byte("\npackage cli"))])

	flagLine := regexp.MustCompile(`(?m)^  (-[a-z-]+)`)
	for _, cmd := range []string{"list", "run", "replay", "merge", "plan", "shrink", "corpus"} {
		var help bytes.Buffer
		require.Equal(t, 0, Run(context.Background(), []string{cmd, "-h"}, &help, &help, Config{Name: "simrun", Command: "simrun"}), cmd)
		usage := commandLines(top.String(), "simrun "+cmd+" ")
		comment := commandLines(doc, "NAME "+cmd+" ")
		require.NotEmpty(t, usage, "simrun -h does not list %s", cmd)
		require.NotEmpty(t, comment, "the package comment does not list %s", cmd)
		flags := flagLine.FindAllStringSubmatch(help.String(), -1)
		require.NotEmpty(t, flags, "simrun %s -h lists no flag:\n%s", cmd, help.String())
		for _, m := range flags {
			named := regexp.MustCompile(`\[` + regexp.QuoteMeta(m[1]) + `[] |]|\| ` + regexp.QuoteMeta(m[1]) + `[] ]| ` + regexp.QuoteMeta(m[1]) + ` `)
			require.Regexp(t, named, usage, "simrun -h does not name %s's flag %s", cmd, m[1])
			require.Regexp(t, named, comment, "the package comment does not name %s's flag %s", cmd, m[1])
		}
	}
}

// commandLines returns the lines of text from the one containing start up to
// the next command's (continuation lines are indented further).
func commandLines(text, start string) string {
	var out []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(strings.TrimPrefix(line, "//"), " \t")
		switch {
		case strings.Contains(line, start):
			in = true
		case in && (strings.HasPrefix(trimmed, "simrun ") || strings.HasPrefix(trimmed, "NAME ") || strings.TrimSpace(trimmed) == "" || strings.HasPrefix(trimmed, "run '")):
			in = false
		}
		if in {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n") + "\n"
}
