// Package loadkit drives a real wxcheckout from outside, the way shoppers and
// operators do: it builds the binary, runs it (and the standalone simulator)
// as child processes, plays shoppers over HTTP and summarises latencies. The
// crash test, the load generator and the benchmark suite share it.
package loadkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Build compiles the main package in moduleDir to out with extra go build
// flags (the crash test adds -race when it runs with -race, so that the
// compiled packages are reused and the child is race-checked).
func Build(ctx context.Context, moduleDir, out string, flags ...string) error {
	args := append([]string{"build", "-o", out}, flags...)
	cmd := exec.CommandContext(ctx, goTool(), append(args, ".")...)
	cmd.Dir = moduleDir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, b)
	}
	return nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// Proc is a child process in its own process group, with its output read
// line by line: the last lines are kept for diagnostics, the rest dropped
// (a busy app logs one line per request).
type Proc struct {
	Name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, set before done closes

	mu      sync.Mutex
	tail    []string
	lines   int
	matched map[*regexp.Regexp]chan string
	races   int
}

const tailLines = 200

// Start runs bin with args and env (added to a minimal environment).
func Start(name, bin string, args, env []string) (*Proc, error) {
	p := &Proc{Name: name, done: make(chan struct{}), matched: make(map[*regexp.Regexp]chan string)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go p.read(r)
	go func() {
		p.err = p.cmd.Wait()
		w.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *Proc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.lines++
		if len(p.tail) == tailLines {
			p.tail = p.tail[1:]
		}
		p.tail = append(p.tail, line)
		if strings.Contains(line, "WARNING: DATA RACE") {
			p.races++
		}
		for re, ch := range p.matched {
			if m := re.FindStringSubmatch(line); m != nil {
				ch <- m[len(m)-1]
				delete(p.matched, re)
			}
		}
		p.mu.Unlock()
	}
	io.Copy(io.Discard, r)
}

// WaitLine waits for an output line matching re (one already among the
// kept lines counts) and returns its last submatch (or the whole match).
func (p *Proc) WaitLine(re *regexp.Regexp, timeout time.Duration) (string, error) {
	ch := make(chan string, 1)
	p.mu.Lock()
	for _, line := range p.tail {
		if m := re.FindStringSubmatch(line); m != nil {
			p.mu.Unlock()
			return m[len(m)-1], nil
		}
	}
	p.matched[re] = ch
	p.mu.Unlock()
	select {
	case m := <-ch:
		return m, nil
	case <-p.done:
		return "", fmt.Errorf("%s exited (%v) before printing %q\n%s", p.Name, p.err, re, p.Tail())
	case <-time.After(timeout):
		return "", fmt.Errorf("%s printed no %q within %s\n%s", p.Name, re, timeout, p.Tail())
	}
}

// Tail is the last lines the process printed.
func (p *Proc) Tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// Races counts the race detector's reports in the output.
func (p *Proc) Races() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.races
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Kill sends SIGKILL to the whole process group, like kill -9, and waits
// for the process to be gone.
func (p *Proc) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Stop asks the process to shut down (SIGTERM) and waits up to timeout;
// past it the group is killed. The error is a non-zero exit or the timeout.
func (p *Proc) Stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.exitError()
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return p.exitError()
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed", p.Name, timeout)
	}
}

func (p *Proc) exitError() error {
	if p.err != nil {
		return fmt.Errorf("%s: %w", p.Name, p.err)
	}
	return nil
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// RSS is the process's resident set size in bytes, from /proc.
func (p *Proc) RSS() (int64, error) { return ProcStatusBytes(p.cmd.Process.Pid, "VmRSS") }

// ProcStatusBytes reads a "kB" field of /proc/<pid>/status (Linux only):
// VmRSS is the resident set now, VmHWM its peak.
func ProcStatusBytes(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, errors.New("no " + field + " in /proc status")
}
