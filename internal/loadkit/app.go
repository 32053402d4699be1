package loadkit

import (
	"fmt"
	"regexp"
	"time"
)

var (
	// The port it listens on, not PUBLIC_URL's: behind a proxy they differ.
	appReady = regexp.MustCompile(`wxcheckout is ready.* listen=\S*:(\d+) `)
	simReady = regexp.MustCompile(`wxpaysim listening.* base_url=(http://\S+)`)
)

// StartApp runs `bin` (the shop) with env and waits for its ready line; the
// URL returned is its loopback base URL. With ADDR=127.0.0.1:0 in env the
// port is the one the app picked.
func StartApp(bin string, env []string) (*Proc, string, error) {
	p, err := Start("wxcheckout", bin, nil, env)
	if err != nil {
		return nil, "", err
	}
	port, err := p.WaitLine(appReady, 60*time.Second)
	if err != nil {
		p.Kill()
		return nil, "", err
	}
	return p, "http://127.0.0.1:" + port, nil
}

// StartSim runs `bin sim` on a free loopback port with the given retry
// speed-up and returns its base URL.
func StartSim(bin string, speedup float64, env []string) (*Proc, string, error) {
	p, err := Start("wxpaysim", bin, []string{"sim", "--addr", "127.0.0.1:0", "--speedup", fmt.Sprint(speedup)}, env)
	if err != nil {
		return nil, "", err
	}
	base, err := p.WaitLine(simReady, 30*time.Second)
	if err != nil {
		p.Kill()
		return nil, "", err
	}
	return p, base, nil
}
