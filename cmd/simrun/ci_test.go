package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The CI files in docs/ci are run here as their engines would run them, on
// a small sweep: the test reads each file, checks what the engine relies on
// (as many shards as -shard auto/N says, the shard index in the variable
// simrun reads), runs the commands it holds exactly as written, with the
// environment the engine gives them and with the sweep's SCENARIOS and
// SEEDS variables set small, then merges the shards as the file does. The
// merged sweep must be the unsharded sweep: the same (scenario, seed, trace
// hash) set.

// ciSweeps are what the tests set SCENARIOS and SEEDS to, the files'
// variables made small: a sweep that passes, and one that fails (a planted
// bug, found on some of the seeds), whose merge must fail and name the
// failing runs with their replay lines.
var ciSweeps = []struct {
	name  string
	vars  map[string]string
	fails bool
}{
	{"passing", map[string]string{"SCENARIOS": "raft/*", "SEEDS": "1-2"}, false},
	{"failing", map[string]string{"SCENARIOS": "example/planted/*", "SEEDS": "1-8"}, true},
}

// repoRoot is the repository's root, two levels above this package.
func repoRoot(t *testing.T) string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	return root
}

// needTools skips the test where the commands cannot run as written.
func needTools(t *testing.T, tools ...string) {
	for _, tool := range append([]string{"go"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: the CI files' commands cannot be run as written", tool)
		}
	}
}

// goBuild runs a `go build -o OUT ./cmd/simrun` command line from the
// repository's root, as the CI file's step does in its checkout, with OUT
// replaced by out (the file's OUT is where the engine keeps it: a job's
// directory, an image's /out).
func goBuild(t *testing.T, line, out string) {
	t.Helper()
	f := strings.Fields(line)
	require.True(t, len(f) == 5 && f[0] == "go" && f[1] == "build" && f[2] == "-o" && f[4] == "./cmd/simrun",
		"the build command %q is not 'go build -o OUT ./cmd/simrun'", line)
	cmd := exec.Command("go", "build", "-o", out, f[4])
	cmd.Dir = repoRoot(t)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
}

// engineEnv is the environment a CI engine gives a command: this process's
// (PATH, HOME, the Go caches) without any shard variable of its own, and
// the file's variables.
func engineEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "LOCKSTEP_SHARD_INDEX" && name != "JOB_COMPLETION_INDEX" && vars[name] == "" {
			env = append(env, kv)
		}
	}
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		env = append(env, name+"="+vars[name])
	}
	return env
}

// runShell runs script with shell (its arguments before the script) in dir,
// returning its exit status and output.
func runShell(t *testing.T, dir string, env []string, shell []string, script string) (int, string) {
	t.Helper()
	args := append(append([]string(nil), shell[1:]...), script) // not into shell's array: it may be the file's command
	cmd := exec.Command(shell[0], args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

var shardCount = regexp.MustCompile(`-shard auto/(\d+)\b`)

// autoShards returns the N of the one -shard auto/N in script.
func autoShards(t *testing.T, script string) int {
	t.Helper()
	m := shardCount.FindAllStringSubmatch(script, -1)
	require.Len(t, m, 1, "want one '-shard auto/N' in %q", script)
	n, err := strconv.Atoi(m[0][1])
	require.NoError(t, err)
	return n
}

// runKeys reads a run -json stream into its runs' (scenario, seed, hash)
// set, and its summary.
func runKeys(t *testing.T, stream string) (runs []string, summary map[string]any) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stream))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &o), "%q", sc.Text())
		switch o["type"] {
		case "run":
			runs = append(runs, fmt.Sprintf("%s %v %s", o["scenario"], o["seed"], o["hash"]))
		case "summary":
			summary = o
		}
	}
	sort.Strings(runs)
	return runs, summary
}

// checkMergedIsWhole checks that the shards, merged, are the unsharded
// sweep: the same runs with the same trace hashes, the same failures.
func checkMergedIsWhole(t *testing.T, simrunBin string, vars map[string]string, shards []string, mergeOut string) {
	t.Helper()
	whole, _ := exec.Command(simrunBin, "run", "-json", "-scenario", vars["SCENARIOS"], "-seeds", vars["SEEDS"]).Output()
	merged, _ := exec.Command(simrunBin, append([]string{"merge", "-json"}, shards...)...).Output()
	wantRuns, wantSummary := runKeys(t, string(whole))
	gotRuns, summary := runKeys(t, string(merged))
	require.NotEmpty(t, wantRuns)
	require.Equal(t, wantRuns, gotRuns)
	require.Equal(t, wantSummary["failed"], summary["failed"])
	require.Equal(t, wantSummary["exit_status"], summary["exit_status"])
	text, _ := exec.Command(simrunBin, "run", "-scenario", vars["SCENARIOS"], "-seeds", vars["SEEDS"]).Output()
	failures := regexp.MustCompile(`(?m)^(FAIL .*|  replay: .*)$`)
	require.Equal(t, failures.FindAllString(string(text), -1), failures.FindAllString(mergeOut, -1),
		"the merge reports the unsharded sweep's failures, with their replay lines")
}

