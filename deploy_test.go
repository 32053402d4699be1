package main

// The container, systemd and proxy files cannot be built or run here (no
// image registry, no systemd): these tests check what they say against
// what the app does.

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"wxcheckout/config"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// documentedVars are the names in the first column of the README's
// Configuration table.
func documentedVars(t *testing.T) map[string]bool {
	t.Helper()
	readme := readFile(t, "README.md")
	start := strings.Index(readme, "## Configuration")
	if start < 0 {
		t.Fatal("README has no Configuration section")
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end > 0 {
		section = section[:end+3]
	}
	vars := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range regexp.MustCompile("`([A-Z0-9_]+)`").FindAllStringSubmatch(first, -1) {
			vars[m[1]] = true
		}
	}
	return vars
}

// configSource is the config package's code, where every variable the
// app reads is named.
func configSource(t *testing.T) string {
	t.Helper()
	entries, err := os.ReadDir("config")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			b.WriteString(readFile(t, "config/"+e.Name()))
		}
	}
	return b.String()
}

func checkKnownVars(t *testing.T, file string, names []string) {
	t.Helper()
	if len(names) == 0 {
		t.Fatalf("%s: no variables found", file)
	}
	documented, src := documentedVars(t), configSource(t)
	for _, n := range names {
		if !documented[n] {
			t.Errorf("%s sets %s, which the README's Configuration table does not list", file, n)
		}
		if !strings.Contains(src, `"`+n+`"`) {
			t.Errorf("%s sets %s, which config/ never reads", file, n)
		}
	}
}

