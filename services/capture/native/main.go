// Command provstream: the fast launcher of `provstream run`, and the door to everything else.
//
// Node.js alone takes ~60 ms to start on our machines, more than the wrapper's whole overhead
// budget (issue 3: 50 ms). So `bin/provstream run` is this small native program: it prepares
// the capture (project config from the Node wrapper's JSON cache, the before-scan, declared
// inputs hashed), runs the command with inherited streams, signals forwarded, the outcome
// mirrored, scans again, hashes what changed, and hands a raw record of all that to the
// background deliverer (record.go), which turns it into events with the Node wrapper's own code.
//
// Whatever this program does not do exactly as the Node wrapper (services/capture/run.ts), it
// hands over to it before the command starts, by exec'ing `node bin/provstream.js run …` with the
// same arguments: metric extractors, --wait, --help, usage errors, fileviews, a config the cache
// does not hold yet, globs outside the shared subset (glob.go), PROVSTREAM_NATIVE=off. Every
// other subcommand is exec'ed to Node too. PROVSTREAM_DEBUG=1 says which path a run took.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

const firstHandOff = 200 * time.Millisecond

func main() {
	repo := repoRoot()
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "run" && os.Getenv("PROVSTREAM_NATIVE") != "off" {
		runFast(repo, args[1:])
	}
	execNode(repo, args, "")
}

// repoRoot: this binary lives in <repo>/bin.
func repoRoot() string {
	exe, err := os.Executable()
	if err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		return filepath.Dir(filepath.Dir(exe))
	}
	return "."
}

func nodePath() string {
	if p, err := exec.LookPath("node"); err == nil {
		return p
	}
	return "/usr/bin/node"
}

func debug(format string, a ...interface{}) {
	if os.Getenv("PROVSTREAM_DEBUG") == "1" {
		fmt.Fprintf(os.Stderr, "provstream: [launcher] "+format+"\n", a...)
	}
}

// execNode replaces this process with the Node CLI (same arguments, environment and streams).
func execNode(repo string, args []string, why string) {
	if why != "" {
		debug("node wrapper (%s)", why)
	}
	node := nodePath()
	argv := append([]string{node, "--max-semi-space-size=64", filepath.Join(repo, "bin", "provstream.js")}, args...)
	err := syscall.Exec(node, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "provstream: cannot start Node.js (%s): %v\n", node, err)
	os.Exit(127)
}

type launcher struct {
	repo, node, spillDir string
	quiet                bool
}

func (l *launcher) warn(format string, a ...interface{}) {
	if l.quiet {
		return
	}
	msg := fmt.Sprintf(format, a...)
	var b strings.Builder
	for _, line := range strings.Split(msg, "\n") {
		b.WriteString("provstream: " + line + "\n")
	}
	_, _ = os.Stderr.WriteString(b.String())
}

func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if i := strings.IndexByte(kv, '='); i > 0 {
			env[kv[:i]] = kv[i+1:]
		}
	}
	return env
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var gitSteering = regexp.MustCompile(`^GIT_(DIR|CONFIG|CONFIG_GLOBAL|CONFIG_SYSTEM|CONFIG_COUNT|CONFIG_PARAMETERS)$`)

// prepared is everything known before the command starts.
type prepared struct {
	rec      rawRecord
	filter   *ignoreFilter
	before   map[string]fileStat // nil: no scan
	maxFiles int
	outGlobs [][2]string // (glob, folder it is relative to)
	declared map[string]fileStat
	known    map[string]knownVersion
}

// runFast never returns: it exits as the command did, or exec's the Node wrapper.
func runFast(repo string, args []string) {
	handOver := func(why string) { execNode(repo, append([]string{"run"}, args...), why) }
	o, ok := parseRunArgs(args)
	if !ok {
		handOver("usage")
	}
	if why := o.nodeOnly(); why != "" {
		handOver(why)
	}
	env := environ()
	home := env["HOME"]
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	spill := env["PROVSTREAM_SPILL_DIR"]
	if spill == "" {
		spill = filepath.Join(home, ".provstream", "spill")
	}
	spill, _ = filepath.Abs(spill)
	l := &launcher{repo: repo, node: nodePath(), spillDir: spill, quiet: o.Quiet}
	cwd, err := syscall.Getwd()
	if err != nil {
		handOver("no working directory")
	}
	root := findProjectRoot(cwd)
	pc, ok := loadProjectConfig(root, o.Config, cwd)
	if !ok {
		handOver("the project config is not cached yet")
	}
	if len(pc.Metrics) > 0 {
		handOver("metric extractors in the project config")
	}
	if _, err := os.Stat(filepath.Join(root, ".provstream", "fileviews.json")); err == nil {
		handOver("fileviews")
	}
	ignore := append(append([]string{}, pc.Ignore...), o.Ignore...)
	if rel := artifactName(root, spill); !strings.HasPrefix(rel, "/") {
		ignore = append(ignore, rel+"/**")
	}
	if !allSimple(ignore, pc.Inputs, pc.Outputs, o.Inputs, o.Outputs) {
		handOver("globs outside the shared subset")
	}
	debug("native")

	p, perr := l.prepare(o, pc, env, cwd, root, ignore)
	if perr != nil {
		l.warn("preparing the capture failed, the command is not affected: %v", perr)
		mirrorExit(supervise(o.Command, func() {}))
	}
	var mu sync.Mutex
	startRecorded := false
	finished := false
	res := supervise(o.Command, func() {
		time.AfterFunc(firstHandOff, func() {
			// The run is still going: hand off its start (RUNNING, inputs) so it is visible now.
			mu.Lock()
			defer mu.Unlock()
			if finished {
				return
			}
			start := p.rec
			start.Kind = "start"
			if err := writeRecord(spill, &start); err != nil {
				l.warn("recording the run failed, the command is not affected: %v", err)
				return
			}
			startRecorded = true
			if err := startDeliverer(repo, l.node, spill); err != nil {
				l.warn("starting the deliverer: %v", err)
			}
		})
	})
	mu.Lock()
	finished = true
	mu.Unlock()
	if res.SpawnError != nil {
		_, _ = os.Stderr.WriteString("provstream: " + *res.SpawnError + "\n")
	}
	if err := l.finish(p, res, startRecorded); err != nil {
		l.warn("recording the run failed, the command is not affected: %v", err)
	}
	mirrorExit(res)
}

