package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Log is how the app writes its log: LOG_FORMAT and LOG_LEVEL.
type Log struct {
	// JSON (LOG_FORMAT=json) writes one JSON object a line; otherwise
	// slog's key=value text.
	JSON  bool
	Level slog.Level
}

// LoadLog reads LOG_FORMAT (text, json; default text) and LOG_LEVEL
// (debug, info, warn, error; default info). serve and sim both read it.
func LoadLog(getenv func(string) string) (Log, error) {
	var l Log
	switch v := strings.ToLower(strings.TrimSpace(getenv("LOG_FORMAT"))); v {
	case "", "text":
	case "json":
		l.JSON = true
	default:
		return l, fmt.Errorf("LOG_FORMAT %q: want text or json", getenv("LOG_FORMAT"))
	}
	switch v := strings.ToLower(strings.TrimSpace(getenv("LOG_LEVEL"))); v {
	case "", "info":
		l.Level = slog.LevelInfo
	case "debug":
		l.Level = slog.LevelDebug
	case "warn", "warning":
		l.Level = slog.LevelWarn
	case "error":
		l.Level = slog.LevelError
	default:
		return l, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", getenv("LOG_LEVEL"))
	}
	return l, nil
}

// LoadDatabaseURL reads DATABASE_URL alone, as `wxcheckout backup` needs
// it: the same default and checks as Load.
func LoadDatabaseURL(getenv func(string) string) (string, error) {
	v := strings.TrimSpace(getenv("DATABASE_URL"))
	if v == "" {
		v = "sqlite:wxcheckout.db"
	}
	return parseDatabaseURL(v)
}
