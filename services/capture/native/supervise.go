package main

// Runs the wrapped command as supervise.ts does with inherited streams: stdin, stdout and stderr
// are the launcher's own file descriptors (the command sees the same terminal or pipe), signals
// sent to the launcher are forwarded (on a terminal, SIGINT, SIGQUIT and SIGHUP are not: the
// terminal sent them to the whole foreground group already), and the outcome is mirrored: the
// same exit code, or the same signal raised on the launcher itself.

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

type outcome struct {
	ExitCode   *int    `json:"exitCode"`
	Signal     *string `json:"signal"`
	SpawnError *string `json:"spawnError"`
	sig        syscall.Signal
	EndTime    int64 `json:"endTime"`
}

var forwarded = []os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM}

var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT", syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP",
	syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL", syscall.SIGUSR1: "SIGUSR1",
	syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2", syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGSTKFLT: "SIGSTKFLT", syscall.SIGCHLD: "SIGCHLD", syscall.SIGCONT: "SIGCONT", syscall.SIGSTOP: "SIGSTOP", syscall.SIGTSTP: "SIGTSTP",
	syscall.SIGTTIN: "SIGTTIN", syscall.SIGTTOU: "SIGTTOU", syscall.SIGURG: "SIGURG", syscall.SIGXCPU: "SIGXCPU", syscall.SIGXFSZ: "SIGXFSZ",
	syscall.SIGVTALRM: "SIGVTALRM", syscall.SIGPROF: "SIGPROF", syscall.SIGWINCH: "SIGWINCH", syscall.SIGIO: "SIGIO", syscall.SIGPWR: "SIGPWR",
	syscall.SIGSYS: "SIGSYS",
}

func isTerminal(fd int) bool {
	_, err := ioctlGetTermios(fd)
	return err == nil
}

// supervise starts argv and waits for it; onStart runs once it is running.
func supervise(argv []string, onStart func()) outcome {
	start := time.Now().UnixMilli()
	o := outcome{}
	interactive := isTerminal(0)
	cmd := exec.Command(argv[0], argv[1:]...)
	if errors.Is(cmd.Err, exec.ErrDot) {
		cmd.Err = nil // found through a relative PATH entry: a shell runs it, so do we
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		code, msg := 126, argv[0]+": "+spawnMessage(err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			code, msg = 127, argv[0]+": command not found"
		}
		o.ExitCode, o.SpawnError = &code, &msg
		o.EndTime = maxInt64(start, time.Now().UnixMilli())
		return o
	}
	onStart()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				sig := s.(syscall.Signal)
				if interactive && (sig == syscall.SIGINT || sig == syscall.SIGQUIT || sig == syscall.SIGHUP) {
					continue
				}
				_ = cmd.Process.Signal(sig)
			case <-done:
				return
			}
		}
	}()
	_ = cmd.Wait()
	close(done)
	o.EndTime = maxInt64(start, time.Now().UnixMilli())
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		name, ok := signalNames[ws.Signal()]
		if !ok {
			name = ws.Signal().String()
		}
		o.Signal = &name
		o.sig = ws.Signal()
	} else {
		code := ws.ExitStatus()
		o.ExitCode = &code
	}
	return o
}

func spawnMessage(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// mirrorExit ends the launcher as the command ended. SIGPIPE exits 141 (128 + 13), which is what
// a shell reports for a command it killed, as the Node wrapper does.
func mirrorExit(o outcome) {
	if o.Signal != nil {
		sig := o.sig
		signalNumber := int(sig)
		if sig != syscall.SIGPIPE {
			signal.Reset(sig)
			_ = syscall.Kill(os.Getpid(), sig)
			time.Sleep(200 * time.Millisecond) // a pending signal is delivered at once; if we are still here, it did not end us
		}
		os.Exit(128 + signalNumber)
	}
	if o.ExitCode != nil {
		os.Exit(*o.ExitCode)
	}
	os.Exit(1)
}
