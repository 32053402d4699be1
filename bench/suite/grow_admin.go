package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// admin is a signed-in admin session on one shop instance.
type admin struct {
	base string
	c    *http.Client
}

const suiteAdminPassword = "suite-admin-password"

// login signs in through /admin/login as a browser does: the form's GET
// sets the CSRF cookie the POST sends back.
func login(ctx context.Context, base string) (*admin, error) {
	jar, _ := cookiejar.New(nil)
	a := &admin{base: base, c: &http.Client{Jar: jar, Timeout: 5 * time.Minute}}
	if _, _, err := a.get(ctx, "/admin/login"); err != nil {
		return nil, err
	}
	u, _ := url.Parse(base)
	var csrf string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "csrf" {
			csrf = ck.Value
		}
	}
	form := url.Values{"password": {suiteAdminPassword}, "csrf_token": {csrf}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK { // after the redirect to the console
		return nil, fmt.Errorf("admin login: HTTP %d", resp.StatusCode)
	}
	return a, nil
}

// get fetches path and returns the body and how long the whole answer took.
func (a *admin) get(ctx context.Context, path string) ([]byte, time.Duration, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	t0 := time.Now()
	resp, err := a.c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	d := time.Since(t0)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return b, d, err
}

// warm is the median of n timed GETs of path after one untimed.
func (a *admin) warm(ctx context.Context, path string, n int) (time.Duration, error) {
	if _, _, err := a.get(ctx, path); err != nil {
		return 0, err
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		_, d, err := a.get(ctx, path)
		if err != nil {
			return 0, err
		}
		ds[i] = d
	}
	slices.Sort(ds)
	return ds[n/2], nil
}

var olderLink = regexp.MustCompile(`[?&;]older=([^"&]+)`)

// olderKey is the ?older= value of a list page's "next page" link.
func olderKey(page []byte) (string, bool) {
	m := olderLink.FindSubmatch(page)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}

// csv downloads the whole export and counts its lines.
func (a *admin) csv(ctx context.Context) (rows int, d time.Duration, trailer string, err error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/admin/orders.csv", nil)
	t0 := time.Now()
	resp, err := a.c.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, "", fmt.Errorf("GET /admin/orders.csv: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rows++
		trailer = sc.Text()
	}
	return rows, time.Since(t0), trailer, sc.Err()
}

// cpuTime is a process's user+system CPU time, from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command's closing parenthesis; utime and stime
	// are the 14th and 15th of the line (clock ticks of 1/100 s on Linux).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// dropCaches empties the OS page cache (root only); false when it cannot.
func dropCaches() bool {
	f, err := os.OpenFile("/proc/sys/vm/drop_caches", os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	syscall.Sync()
	_, err = f.WriteString("3\n")
	return err == nil
}
