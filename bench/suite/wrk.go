package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrkRun measures the bare gin baseline and GET /pay/:token/status with wrk,
// an external load tool written in C, so that the client's cost is not the
// Go client's sharing the cores with the shop. wrk is not pinned: it and
// the server share the machine's cores, as the Go client does. The status
// requests rotate over the tokens of wrkOrders orders (a Lua script).
// Without wrk the run is skipped with a note, never failed.
func (s *shop) wrkRun(ctx context.Context, t *table, dir string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		fmt.Println("suite: install wrk: make bench-deps (skipping the wrk run)")
		t.notes = append(t.notes, "wrk run skipped: wrk is not installed (make bench-deps)")
		return nil
	}
	shoppers, err := s.openShoppers(ctx, 8, 1<<18)
	if err != nil {
		return err
	}
	_, placed := s.placeOrders(ctx, shoppers, wrkOrders)
	if len(placed) == 0 {
		return fmt.Errorf("wrk run: no order placed")
	}
	var lua strings.Builder
	lua.WriteString("local tokens = {")
	for i, p := range placed {
		if i > 0 {
			lua.WriteString(",")
		}
		fmt.Fprintf(&lua, "%q", p.token)
	}
	lua.WriteString("}\nlocal i = 0\nrequest = function()\n  i = i + 1\n" +
		"  return wrk.format(\"GET\", \"/pay/\" .. tokens[(i % #tokens) + 1] .. \"/status\")\nend\n")
	script := filepath.Join(dir, "status.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o644); err != nil {
		return err
	}
	base, stopBase, err := startBaseline()
	if err != nil {
		return err
	}
	baseRate, baseNote, err := wrk(ctx, s.cfg, base+"/ping")
	stopBase()
	if err != nil {
		return err
	}
	t.addRow("9 wrk: bare gin GET, constant JSON", fmt.Sprintf("%.0f req/s", baseRate), "—", baseNote)
	s.prof.start("status-wrk")
	rate, note, err := wrk(ctx, s.cfg, s.at(0)+"/pay/x/status", "-s", script)
	s.prof.stop()
	if err != nil {
		return err
	}
	t.addRow("10 wrk: GET /pay/:token/status", fmt.Sprintf("%.0f req/s", rate), "≥ 0.8× of 9",
		fmt.Sprintf("%.2f× of 9; %d tokens rotated; %s", rate/baseRate, len(placed), note))
	return nil
}

// wrkOrders is how many orders the wrk run's status requests rotate over.
const wrkOrders = 200

var (
	wrkRate   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkErrors = regexp.MustCompile(`Socket errors:[^\n]*`)
	wrkLat    = regexp.MustCompile(`Latency\s+(\S+)\s+(\S+)\s+(\S+)`)
)

// wrk runs wrk -t1 -c<clients> -d<duration> (after a warm-up of a tenth)
// and returns its requests/s; non-2xx answers are an error.
func wrk(ctx context.Context, c config, url string, args ...string) (float64, string, error) {
	run := func(d time.Duration) (string, error) {
		a := append([]string{"-t1", fmt.Sprintf("-c%d", c.clients), fmt.Sprintf("-d%ds", max(1, int(d.Seconds())))}, args...)
		out, err := exec.CommandContext(ctx, "wrk", append(a, url)...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("wrk %s: %v\n%s", strings.Join(a, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := run(c.duration / 10); err != nil {
		return 0, "", err
	}
	out, err := run(c.duration)
	if err != nil {
		return 0, "", err
	}
	m := wrkRate.FindStringSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("wrk: no Requests/sec in\n%s", out)
	}
	if n := wrkNon2xx.FindStringSubmatch(out); n != nil {
		return 0, "", fmt.Errorf("wrk %s: %s non-2xx answers\n%s", url, n[1], out)
	}
	rate, _ := strconv.ParseFloat(m[1], 64)
	note := fmt.Sprintf("wrk -t1 -c%d -d%s, not pinned", c.clients, c.duration)
	if l := wrkLat.FindStringSubmatch(out); l != nil {
		note += fmt.Sprintf(", latency avg %s", l[1])
	}
	if e := wrkErrors.FindString(out); e != "" {
		note += "; " + e
	}
	return rate, note, nil
}

func (t *table) addRow(name, measured, target, note string) {
	t.rows = append(t.rows, []string{name, measured, "", "", target, note})
}

// raiseFileLimit lifts this process's open-file limit to its hard limit:
// every open page is a connection here (the shop, a child started before,
// has the limit it inherited; -pages 10000 needs about 10,100 there).
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