func (l *launcher) prepare(o runOptions, pc projectConfig, env map[string]string, cwd, root string, ignore []string) (p *prepared, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	p = &prepared{filter: newIgnoreFilter(ignore), maxFiles: pc.MaxScanFiles}
	if o.Scan && pc.Scan {
		files, complete := scanTree(root, p.filter, pc.MaxScanFiles)
		if complete {
			p.before = files
		} else {
			l.warn("more than %d files under %s: outputs are not detected by scanning this time (set maxScanFiles or ignore in .provstream/config.yaml, or declare --out)", pc.MaxScanFiles, root)
		}
	}
	p.known = loadKnown(root)
	inputs := map[string]bool{}
	for _, g := range [][2][]string{{pc.Inputs, {root}}, {o.Inputs, {cwd}}} {
		for _, glob := range g[0] {
			hits := expandGlob(glob, g[1][0])
			if len(hits) == 0 {
				l.warn("input %q matches no file", glob)
			}
			for _, h := range hits {
				inputs[h] = true
			}
		}
	}
	inputList := make([]string, 0, len(inputs))
	for h := range inputs {
		inputList = append(inputList, h)
	}
	versions, err := versionFiles(root, sortedStrings(inputList), p.known)
	if err != nil {
		return nil, err
	}
	waiting := filepath.Join(l.spillDir, "run", "provstream-spill.log")
	if st, err := os.Stat(waiting); err == nil {
		brokers := env["KAFKA_BROKERS"]
		if brokers == "" {
			brokers = "127.0.0.1:19092"
		}
		list := []string{}
		for _, b := range strings.Split(brokers, ",") {
			if b = strings.TrimSpace(b); b != "" {
				list = append(list, b)
			}
		}
		l.warn("%d bytes of events of earlier runs still wait for Kafka (%s) in %s", st.Size(), strings.Join(list, ","), waiting)
	}
	for _, g := range pc.Outputs {
		p.outGlobs = append(p.outGlobs, [2]string{g, root})
	}
	for _, g := range o.Outputs {
		p.outGlobs = append(p.outGlobs, [2]string{g, cwd})
	}
	p.declared = p.statDeclared()
	agentEnv := map[string]string{}
	for k, v := range env {
		if k == "HOME" || k == "XDG_CONFIG_HOME" || k == "GIT_CONFIG_NOSYSTEM" || gitSteering.MatchString(k) {
			agentEnv[k] = v
		}
	}
	selection := append(append(append([]string{}, defaultEnvSelection...), pc.Env...), o.Env...)
	p.rec = rawRecord{
		Version: rawRecordVersion, Launcher: "native", RunUUID: newUUID(), Argv: o.Command, Cwd: cwd, Root: root,
		Name: o.Name, Params: o.Params,
		Projects:  []*string{o.Project, strPtr(env["PROVSTREAM_PROJECT"]), pc.Project},
		Agents:    []*string{o.Agent, strPtr(env["PROVSTREAM_AGENT"]), pc.Agent},
		Env:       selectEnvironment(env, selection, pc.SecretWords),
		AgentEnv:  agentEnv,
		StartTime: time.Now().UnixMilli(),
		Inputs:    versions,
	}
	return p, nil
}

func (p *prepared) statDeclared() map[string]fileStat {
	out := map[string]fileStat{}
	for _, g := range p.outGlobs {
		for _, path := range expandGlob(g[0], g[1]) {
			if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
				out[path] = statOf(st)
			}
		}
	}
	return out
}

func (l *launcher) finish(p *prepared, res outcome, startRecorded bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	rec := p.rec
	rec.Kind = "end"
	rec.StartRecorded = startRecorded
	rec.Outcome = &res
	candidates := map[string]bool{}
	if p.before != nil {
		after, complete := scanTree(rec.Root, p.filter, p.maxFiles*2)
		if !complete {
			l.warn("the tree grew too large to compare after the run: only declared outputs are captured")
		} else {
			for rel, st := range after {
				if old, ok := p.before[rel]; !ok || !sameFile(old, st) {
					candidates[filepath.Join(rec.Root, rel)] = true
				}
			}
			rec.Deleted = []string{}
			for rel := range p.before {
				if _, ok := after[rel]; !ok {
					rec.Deleted = append(rec.Deleted, rel)
				}
			}
		}
	}
	for path, st := range p.statDeclared() {
		if old, ok := p.declared[path]; !ok || !sameFile(old, st) {
			candidates[path] = true
		}
	}
	list := make([]string, 0, len(candidates))
	for c := range candidates {
		list = append(list, c)
	}
	known := p.known
	for _, in := range rec.Inputs { // the inputs' hashes are known now too
		known[in.Artifact] = knownVersion{Hash: in.Hash, Size: float64(in.Size), MtimeMs: in.MtimeMs}
	}
	if rec.Outputs, err = versionFiles(rec.Root, sortedStrings(list), known); err != nil {
		return err
	}
	if err := writeRecord(l.spillDir, &rec); err != nil {
		return err
	}
	return startDeliverer(l.repo, l.node, l.spillDir)
}
