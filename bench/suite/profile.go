package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"wxcheckout/internal/loadkit"
)

// profiler brackets runs with CPU profiles of the shop when the suite runs
// with -profile (the shop is then built with -tags pprof, see pprof.go).
// The zero value does nothing.
type profiler struct {
	addr string // the shop's pprof listener
	dir  string
}

var pprofReady = regexp.MustCompile(`pprof listening on (http://\S+)`)

func newProfiler(app *loadkit.Proc, dir string) (*profiler, error) {
	if dir == "" {
		return &profiler{}, nil
	}
	addr, err := app.WaitLine(pprofReady, 5*time.Second)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &profiler{addr: addr, dir: abs}, nil
}

// start begins a CPU profile written to <dir>/<name>.pprof.
func (p *profiler) start(name string) {
	if p.addr != "" {
		p.post("/profile/start?file=" + url.QueryEscape(filepath.Join(p.dir, name+".pprof")))
	}
}

func (p *profiler) stop() {
	if p.addr != "" {
		p.post("/profile/stop")
	}
}

func (p *profiler) post(path string) {
	resp, err := http.Post(p.addr+path, "", nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
	}
	if err != nil {
		fmt.Println("suite: profile:", path, err)
	}
}

// heap writes the shop's heap profile (live objects, and with `-sample_index
// alloc_space` what was allocated) to <dir>/<name>.pprof: the memory runs
// take one with the pages open.
func (p *profiler) heap(name string) {
	if p.addr == "" {
		return
	}
	resp, err := http.Get(p.addr + "/debug/pprof/heap?gc=1")
	if err == nil {
		defer resp.Body.Close()
		var f *os.File
		if f, err = os.Create(filepath.Join(p.dir, name+".pprof")); err == nil {
			_, err = io.Copy(f, resp.Body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		fmt.Println("suite: heap profile:", err)
	}
}
