package main

// Path globs of the scan's ignore list (picomatch in the Node wrapper) and of declared inputs and
// outputs (tinyglobby), for the subset of the syntax whose meaning the two libraries share:
// literal characters, `*` and `?` (never `/`; dot files included, as both are configured), and
// `**` as a whole path segment (any number of segments, none included). A glob using anything
// else (classes, braces, extglobs, negation, escapes, `./`, `..`, absolute paths) makes the
// launcher hand the run to the Node wrapper, so every glob keeps its library's exact meaning.
// testdata/globs.json holds vectors that a TypeScript test checks against picomatch.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// simpleGlob reports whether the glob is in the subset described above.
func simpleGlob(g string) bool {
	if g == "" || strings.ContainsAny(g, "[]{}()!+@\\,") || strings.HasPrefix(g, "/") || strings.HasSuffix(g, "/") {
		return false
	}
	for _, seg := range strings.Split(g, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		if strings.Contains(seg, "**") && seg != "**" {
			return false
		}
	}
	return true
}

func allSimple(lists ...[]string) bool {
	for _, l := range lists {
		for _, g := range l {
			if !simpleGlob(g) {
				return false
			}
		}
	}
	return true
}

// globMatch matches a `/`-separated relative path against a simple glob.
func globMatch(glob, path string) bool {
	return matchSegments(strings.Split(glob, "/"), strings.Split(path, "/"))
}

func matchSegments(g, p []string) bool {
	for len(g) > 0 {
		if g[0] == "**" {
			if len(g) == 1 {
				return true
			}
			for i := 0; i <= len(p); i++ {
				if matchSegments(g[1:], p[i:]) {
					return true
				}
			}
			return false
		}
		if len(p) == 0 || !matchSegment(g[0], p[0]) {
			return false
		}
		g, p = g[1:], p[1:]
	}
	return len(p) == 0
}

// matchSegment: `*` any run of characters, `?` exactly one (a character, not a byte).
func matchSegment(g, s string) bool {
	gr, sr := []rune(g), []rune(s)
	gi, si, star, mark := 0, 0, -1, 0
	for si < len(sr) {
		switch {
		case gi < len(gr) && (gr[gi] == '?' || gr[gi] == sr[si]):
			gi++
			si++
		case gi < len(gr) && gr[gi] == '*':
			star, mark = gi, si
			gi++
		case star >= 0:
			gi, mark = star+1, mark+1
			si = mark
		default:
			return false
		}
	}
	for gi < len(gr) && gr[gi] == '*' {
		gi++
	}
	return gi == len(gr)
}

// ignoreFilter: true for ignored paths. A glob set without any `/` also matches a bare name at
// any depth (the scan's .gitignore-like rule in tree.ts).
type ignoreFilter struct {
	globs   []string
	noSlash bool
}

func newIgnoreFilter(globs []string) *ignoreFilter {
	if len(globs) == 0 {
		return nil
	}
	noSlash := true
	for _, g := range globs {
		if strings.Contains(g, "/") {
			noSlash = false
		}
	}
	return &ignoreFilter{globs: globs, noSlash: noSlash}
}

func (f *ignoreFilter) ignored(rel, name string) bool {
	if f == nil {
		return false
	}
	for _, g := range f.globs {
		if globMatch(g, rel) || (f.noSlash && globMatch(g, name)) {
			return true
		}
	}
	return false
}

// expandGlob: absolute paths of the files (symbolic links to files included) a simple glob
// matches under cwd. Symbolic links to folders are not descended into.
func expandGlob(glob, cwd string) []string {
	segs := strings.Split(glob, "/")
	fixed := 0
	for fixed < len(segs) && !strings.ContainsAny(segs[fixed], "*?") {
		fixed++
	}
	base := filepath.Join(append([]string{cwd}, segs[:fixed]...)...)
	if fixed == len(segs) {
		if st, err := os.Stat(base); err == nil && st.Mode().IsRegular() {
			return []string{base}
		}
		return nil
	}
	rest := segs[fixed:]
	maxDepth := len(rest) // without `**`, deeper paths cannot match
	for _, s := range rest {
		if s == "**" {
			maxDepth = -1
		}
	}
	var out []string
	var walk func(dir, rel string, depth int)
	walk = func(dir, rel string, depth int) {
		if maxDepth >= 0 && depth > maxDepth {
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			r := e.Name()
			if rel != "" {
				r = rel + "/" + e.Name()
			}
			full := dir + "/" + e.Name()
			t := e.Type()
			if t&os.ModeSymlink != 0 {
				st, err := os.Stat(full)
				if err != nil || !st.Mode().IsRegular() {
					continue
				}
				t = 0
			}
			if t.IsDir() {
				walk(full, r, depth+1)
			} else if t.IsRegular() && matchSegments(rest, strings.Split(r, "/")) {
				out = append(out, full)
			}
		}
	}
	walk(base, "", 1)
	sort.Strings(out)
	return out
}
