package main

// The hand-off to the Node side. The launcher writes what it observed as a "raw run record"
// (JSON) into `<spillDir>/run/raw/`, atomically, and starts the background deliverer
// (services/capture/deliver-entry.js) unless one is running; the deliverer turns each record
// into the run's provenance events with the same code as the Node wrapper (services/capture/
// raw.ts: names, parameters, agent, version numbers, the state file) and sends them to Kafka.
// Record file names sort in write order (time, pid, sequence), like pending files.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const rawRecordVersion = 1

type rawRecord struct {
	Version       int               `json:"v"`
	Kind          string            `json:"kind"` // "start" (the run is still going) or "end"
	Launcher      string            `json:"launcher"`
	RunUUID       string            `json:"runUuid"`
	Argv          []string          `json:"argv"`
	Cwd           string            `json:"cwd"`
	Root          string            `json:"root"`
	Name          *string           `json:"name"`
	Params        map[string]string `json:"params"`
	Projects      []*string         `json:"projects"` // --project, $PROVSTREAM_PROJECT, config project: the first set wins
	Agents        []*string         `json:"agents"`   // --agent, $PROVSTREAM_AGENT, config agent: the first set wins
	Env           map[string]string `json:"env"`      // the recorded selection, secrets already redacted
	AgentEnv      map[string]string `json:"agentEnv"` // what finding git's user needs (HOME, XDG_CONFIG_HOME, GIT_*)
	StartTime     int64             `json:"startTime"`
	Inputs        []fileVersion     `json:"inputs"`
	StartRecorded bool              `json:"startRecorded,omitempty"`
	Outcome       *outcome          `json:"outcome,omitempty"`
	Outputs       []fileVersion     `json:"outputs,omitempty"`
	Deleted       []string          `json:"deleted,omitempty"`
}

var recordSeq = 0

func writeRecord(spillDir string, r *rawRecord) error {
	dir := filepath.Join(spillDir, "run", "raw")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%015d-%08d-%06d.json", time.Now().UnixMilli(), os.Getpid(), recordSeq)
	recordSeq++
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// delivererRunning: a live process holds `<spillDir>/run/deliver.lock` (pending.ts).
func delivererRunning(spillDir string) bool {
	b, err := os.ReadFile(filepath.Join(spillDir, "run", "deliver.lock"))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// startDeliverer starts a detached deliverer (own session, no stdio) unless one is running.
func startDeliverer(repo, node, spillDir string) error {
	if delivererRunning(spillDir) {
		return nil
	}
	cmd := exec.Command(node, filepath.Join(repo, "dist", "services", "capture", "deliver-entry.js"))
	cmd.Env = append(os.Environ(), "PROVSTREAM_SPILL_DIR="+spillDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
