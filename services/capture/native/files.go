package main

// The working-tree scan, artifact names, content hashes, the state file's size/mtime cache and
// the cached project config: ports of tree.ts, files.ts, hash.ts, state.ts and project.ts that
// read what the Node wrapper writes.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

type fileStat struct {
	Size    int64   `json:"size"`
	MtimeMs float64 `json:"mtimeMs"`
	Ino     uint64  `json:"ino"`
}

// mtimeMs as Node computes Stats.mtimeMs (sec * 1000 + nsec / 1e6, in doubles), so that the
// values Node wrote to the state file and the config cache compare equal.
func statOf(st os.FileInfo) fileStat {
	sys := st.Sys().(*syscall.Stat_t)
	return fileStat{Size: st.Size(), MtimeMs: float64(sys.Mtim.Sec)*1000 + float64(sys.Mtim.Nsec)/1e6, Ino: uint64(sys.Ino)}
}

func sameFile(a, b fileStat) bool {
	return a.Size == b.Size && a.MtimeMs == b.MtimeMs && a.Ino == b.Ino
}

var alwaysSkipped = map[string]bool{".git": true, "node_modules": true, ".provstream": true}

// scanTree: regular files under root (relative `/` paths), skipping .git, node_modules,
// .provstream, ignored paths and symbolic links; complete=false past maxFiles.
func scanTree(root string, filter *ignoreFilter, maxFiles int) (files map[string]fileStat, complete bool) {
	files = map[string]fileStat{}
	type item struct{ dir, prefix string }
	r := strings.TrimRight(root, "/")
	if r == "" {
		r = "/"
	}
	stack := []item{{r, ""}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries, err := os.ReadDir(it.dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			rel := it.prefix + e.Name()
			t := e.Type()
			if t.IsDir() {
				if !alwaysSkipped[e.Name()] && !filter.ignored(rel, e.Name()) {
					stack = append(stack, item{it.dir + "/" + e.Name(), rel + "/"})
				}
			} else if t.IsRegular() && !filter.ignored(rel, e.Name()) {
				if len(files) >= maxFiles {
					return files, false
				}
				if st, err := os.Stat(it.dir + "/" + e.Name()); err == nil {
					files[rel] = statOf(st)
				}
			}
		}
	}
	return files, true
}

// artifactName: the path relative to the root with `/`, or the absolute path outside it.
func artifactName(root, abs string) string {
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return abs
	}
	return filepath.ToSlash(rel)
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

type knownVersion struct {
	Hash    string  `json:"hash"`
	Size    float64 `json:"size"`
	MtimeMs float64 `json:"mtimeMs"`
}

// loadKnown reads `.provstream/state.json` for its size/mtime cache of hashes (a missing or
// malformed file is an empty cache: the state is a cache).
func loadKnown(root string) map[string]knownVersion {
	var s struct {
		Artifacts map[string]knownVersion `json:"artifacts"`
	}
	if b, err := os.ReadFile(filepath.Join(root, ".provstream", "state.json")); err == nil {
		_ = json.Unmarshal(b, &s)
	}
	if s.Artifacts == nil {
		return map[string]knownVersion{}
	}
	return s.Artifacts
}

// fileVersion is what the Node side needs to number a version: the content hash and the stat.
type fileVersion struct {
	Path     string  `json:"path"`
	Artifact string  `json:"artifact"`
	Hash     string  `json:"hash"`
	Size     int64   `json:"size"`
	MtimeMs  float64 `json:"mtimeMs"`
}

// versionFiles hashes each file unless the state knows it at the same size and mtime.
func versionFiles(root string, paths []string, known map[string]knownVersion) ([]fileVersion, error) {
	out := []fileVersion{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		s := statOf(st)
		artifact := artifactName(root, p)
		hash := ""
		if k, ok := known[artifact]; ok && k.Size == float64(s.Size) && k.MtimeMs == s.MtimeMs {
			hash = k.Hash
		} else if hash, err = hashFile(p); err != nil {
			return nil, err
		}
		out = append(out, fileVersion{Path: p, Artifact: artifact, Hash: hash, Size: s.Size, MtimeMs: s.MtimeMs})
	}
	return out, nil
}

func findProjectRoot(cwd string) string {
	for _, marker := range []string{".provstream", ".git"} {
		dir := filepath.Clean(cwd)
		for {
			if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
				return dir
			}
			up := filepath.Dir(dir)
			if up == dir {
				break
			}
			dir = up
		}
	}
	return filepath.Clean(cwd)
}

type projectConfig struct {
	Project      *string           `json:"project"`
	Agent        *string           `json:"agent"`
	Env          []string          `json:"env"`
	SecretWords  []string          `json:"secretWords"`
	Inputs       []string          `json:"inputs"`
	Outputs      []string          `json:"outputs"`
	Ignore       []string          `json:"ignore"`
	Scan         bool              `json:"scan"`
	MaxScanFiles int               `json:"maxScanFiles"`
	Metrics      []json.RawMessage `json:"metrics"`
}

// loadProjectConfig: the defaults when the project has no config file, else the JSON cache the
// Node wrapper keeps of it (project.ts). ok=false when there is a config but no cache that
// matches its path, size and mtime: the Node wrapper then parses and checks it (and refreshes
// the cache, so the next run is fast again).
func loadProjectConfig(root string, explicit *string, cwd string) (cfg projectConfig, ok bool) {
	cfg = projectConfig{Scan: true, MaxScanFiles: 200000}
	source := ""
	if explicit != nil {
		source = *explicit
		if !filepath.IsAbs(source) {
			source = filepath.Join(cwd, source)
		}
	} else {
		for _, n := range []string{"config.yaml", "config.yml", "config.json"} {
			p := filepath.Join(root, ".provstream", n)
			if _, err := os.Stat(p); err == nil {
				source = p
				break
			}
		}
	}
	if source == "" {
		return cfg, true
	}
	st, err := os.Stat(source)
	if err != nil {
		return cfg, false
	}
	b, err := os.ReadFile(filepath.Join(root, ".provstream", "cache", "config.json"))
	if err != nil {
		return cfg, false
	}
	var entry struct {
		Source  string         `json:"source"`
		Size    float64        `json:"size"`
		MtimeMs float64        `json:"mtimeMs"`
		Config  *projectConfig `json:"config"`
	}
	if json.Unmarshal(b, &entry) != nil || entry.Config == nil {
		return cfg, false
	}
	s := statOf(st)
	if entry.Source != source || entry.Size != float64(s.Size) || entry.MtimeMs != s.MtimeMs {
		return cfg, false
	}
	return *entry.Config, true
}
