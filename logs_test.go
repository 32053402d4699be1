package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"wxcheckout/config"
	"wxcheckout/models"
)

// TestLogsNeverShowTheAPIKey runs a purchase with a key of our own and
// reads every log line the app wrote, in both LOG_FORMATs; in JSON every
// line must be a JSON object.
func TestLogsNeverShowTheAPIKey(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			const key = "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4"
			var logs syncBuffer
			a, stop := launchAppLogging(t, map[string]string{"WXPAY_API_KEY": key, "LOG_FORMAT": format}, &logs)
			o := buyOverHTTP(t, a, "COFFEE-250")
			must(t, a.sim.Pay(o.CodeURL))
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, err := a.svc.OrderByToken(context.Background(), o.Token)
				must(t, err)
				if got.Status == models.StatusPaid {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("not paid within 10 s")
				}
				time.Sleep(20 * time.Millisecond)
			}
			must(t, stop())
			out := logs.String()
			wants := []string{"wxcheckout is ready", "order paid", "request_id="}
			if format == "json" {
				wants[2] = `"request_id":`
				for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
					var m map[string]any
					if err := json.Unmarshal([]byte(line), &m); err != nil || m["msg"] == nil || m["level"] == nil {
						t.Errorf("line %d is not a JSON log record: %v: %s", i+1, err, line)
					}
				}
			}
			for _, want := range wants {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q", want)
				}
			}
			if strings.Contains(out, key) {
				t.Error("the API key appears in the log")
			}
		})
	}
}

// LOG_LEVEL drops what is below it.
func TestLogLevelFilters(t *testing.T) {
	for _, c := range []struct {
		level string
		want  []string // of debug, info, warn, error
	}{
		{"debug", []string{"debug", "info", "warn", "error"}},
		{"", []string{"info", "warn", "error"}},
		{"warn", []string{"warn", "error"}},
		{"error", []string{"error"}},
	} {
		l, err := config.LoadLog(func(k string) string {
			return map[string]string{"LOG_FORMAT": "json", "LOG_LEVEL": c.level}[k]
		})
		must(t, err)
		var buf bytes.Buffer
		log := newLogger(&buf, l)
		log.Debug("debug")
		log.Info("info")
		log.Warn("warn")
		log.Error("error")
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m struct{ Msg string }
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			got = append(got, m.Msg)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("LOG_LEVEL=%q logged %v, want %v", c.level, got, c.want)
		}
	}
}

// A bad LOG_FORMAT stops serve and sim with the variable named.
func TestRunRefusesBadLogSettings(t *testing.T) {
	for _, cmd := range []string{"serve", "sim"} {
		err := run(context.Background(), []string{cmd}, func(k string) string {
			return map[string]string{"LOG_FORMAT": "xml"}[k]
		}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "LOG_FORMAT") {
			t.Errorf("%s with LOG_FORMAT=xml: %v", cmd, err)
		}
	}
}
