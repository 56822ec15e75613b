package main

// Which environment variables a run records, and redaction of secrets: a port of
// services/capture/core/environment.ts (testdata/env.json holds vectors both must pass). The
// selection is made here, before anything is written to disk, so unselected variables and
// secret values never leave the process.

import (
	"regexp"
	"sort"
	"strings"
)

const redacted = "<redacted>"

var defaultEnvSelection = []string{
	"USER", "HOSTNAME", "SHELL", "LANG", "LC_ALL", "TZ",
	"PYTHONPATH", "PYTHONHASHSEED", "VIRTUAL_ENV", "CONDA_DEFAULT_ENV", "CONDA_PREFIX",
	"CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NODE_ENV",
	"SLURM_JOB_ID", "SLURM_ARRAY_TASK_ID", "CI", "GITHUB_SHA", "GITHUB_RUN_ID",
	"PROVSTREAM_*",
}

var secretWords = wordSet("KEY", "KEYS", "APIKEY", "TOKEN", "TOKENS", "SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "PASS",
	"PASSPHRASE", "PWD", "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH", "AUTHORIZATION", "PRIVATE", "SESSION",
	"COOKIE", "SIGNATURE", "SALT", "DSN", "JWT", "BEARER", "OTP")
var secretInfixes = []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "APIKEY", "PRIVATEKEY", "ACCESSKEY"}

func wordSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

var (
	camelBoundary = regexp.MustCompile(`([a-z])([A-Z])`)
	nonLetters    = regexp.MustCompile(`[^A-Za-z]+`)
	// JavaScript's \s, spelled out (Go's \s is ASCII only).
	jsSpace  = `\t\n\x0b\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`
	urlCreds = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^` + jsSpace + `:/@]*:)([^` + jsSpace + `@/]+)@`)
)

func nameWords(name string) []string {
	parts := nonLetters.Split(camelBoundary.ReplaceAllString(name, "${1}_${2}"), -1)
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, strings.ToUpper(p))
		}
	}
	return out
}

func isSecretName(name string, extra []string) bool {
	upper := strings.ToUpper(name)
	if upper == "PWD" || upper == "OLDPWD" {
		return false
	}
	for _, w := range nameWords(name) {
		if secretWords[w] {
			return true
		}
		for _, e := range extra {
			if strings.ToUpper(e) == w {
				return true
			}
		}
	}
	squashed := nonLettersUpper.ReplaceAllString(upper, "")
	for _, s := range secretInfixes {
		if strings.Contains(squashed, s) {
			return true
		}
	}
	return false
}

var nonLettersUpper = regexp.MustCompile(`[^A-Z]`)

func redactURLCredentials(value string) string {
	return urlCreds.ReplaceAllString(value, "${1}"+redacted+"@")
}

func nameGlob(glob string) *regexp.Regexp {
	body := regexp.QuoteMeta(glob)
	body = strings.ReplaceAll(body, `\*`, ".*")
	body = strings.ReplaceAll(body, `\?`, ".")
	return regexp.MustCompile("^(?:" + body + ")$")
}

// selectEnvironment: the variables whose names match a selection glob, secrets redacted.
func selectEnvironment(env map[string]string, selection []string, extraSecretWords []string) map[string]string {
	globs := make([]*regexp.Regexp, len(selection))
	for i, s := range selection {
		globs[i] = nameGlob(s)
	}
	names := make([]string, 0, len(env))
	for n := range env {
		names = append(names, n)
	}
	sort.Strings(names)
	out := map[string]string{}
	for _, name := range names {
		matched := false
		for _, g := range globs {
			if g.MatchString(name) {
				matched = true
				break
			}
		}
		if !matched {
			continue
		}
		if isSecretName(name, extraSecretWords) {
			out[name] = redacted
		} else {
			out[name] = redactURLCredentials(env[name])
		}
	}
	return out
}
