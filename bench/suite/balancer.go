package main

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// balancer is the round-robin reverse proxy in front of several instances:
// their PUBLIC_URL, so it is where the standalone simulator sends
// notifications. The suite's own clients skip it and spread over the
// instances themselves, which costs the shared cores less.
type balancer struct {
	url  string
	srv  *http.Server
	mu   sync.Mutex
	to   []*httputil.ReverseProxy
	next atomic.Uint64
}

func startBalancer() (*balancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &balancer{url: "http://" + ln.Addr().String()}
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

// set gives the instances' URLs once they are up.
func (b *balancer) set(urls []string) {
	to := make([]*httputil.ReverseProxy, len(urls))
	for i, u := range urls {
		pu, _ := url.Parse(u)
		to[i] = httputil.NewSingleHostReverseProxy(pu)
	}
	b.mu.Lock()
	b.to = to
	b.mu.Unlock()
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	to := b.to
	b.mu.Unlock()
	if len(to) == 0 {
		http.Error(w, "no instance yet", http.StatusBadGateway)
		return
	}
	to[b.next.Add(1)%uint64(len(to))].ServeHTTP(w, r)
}

func (b *balancer) close() { b.srv.Close() }