// workflow is the part of a GitHub Actions workflow this test runs.
type workflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Needs    string `yaml:"needs"`
		If       string `yaml:"if"`
		Strategy struct {
			FailFast *bool            `yaml:"fail-fast"`
			Matrix   map[string][]int `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			If   string            `yaml:"if"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// TestGitHubActionsWorkflow runs docs/ci/github-actions.yml as GitHub
// would: each matrix job of "sweep" in its own directory with
// LOCKSTEP_SHARD_INDEX set from ${{ matrix.shard }} as the workflow says, a
// step without an if skipped once a step failed, artifacts handed to the
// "merge" job, which runs even when a shard failed; its merge must pass or
// fail with the sweep and report what the unsharded sweep reports.
func TestGitHubActionsWorkflow(t *testing.T) {
	needTools(t, "bash")
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "ci", "github-actions.yml"))
	require.NoError(t, err)
	var wf workflow
	require.NoError(t, yaml.Unmarshal(data, &wf))
	sweep, ok := wf.Jobs["sweep"]
	require.True(t, ok, "no job named sweep")
	merge, ok := wf.Jobs["merge"]
	require.True(t, ok, "no job named merge")
	require.Equal(t, "sweep", merge.Needs)
	require.Equal(t, "${{ !cancelled() }}", merge.If, "merge must run when a shard fails: its output says what failed")
	require.NotNil(t, sweep.Strategy.FailFast)
	require.False(t, *sweep.Strategy.FailFast, "a failing shard must not cancel the others")
	shards := sweep.Strategy.Matrix["shard"]
	require.NotEmpty(t, shards)

	// The sweep: the matrix has as many shards as the command says, each
	// index once, and the index reaches simrun through the variable it reads.
	var sweepScript string
	for _, step := range sweep.Steps {
		if strings.Contains(step.Run, "-shard auto/") {
			sweepScript = step.Run
			require.Equal(t, "${{ matrix.shard }}", step.Env["LOCKSTEP_SHARD_INDEX"])
		}
	}
	require.NotEmpty(t, sweepScript, "no step runs -shard auto/N")
	n := autoShards(t, sweepScript)
	require.Len(t, shards, n, "the matrix must have as many shards as -shard auto/%d", n)
	for i, s := range shards {
		require.Equal(t, i, s, "the matrix's shards must be 0 to %d", n-1)
	}

	bin := filepath.Join(t.TempDir(), "simrun")
	built := false
	bash := []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"} // GitHub's shell for run steps on Linux

	for _, sw := range ciSweeps {
		t.Run(sw.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range wf.Env {
				env[k] = v
			}
			for name, value := range sw.vars {
				require.Contains(t, env, name, "the workflow's env must set %s", name)
				env[name] = value
			}
			artifacts := t.TempDir()

			// runJob runs one job's steps in dir with the matrix values
			// given, and returns whether a step failed, and the exit
			// status and output of the last step it ran.
			runJob := func(job string, dir string, matrix map[string]int) (failed bool, lastCode int, lastOut string) {
				eval := func(s string) string {
					return expression.ReplaceAllStringFunc(s, func(e string) string {
						expr := expression.FindStringSubmatch(e)[1]
						if name, ok := strings.CutPrefix(expr, "matrix."); ok {
							v, ok := matrix[name]
							require.True(t, ok, "%s: no matrix value %s", job, name)
							return strconv.Itoa(v)
						}
						require.Equal(t, "!cancelled()", expr, "%s: an expression this test cannot evaluate", job)
						return "true"
					})
				}
				for _, step := range wf.Jobs[job].Steps {
					if step.If == "" && failed {
						continue // GitHub skips a step without an if once one failed
					}
					if step.If != "" {
						require.Equal(t, "true", eval(step.If))
					}
					switch {
					case strings.HasPrefix(step.Uses, "actions/checkout@"), strings.HasPrefix(step.Uses, "actions/setup-go@"):
						// The test runs from a checkout, with Go.
					case strings.HasPrefix(step.Uses, "actions/upload-artifact@"):
						name, file := eval(step.With["name"]), eval(step.With["path"])
						require.NoError(t, os.MkdirAll(filepath.Join(artifacts, name), 0o755))
						b, err := os.ReadFile(filepath.Join(dir, file))
						require.NoError(t, err, "%s: the artifact's file", job)
						require.NoError(t, os.WriteFile(filepath.Join(artifacts, name, filepath.Base(file)), b, 0o644))
					case strings.HasPrefix(step.Uses, "actions/download-artifact@"):
						require.Equal(t, "true", step.With["merge-multiple"])
						names, err := os.ReadDir(artifacts)
						require.NoError(t, err)
						got := 0
						for _, a := range names {
							if ok, _ := path.Match(step.With["pattern"], a.Name()); ok {
								got++
								require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(artifacts, a.Name()))))
							}
						}
						require.Equal(t, len(shards), got, "%s: one artifact per shard", job)
					case step.Uses != "":
						t.Fatalf("%s: step uses %s, which this test cannot run", job, step.Uses)
					case strings.HasPrefix(step.Run, "go build "):
						if !built {
							goBuild(t, step.Run, bin)
							built = true
						}
						b, err := os.ReadFile(bin)
						require.NoError(t, err)
						require.NoError(t, os.WriteFile(filepath.Join(dir, strings.Fields(step.Run)[3]), b, 0o755))
					default:
						vars := map[string]string{}
						for k, v := range env {
							vars[k] = v
						}
						for k, v := range step.Env {
							vars[k] = eval(v)
						}
						lastCode, lastOut = runShell(t, dir, engineEnv(vars), bash, eval(step.Run))
						require.Contains(t, []int{0, 1}, lastCode, "%s: step %q: %s", job, step.Name, lastOut)
						failed = failed || lastCode != 0
					}
				}
				return failed, lastCode, lastOut
			}

			anyFailed := false
			for _, s := range shards {
				failed, _, out := runJob("sweep", t.TempDir(), map[string]int{"shard": s})
				anyFailed = anyFailed || failed
				require.Empty(t, out, "shard %d: -json goes to the file, and nothing else is said", s)
			}
			require.Equal(t, sw.fails, anyFailed, "a shard job fails exactly when one of its runs does")

			dir := t.TempDir()
			failed, code, out := runJob("merge", dir, nil)
			require.Equal(t, sw.fails, failed, out)
			require.Equal(t, map[bool]int{false: 0, true: 1}[sw.fails], code, out)
			require.Contains(t, out, fmt.Sprintf("merged %d file(s): ", n))
			require.Contains(t, out, fmt.Sprintf(" runs of -scenario '%s' -seeds %s (%d of %d shards)\n", sw.vars["SCENARIOS"], sw.vars["SEEDS"], n, n))
			files, err := filepath.Glob(filepath.Join(dir, "shard-*.json"))
			require.NoError(t, err)
			require.Len(t, files, n)
			checkMergedIsWhole(t, bin, sw.vars, files, out)
			if sw.fails {
				require.Contains(t, out, "  replay: go run ./cmd/simrun replay -scenario example/planted/")
			}
		})
	}
}