// dockerfileEnv is the Dockerfile's ENV settings (one ENV spanning lines).
func dockerfileEnv(t *testing.T) map[string]string {
	df := strings.ReplaceAll(readFile(t, "Dockerfile"), "\\\n", " ")
	env := map[string]string{}
	for _, line := range strings.Split(df, "\n") {
		if rest, ok := strings.CutPrefix(line, "ENV "); ok {
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
	}
	return env
}

func TestDockerfile(t *testing.T) {
	env := dockerfileEnv(t)
	checkKnownVars(t, "Dockerfile", slices.Sorted(func(yield func(string) bool) {
		for k := range env {
			if !yield(k) {
				return
			}
		}
	}))
	df := readFile(t, "Dockerfile")
	for _, want := range []string{"FROM golang:", "CGO_ENABLED=1", "FROM debian:bookworm-slim", "USER 10001", "VOLUME /data",
		`CMD ["/usr/local/bin/wxcheckout", "healthcheck"]`, `ENTRYPOINT ["/usr/local/bin/wxcheckout"]`} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The image's defaults are honest: without a merchant they refuse to
	// expose the simulator, with SIMULATOR_PUBLIC=1 they run the demo.
	get := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return env[k]
		}
	}
	if _, err := config.Load(get(nil)); err == nil || !strings.Contains(err.Error(), "SIMULATOR_PUBLIC") {
		t.Errorf("the image's defaults without a merchant: %v, want a refusal naming SIMULATOR_PUBLIC", err)
	}
	if c, err := config.Load(get(map[string]string{"SIMULATOR_PUBLIC": "1"})); err != nil || c.DatabaseURL != "sqlite:/data/wxcheckout.db" {
		t.Errorf("the image's demo: %+v, %v", c.DatabaseURL, err)
	}
	// The commands the image runs exist.
	var out bytes.Buffer
	must(t, run(context.Background(), []string{"help"}, func(string) string { return "" }, &out))
	for _, cmd := range []string{"wxcheckout [serve]", "wxcheckout healthcheck", "wxcheckout backup FILE"} {
		if !strings.Contains(out.String(), cmd) {
			t.Errorf("usage lacks %q", cmd)
		}
	}
	ignore := readFile(t, ".dockerignore")
	for _, want := range []string{"*.db", ".git"} {
		if !strings.Contains(ignore, want) {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}

// TestComposeFile: the app's environment is the app's variables, its
// DATABASE_URL is a PostgreSQL URL the app accepts, and PostgreSQL has a
// health check the app waits for.
func TestComposeFile(t *testing.T) {
	compose := readFile(t, "docker-compose.yml")
	app := compose[strings.Index(compose, "\n  app:"):]
	envBlock := app[strings.Index(app, "    environment:\n")+len("    environment:\n"):]
	var names []string
	vars := map[string]string{}
	for _, line := range strings.Split(envBlock, "\n") {
		if !strings.HasPrefix(line, "      ") {
			break
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("compose environment line %q", line)
		}
		names = append(names, k)
		// ${X:?…} and ${X:-default}: a value as the .env would give it.
		vars[k] = regexp.MustCompile(`\$\{([A-Z_]+)(:[-?][^}]*)?\}`).ReplaceAllString(strings.Trim(v, `"`), "x")
	}
	checkKnownVars(t, "docker-compose.yml", names)
	u, err := config.LoadDatabaseURL(func(k string) string { return vars[k] })
	if err != nil || !strings.HasPrefix(u, "postgres://") {
		t.Errorf("compose DATABASE_URL %q: %v", vars["DATABASE_URL"], err)
	}
	for _, want := range []string{"image: postgres:16", "pg_isready", "condition: service_healthy", "pgdata:/var/lib/postgresql/data"} {
		if !strings.Contains(compose, want) {
			t.Errorf("docker-compose.yml lacks %q", want)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := readFile(t, "deploy/wxcheckout.service")
	var names []string
	var exec []string
	for _, line := range strings.Split(unit, "\n") {
		if rest, ok := strings.CutPrefix(line, "Environment="); ok {
			k, _, _ := strings.Cut(rest, "=")
			names = append(names, k)
		}
		if rest, ok := strings.CutPrefix(line, "ExecStart="); ok {
			exec = strings.Fields(rest)
		}
	}
	checkKnownVars(t, "deploy/wxcheckout.service", names)
	if len(exec) != 2 || !strings.HasSuffix(exec[0], "/wxcheckout") || exec[1] != "serve" {
		t.Errorf("ExecStart = %v, want /…/wxcheckout serve", exec)
	}
	for _, want := range []string{"StateDirectory=wxcheckout", "EnvironmentFile=", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
		"DATABASE_URL=sqlite:/var/lib/wxcheckout/"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
}

// The proxies send the header the app believes by default, overwritten
// with the address they saw, in every location that proxies; the status
// stream is unbuffered; /metrics stays inside.
func TestProxyExamples(t *testing.T) {
	c, err := config.Load(func(string) string { return "" })
	must(t, err)
	header := c.ClientIPHeader
	nginx := readFile(t, "deploy/nginx.conf")
	if strings.Contains(nginx, "$proxy_add_x_forwarded_for") {
		t.Error("nginx appends to the client's X-Forwarded-For")
	}
	locations := regexp.MustCompile(`(?s)location ([^{]*)\{(.*?)\n    \}`).FindAllStringSubmatch(nginx, -1)
	proxied := 0
	for _, l := range locations {
		body := l[2]
		if !strings.Contains(body, "proxy_pass") {
			continue
		}
		proxied++
		if !strings.Contains(body, "proxy_set_header "+header+" $remote_addr;") {
			t.Errorf("nginx location %s does not set %s to $remote_addr", l[1], header)
		}
		if strings.Contains(l[1], "events") && !strings.Contains(body, "proxy_buffering off") {
			t.Errorf("nginx location %s buffers the status stream", l[1])
		}
	}
	if proxied < 2 || !strings.Contains(nginx, "/events$") {
		t.Errorf("nginx has %d proxying locations, want / and the status stream", proxied)
	}
	if !regexp.MustCompile(`location = /metrics \{\s*return 404;`).MatchString(nginx) {
		t.Error("nginx passes /metrics on")
	}
	caddy := readFile(t, "deploy/Caddyfile")
	for _, want := range []string{"header_up " + header + " {remote_host}", "respond /metrics 404", "reverse_proxy 127.0.0.1:8080"} {
		if !strings.Contains(caddy, want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
}
