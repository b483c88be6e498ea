package cli

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestChooseGC(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name    string
		flag    string
		workers int
		env     map[string]string
		want    gcSettings
	}{
		{"defaults", "", 1, nil, gcSettings{setPercent: true, percent: DefaultGCPercent, limit: 256 * mib}},
		{"the limit grows with the workers", "", 4, nil, gcSettings{setPercent: true, percent: DefaultGCPercent, limit: 1024 * mib}},
		{"a user's GOGC stands", "", 2, map[string]string{"GOGC": "100"}, gcSettings{limit: 512 * mib}},
		{"a user's GOMEMLIMIT stands", "", 2, map[string]string{"GOMEMLIMIT": "4GiB"}, gcSettings{setPercent: true, percent: DefaultGCPercent}},
		{"both stand", "", 2, map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, gcSettings{}},
		{"the flag wins over GOGC", "150", 1, map[string]string{"GOGC": "100"}, gcSettings{setPercent: true, percent: 150, limit: 256 * mib}},
		{"the flag turns it off", "off", 1, nil, gcSettings{setPercent: true, percent: -1, limit: 256 * mib}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chooseGC(tc.flag, tc.workers, func(k string) string { return tc.env[k] })
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{"-5", "x", "40%"} {
		_, err := chooseGC(bad, 1, func(string) string { return "" })
		require.ErrorAs(t, err, new(usageError), "-gogc %q", bad)
	}
}

// Run (a test's runner) leaves the process's collector as it was unless
// -gogc asks; a bad -gogc is a usage error.
func TestRunTunesGCOnlyWhenAsked(t *testing.T) {
	before, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1) // -1: only reads it
	defer func() { debug.SetGCPercent(before); debug.SetMemoryLimit(limit) }()
	code, out, _ := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-2")
	require.Equal(t, 0, code, out)
	require.Equal(t, 100, debug.SetGCPercent(100), "Run changed the collector without -gogc")

	code, out, _ = simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-2", "-gogc", "300")
	require.Equal(t, 0, code, out)
	require.Equal(t, 300, debug.SetGCPercent(100))

	code, _, errOut := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-2", "-gogc", "lots")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "bad -gogc")
}

// -cpuprofile and -memprofile write profiles pprof reads (gzip-compressed
// protocol buffers); an unwritable path is a usage error before any run.
func TestRunWritesProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	code, out, _ := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-20", "-cpuprofile", cpu, "-memprofile", mem)
	require.Equal(t, 0, code, out)
	for _, f := range []string{cpu, mem} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		require.Greater(t, len(data), 2, f)
		require.Equal(t, []byte{0x1f, 0x8b}, data[:2], "%s is not gzip-compressed", f)
	}
	code, out, errOut := simrun("run", "-scenario", "clitest/Probes", "-seeds", "1-2", "-cpuprofile", filepath.Join(dir, "no", "such", "dir", "cpu.prof"))
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "-cpuprofile")
	require.Empty(t, out, "no run before the usage error")
}