// manifest is the part of a Kubernetes object this test reads.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode       string `yaml:"completionMode"`
		Completions          *int   `yaml:"completions"`
		Parallelism          *int   `yaml:"parallelism"`
		BackoffLimitPerIndex *int   `yaml:"backoffLimitPerIndex"`
		PodFailurePolicy     struct {
			Rules []struct {
				Action      string `yaml:"action"`
				OnExitCodes struct {
					Operator string `yaml:"operator"`
					Values   []int  `yaml:"values"`
				} `yaml:"onExitCodes"`
			} `yaml:"rules"`
		} `yaml:"podFailurePolicy"`
		Template struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Image   string   `yaml:"image"`
					Command []string `yaml:"command"`
					Env     []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// TestKubernetesIndexedJob runs docs/ci/k8s-indexed-job.yaml: the image's
// simrun built as docs/ci/Dockerfile builds it, each index of the Indexed
// Job's container command with JOB_COMPLETION_INDEX set as Kubernetes sets
// it and the shared volume at a directory of the test's, then the merge
// Job's command, which must pass or fail with the sweep and report what the
// unsharded sweep reports.
func TestKubernetesIndexedJob(t *testing.T) {
	needTools(t, "sh", "ls", "wc", "mv")
	root := repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "docs", "ci", "k8s-indexed-job.yaml"))
	require.NoError(t, err)
	jobs := map[string]manifest{}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var m manifest
		if err := dec.Decode(&m); err != nil {
			require.EqualError(t, err, "EOF")
			break
		}
		if m.Kind == "Job" {
			jobs[m.Metadata.Name] = m
		}
	}
	sweep, ok := jobs["lockstep-sweep"]
	require.True(t, ok, "no Job named lockstep-sweep")
	merge, ok := jobs["lockstep-merge"]
	require.True(t, ok, "no Job named lockstep-merge")

	// The image: simrun where the containers find it, on PATH.
	dockerfile, err := os.ReadFile(filepath.Join(root, "docs", "ci", "Dockerfile"))
	require.NoError(t, err)
	build := regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 (go build -o (\S+) \./cmd/simrun)$`).FindStringSubmatch(string(dockerfile))
	require.NotNil(t, build, "the Dockerfile does not build simrun")
	require.Contains(t, string(dockerfile), "COPY --from=build "+build[2]+" /usr/local/bin/simrun\n")
	image := t.TempDir()
	goBuild(t, build[1], filepath.Join(image, "simrun"))
	path := image + string(os.PathListSeparator) + os.Getenv("PATH")

	// What Kubernetes relies on: one pod per index, a shard per index, and
	// failures handled by simrun's exit status.
	s := sweep.Spec
	require.Equal(t, "Indexed", s.CompletionMode)
	require.NotNil(t, s.Completions)
	n := *s.Completions
	require.Equal(t, "Never", s.Template.Spec.RestartPolicy, "podFailurePolicy needs restartPolicy Never")
	actions := map[int]string{}
	for _, r := range s.PodFailurePolicy.Rules {
		require.Equal(t, "In", r.OnExitCodes.Operator)
		for _, v := range r.OnExitCodes.Values {
			actions[v] = r.Action
		}
	}
	require.Equal(t, map[int]string{1: "FailIndex", 2: "FailJob"}, actions, "exit 1 (runs failed) fails the index, exit 2 (usage error) the Job")
	require.NotNil(t, s.BackoffLimitPerIndex, "FailIndex needs backoffLimitPerIndex")
	require.Len(t, s.Template.Spec.Containers, 1)
	c := s.Template.Spec.Containers[0]
	require.Len(t, c.Command, 3)
	require.Equal(t, []string{"sh", "-c"}, c.Command[:2])
	script := c.Command[2]
	require.Equal(t, n, autoShards(t, script), "completions must equal the N of -shard auto/N")
	require.Len(t, c.VolumeMounts, 1)
	mount := c.VolumeMounts[0].MountPath
	require.Contains(t, script, mount)
	m := merge.Spec.Template.Spec
	require.Len(t, m.Containers, 1)
	mc := m.Containers[0]
	require.Len(t, mc.Command, 3)
	require.Contains(t, mc.Command[2], fmt.Sprintf("-ge %d ]", n), "the merge must wait for all %d shards", n)
	require.Equal(t, mount, mc.VolumeMounts[0].MountPath)

	for _, sw := range ciSweeps {
		t.Run(sw.name, func(t *testing.T) {
			vars := map[string]string{"PATH": path}
			for _, e := range c.Env {
				vars[e.Name] = e.Value
			}
			for name, value := range sw.vars {
				require.Contains(t, vars, name, "the container's env must set %s", name)
				vars[name] = value
			}
			results := t.TempDir()
			atResults := func(script string) string { return strings.ReplaceAll(script, mount, results) }
			anyFailed := false
			for i := 0; i < n; i++ {
				vars["JOB_COMPLETION_INDEX"] = strconv.Itoa(i) // as Kubernetes sets it in pod i
				code, out := runShell(t, t.TempDir(), engineEnv(vars), c.Command[:2], atResults(script))
				require.Contains(t, []int{0, 1}, code, "index %d: %s", i, out)
				anyFailed = anyFailed || code == 1
			}
			require.Equal(t, sw.fails, anyFailed, "an index fails (exit 1, FailIndex) exactly when one of its runs does")
			files, err := filepath.Glob(filepath.Join(results, "*"))
			require.NoError(t, err)
			require.Len(t, files, n, "one output per index, failing or not, and no .part left: %v", files)

			code, out := runShell(t, t.TempDir(), engineEnv(map[string]string{"PATH": path}), mc.Command[:2], atResults(mc.Command[2]))
			require.Equal(t, map[bool]int{false: 0, true: 1}[sw.fails], code, out)
			require.Regexp(t, fmt.Sprintf(`^merged %d file\(s\): \d+ runs of -scenario '%s' -seeds %s \(%d of %d shards\)\n`,
				n, regexp.QuoteMeta(sw.vars["SCENARIOS"]), sw.vars["SEEDS"], n, n), out)
			checkMergedIsWhole(t, filepath.Join(image, "simrun"), sw.vars, files, out)
		})
	}
}
