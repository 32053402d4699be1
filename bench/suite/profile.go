package main

import (
	"fmt"
	"net/http"
	"net/url"
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
