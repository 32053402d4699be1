//go:build pprof

package main

// Built with -tags pprof (the benchmark suite's -profile flag does it), the
// shop serves net/http/pprof on PPROF_ADDR, apart from its own routes, plus
// /profile/start?file=… and /profile/stop to bracket a benchmark run with a
// CPU profile. The default build has none of this.

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime/pprof"
	"sync"
)

func init() {
	addr := os.Getenv("PPROF_ADDR")
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "PPROF_ADDR:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var out *os.File
	http.HandleFunc("POST /profile/start", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.Create(r.URL.Query().Get("file"))
		if err == nil {
			if err = pprof.StartCPUProfile(f); err != nil {
				f.Close()
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out = f
	})
	http.HandleFunc("POST /profile/stop", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if out != nil {
			pprof.StopCPUProfile()
			out.Close()
			out = nil
		}
	})
	fmt.Printf("pprof listening on http://%s\n", ln.Addr())
	go http.Serve(ln, nil)
}
