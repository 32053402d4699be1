package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"wxcheckout/internal/loadkit"
)

// serveBaseline is the physical ceiling: gin with no middleware answering a
// constant JSON of the status endpoint's shape, in its own process like the
// shop, with the same server timeouts.
func serveBaseline() {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/ping", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "NOTPAY", "out_trade_no": "20261122100000ABCDEFGH", "total_fee": 5800,
			"expired": false, "expires_at": 1795000000000})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("baseline listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second}
	_ = srv.Serve(ln)
}

var baselineReady = regexp.MustCompile(`baseline listening on (http://\S+)`)

// startBaseline runs this program again as the baseline server.
func startBaseline() (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	p, err := loadkit.Start("baseline", self, []string{"-serve-baseline"}, nil)
	if err != nil {
		return "", nil, err
	}
	url, err := p.WaitLine(baselineReady, 10*time.Second)
	if err != nil {
		p.Kill()
		return "", nil, err
	}
	return url, p.Kill, nil
}
