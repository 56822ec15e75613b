package main

// The wrapper's own options: the same grammar as services/capture/core/options.ts (options
// first; the command starts after `--` or at the first token that is not an option). The
// shared vectors in testdata/options.json keep the two parsers in step.

import (
	"regexp"
	"strings"
)

type runOptions struct {
	Command      []string          `json:"command"`
	Inputs       []string          `json:"inputs"`
	Outputs      []string          `json:"outputs"`
	Agent        *string           `json:"agent"`
	Project      *string           `json:"project"`
	Name         *string           `json:"name"`
	Params       map[string]string `json:"params"`
	Env          []string          `json:"env"`
	MetricRegex  []string          `json:"metricRegex"`
	MetricJsonl  bool              `json:"metricJsonl"`
	MetricStream *string           `json:"metricStream"`
	Ignore       []string          `json:"ignore"`
	Scan         bool              `json:"scan"`
	Config       *string           `json:"config"`
	FlushTimeout *int              `json:"flushTimeoutMs"`
	Wait         bool              `json:"wait"`
	Quiet        bool              `json:"quiet"`
	Help         bool              `json:"help"`
}

var optionToken = regexp.MustCompile(`^--?([a-z][a-z-]*)(?:=([\s\S]*))?$`)

var valueOptions = map[string]bool{"in": true, "out": true, "agent": true, "project": true, "name": true, "param": true, "env": true, "metric-regex": true, "metric-stream": true, "ignore": true, "config": true, "flush-timeout": true}

// parseRunArgs returns the options, or ok=false when the arguments are not valid: the Node
// wrapper then reports the problem in its own words (this parser never prints).
func parseRunArgs(args []string) (o runOptions, ok bool) {
	o = runOptions{Params: map[string]string{}, Scan: true, Inputs: []string{}, Outputs: []string{}, Env: []string{}, MetricRegex: []string{}, Ignore: []string{}}
	i := 0
	for ; i < len(args); i++ {
		token := args[i]
		if token == "--" {
			i++
			break
		}
		m := optionToken.FindStringSubmatchIndex(token)
		if m == nil {
			break
		}
		name := token[m[2]:m[3]]
		hasValue := m[4] >= 0
		value := ""
		if hasValue {
			value = token[m[4]:m[5]]
		}
		switch name {
		case "quiet", "q", "no-scan", "metric-jsonl", "wait", "help", "h":
			if hasValue {
				return o, false
			}
			switch name {
			case "quiet", "q":
				o.Quiet = true
			case "no-scan":
				o.Scan = false
			case "metric-jsonl":
				o.MetricJsonl = true
			case "wait":
				o.Wait = true
			default:
				o.Help = true
			}
			continue
		}
		if !valueOptions[name] || (!strings.HasPrefix(token, "--") && len(name) > 1) {
			return o, false
		}
		if !hasValue {
			if i+1 >= len(args) {
				return o, false
			}
			i++
			value = args[i]
		}
		if !setValue(&o, name, value) {
			return o, false
		}
	}
	o.Command = append([]string{}, args[i:]...)
	if len(o.Command) == 0 && !o.Help {
		return o, false
	}
	return o, true
}

func setValue(o *runOptions, name, value string) bool {
	v := value
	switch name {
	case "in":
		o.Inputs = append(o.Inputs, value)
	case "out":
		o.Outputs = append(o.Outputs, value)
	case "env":
		o.Env = append(o.Env, value)
	case "metric-regex":
		o.MetricRegex = append(o.MetricRegex, value)
	case "ignore":
		o.Ignore = append(o.Ignore, value)
	case "agent":
		o.Agent = &v
	case "project":
		o.Project = &v
	case "name":
		o.Name = &v
	case "config":
		o.Config = &v
	case "param":
		eq := strings.Index(value, "=")
		if eq <= 0 {
			return false
		}
		o.Params[value[:eq]] = value[eq+1:]
	case "metric-stream":
		if value != "stdout" && value != "stderr" && value != "both" {
			return false
		}
		o.MetricStream = &v
	default: // flush-timeout: checked by the Node wrapper, which --flush-timeout always goes to
		n := 0
		o.FlushTimeout = &n
	}
	return true
}

// nodeOnly says why these options need the Node wrapper ("" when they do not): metric
// extractors read the command's output in JavaScript regex semantics, --wait delivers to Kafka
// inline (the Kafka client is Node's), --help and --flush-timeout are its text and checks.
func (o *runOptions) nodeOnly() string {
	switch {
	case o.Help:
		return "--help"
	case len(o.MetricRegex) > 0 || o.MetricJsonl || o.MetricStream != nil:
		return "metric extractors"
	case o.Wait:
		return "--wait"
	case o.FlushTimeout != nil:
		return "--flush-timeout"
	}
	return ""
}
