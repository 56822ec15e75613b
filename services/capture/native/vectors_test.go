package main

// The Go ports against the vectors that services/capture/native-vectors.test.ts checks against
// the TypeScript originals (and picomatch).

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

func load(t *testing.T, name string, v interface{}) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsVectors(t *testing.T) {
	var cases []struct {
		Args    []string `json:"args"`
		OK      bool     `json:"ok"`
		Options *struct {
			runOptions
			FlushTimeout bool `json:"flushTimeout"`
		} `json:"options"`
	}
	load(t, "options.json", &cases)
	if len(cases) < 20 {
		t.Fatalf("only %d option vectors", len(cases))
	}
	for _, c := range cases {
		o, ok := parseRunArgs(c.Args)
		if ok && !c.OK && o.FlushTimeout != nil && o.nodeOnly() != "" {
			continue // --flush-timeout's value is checked by the Node wrapper, which takes every run with it
		}
		if ok != c.OK {
			t.Errorf("%q: ok=%v, want %v", c.Args, ok, c.OK)
			continue
		}
		if !ok {
			continue
		}
		want := c.Options.runOptions
		want.FlushTimeout = o.FlushTimeout
		if (o.FlushTimeout != nil) != c.Options.FlushTimeout {
			t.Errorf("%q: flush-timeout set=%v, want %v", c.Args, o.FlushTimeout != nil, c.Options.FlushTimeout)
		}
		if !reflect.DeepEqual(o, want) {
			t.Errorf("%q:\n got %+v\nwant %+v", c.Args, o, want)
		}
	}
}

func TestEnvVectors(t *testing.T) {
	var cases []struct {
		Env       map[string]string `json:"env"`
		Selection []string          `json:"selection"`
		Extra     []string          `json:"extra"`
		Expect    map[string]string `json:"expect"`
	}
	load(t, "env.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no env vectors")
	}
	for i, c := range cases {
		got := selectEnvironment(c.Env, c.Selection, c.Extra)
		if !reflect.DeepEqual(got, c.Expect) {
			t.Errorf("case %d:\n got %v\nwant %v", i, got, c.Expect)
		}
	}
}

func TestGlobVectors(t *testing.T) {
	var cases []struct {
		Glob  string `json:"glob"`
		Path  string `json:"path"`
		Match bool   `json:"match"`
	}
	load(t, "globs.json", &cases)
	if len(cases) < 100 {
		t.Fatalf("only %d glob vectors", len(cases))
	}
	for _, c := range cases {
		if !simpleGlob(c.Glob) {
			t.Errorf("%q is in the vectors but not in the launcher's subset", c.Glob)
		}
		if got := globMatch(c.Glob, c.Path); got != c.Match {
			t.Errorf("glob %q path %q: %v, picomatch says %v", c.Glob, c.Path, got, c.Match)
		}
	}
}

func TestOutsideTheSubset(t *testing.T) {
	for _, g := range []string{"*.{js,ts}", "[ab].txt", "!x", "+(a)", "a\\*b", "./a", "../a", "/abs/*", "a/", "a**", "", "a//b"} {
		if simpleGlob(g) {
			t.Errorf("%q should go to the Node wrapper", g)
		}
	}
}
